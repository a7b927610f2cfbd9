// Royalty splits: the sheets that name me (accept or decline the pending ones), my earnings
// from every play with my part of each, and, for a release I own, proposing a new sheet.
import { api, download, session } from './api.js';
import { credits, dateTime, el, toast } from './format.js';

const STATUS = {
  pending: 'waiting for answers', in_force: 'in force', replaced: 'replaced by a newer sheet',
  declined: 'declined', superseded: 'replaced by a newer proposal before it took effect',
};

/** "50 %" or "33.33 %" from basis points, with integer arithmetic. */
function percent(basisPoints) {
  const whole = Math.floor(basisPoints / 100);
  const rest = basisPoints % 100;
  return rest === 0 ? `${whole} %` : `${whole}.${String(rest).padStart(2, '0')} %`;
}

/** Basis points from "30" or "12.5" (a percentage with at most two decimals), or NaN. */
function basisPoints(text) {
  const match = /^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return NaN;
  return Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0'));
}

export async function renderSplits(main) {
  const sheets = el('div', { id: 'split-sheets' });
  const balance = el('p', { class: 'balance', id: 'split-balance' }, '…');
  const statement = el('tbody');
  const emptyStatement = el('p', { class: 'muted', hidden: true }, 'No plays have earned you anything yet.');
  const csv = el('button', { type: 'button', class: 'secondary', id: 'split-csv' }, 'Download the statement (CSV)');
  csv.addEventListener('click', () => download('/api/v1/split-earnings/statement?format=csv', 'tutti-earnings.csv').catch((error) => toast(error.message)));
  const propose = el('section', { class: 'panel', id: 'split-propose', 'aria-labelledby': 'split-propose-heading', hidden: true });
  const pending = pendingSheetsPanel({ onAnswered: () => renderSplits(main) });
  main.replaceChildren(
    el('h1', {}, 'Royalty splits'),
    el('p', { class: 'muted' }, 'A release’s owner proposes how the artist part of every play is shared. A sheet takes effect when the last person on it accepts; until then the sheet in force stays.'),
    pending.element,
    el('section', { class: 'panel', 'aria-labelledby': 'split-earnings-heading' },
      el('h2', { id: 'split-earnings-heading' }, 'My earnings'), balance, csv, emptyStatement,
      el('div', { class: 'table-wrap' }, el('table', { id: 'split-statement' },
        el('caption', { class: 'visually-hidden' }, 'My part of every play, oldest first'),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'When'), el('th', { scope: 'col' }, 'Track'),
          el('th', { scope: 'col' }, 'Release'), el('th', { scope: 'col', class: 'number' }, 'Sheet'),
          el('th', { scope: 'col', class: 'number' }, 'Share'), el('th', { scope: 'col', class: 'number' }, 'My part'))),
        statement))),
    propose,
    el('h2', {}, 'Sheets that name me'), sheets);

  const me = session.get()?.user;
  try {
    const list = await pending.load();
    sheets.replaceChildren(list.items.length ? el('ul', { class: 'plain' }, list.items.map(sheetItem))
      : el('p', { class: 'muted' }, 'No split sheet names you yet.'));
  } catch (error) {
    sheets.replaceChildren(el('p', {}, `Split sheets could not be loaded: ${error.message}`));
  }
  try {
    const [earnings, rows] = await Promise.all([api('/api/v1/split-earnings'), api('/api/v1/split-earnings/statement')]);
    balance.textContent = `${credits(earnings.balance)} unpaid (${credits(earnings.earned)} earned, ${credits(earnings.paidOut)} paid out)`;
    emptyStatement.hidden = rows.rows.length > 0;
    for (const row of rows.rows) {
      statement.append(el('tr', { 'data-play': row.playID },
        el('td', {}, dateTime(row.playedAt)), el('td', {}, row.trackTitle || row.trackID), el('td', {}, row.releaseTitle || ''),
        el('td', { class: 'number' }, row.sheetVersion === 0 ? 'default' : `v${row.sheetVersion}`),
        el('td', { class: 'number' }, percent(row.shareBasisPoints)), el('td', { class: 'number' }, credits(row.part))));
    }
  } catch (error) {
    balance.textContent = `Earnings could not be loaded: ${error.message}`;
  }
  if (me?.role === 'artist' || me?.role === 'admin') await renderProposal(propose, me, main);
}

/**
 * The sheets waiting for the signed-in user's answer, with Accept and Decline, for the splits
 * page and the dashboards. `load()` fills it and resolves to every sheet naming the user;
 * `onAnswered` runs after an answer (by default the panel loads itself again). With
 * `onlyWhenNamed`, the panel stays hidden for someone no sheet names.
 */
export function pendingSheetsPanel({ onAnswered, onlyWhenNamed = false } = {}) {
  const list = el('div', { id: 'split-pending', 'aria-live': 'polite' }, el('p', { class: 'muted' }, 'Loading…'));
  const element = el('section', { class: 'panel', 'aria-labelledby': 'split-pending-heading', hidden: onlyWhenNamed },
    el('h2', { id: 'split-pending-heading' }, 'Split sheets waiting for your answer'), list,
    el('p', { class: 'muted' }, el('a', { href: '#/splits' }, 'Every sheet that names you, and your earnings from them')));
  async function load() {
    const me = session.get()?.user;
    let sheets;
    try {
      sheets = await api('/api/v1/split-sheets');
    } catch (error) {
      element.hidden = false;
      list.replaceChildren(el('p', { class: 'error' }, `Split sheets could not be loaded: ${error.message}`));
      throw error;
    }
    const waiting = sheets.items.filter((sheet) => sheet.status === 'pending'
      && sheet.parties.some((party) => party.userID === me?.id && !party.decision));
    const answered = onAnswered || (() => load().catch(() => {}));
    list.replaceChildren(waiting.length ? el('ul', { class: 'plain' }, waiting.map((sheet) => pendingItem(sheet, answered)))
      : el('p', { class: 'muted' }, 'Nothing is waiting for your answer.'));
    if (onlyWhenNamed) element.hidden = sheets.items.length === 0;
    return sheets;
  }
  return { element, load };
}

function partiesText(sheet) {
  return sheet.parties.map((party) => `${party.username || party.userID} (${party.role}) ${percent(party.shareBasisPoints)}`
    + (party.decision ? `: ${party.decision}` : ': no answer yet')).join('; ');
}

function scopeText(sheet) {
  return sheet.scope === 'track' ? `${sheet.trackTitle || sheet.trackID} on ${sheet.releaseTitle || 'a release'}` : sheet.releaseTitle || sheet.releaseID;
}

function pendingItem(sheet, answered) {
  const answer = (decision) => async (event) => {
    event.target.disabled = true;
    try {
      const after = await api(`/api/v1/split-sheets/${sheet.id}/${decision}`, { method: 'POST' });
      toast(after.status === 'in_force' ? `Accepted: the sheet of ${scopeText(sheet)} is in force.`
        : decision === 'accept' ? `Accepted the sheet of ${scopeText(sheet)}.` : `Declined the sheet of ${scopeText(sheet)}.`);
      await answered();
    } catch (error) {
      toast(error.message);
      event.target.disabled = false;
    }
  };
  const what = `${scopeText(sheet)}, version ${sheet.version}`;
  return el('li', { 'data-sheet': sheet.id },
    el('p', {}, el('strong', {}, scopeText(sheet)), ` — version ${sheet.version}, proposed by ${sheet.proposerUsername || sheet.proposerID}`),
    el('p', { class: 'muted' }, partiesText(sheet)),
    el('button', { type: 'button', 'data-answer': 'accept', 'aria-label': `Accept the split sheet of ${what}`, onclick: answer('accept') }, 'Accept'), ' ',
    el('button', { type: 'button', class: 'secondary', 'data-answer': 'decline', 'aria-label': `Decline the split sheet of ${what}`, onclick: answer('decline') }, 'Decline'));
}

function sheetItem(sheet) {
  return el('li', { 'data-sheet': sheet.id, 'data-status': sheet.status },
    el('p', {}, el('strong', {}, scopeText(sheet)), ` — version ${sheet.version}: ${STATUS[sheet.status] || sheet.status}`,
      sheet.effectiveFrom ? ` since ${dateTime(sheet.effectiveFrom)}` : ''),
    el('p', { class: 'muted' }, partiesText(sheet)));
}

/** The splits page's proposal: a form for one of my releases, chosen in a list. */
async function renderProposal(section, me, main) {
  let releases;
  try {
    releases = (await api(`/api/v1/releases?artist=${encodeURIComponent(me.id)}&limit=100`)).items;
  } catch (error) {
    section.hidden = false;
    section.replaceChildren(el('p', {}, `Your releases could not be loaded: ${error.message}`));
    return;
  }
  if (!releases.length) return;
  section.hidden = false;
  const release = el('select', { id: 'split-release', name: 'release' },
    releases.map((item) => el('option', { value: item.id }, item.title)));
  section.replaceChildren(el('h2', { id: 'split-propose-heading' }, 'Propose a split sheet'),
    el('p', { class: 'muted' }, 'Name everyone who shares the artist part of your release’s plays, with their share; together 100 %.'),
    proposalForm({ me, releaseID: () => release.value, chooser: el('label', {}, 'Release ', release), onProposed: () => renderSplits(main) }));
}

/**
 * A release's sheets and the form proposing a new one, for the release's page (its owner
 * only). Resolves to the section, or null when the sheets cannot be read (not the owner).
 */
export async function releaseSplitsSection(release, me) {
  const section = el('section', { class: 'panel', id: 'release-splits', 'aria-labelledby': 'release-splits-heading' });
  const draw = async () => {
    let list;
    try {
      list = await api(`/api/v1/releases/${encodeURIComponent(release.id)}/split-sheets`);
    } catch (error) {
      if (error.status === 404 || error.status === 403) return false;
      section.replaceChildren(el('h2', { id: 'release-splits-heading' }, 'Royalty splits'), el('p', { class: 'error' }, `The split sheets could not be loaded: ${error.message}`));
      return true;
    }
    const ofRelease = list.items.filter((sheet) => sheet.scope !== 'track');
    const inForce = ofRelease.find((sheet) => sheet.status === 'in_force');
    const rows = inForce ? inForce.parties.map((party) => [party.username || '', percentInput(party.shareBasisPoints), party.role]) : undefined;
    section.replaceChildren(
      el('h2', { id: 'release-splits-heading' }, 'Royalty splits'),
      el('p', { class: 'muted' }, inForce ? `In force: ${partiesText(inForce)}.`
        : 'No sheet is in force: the whole artist part of every play is yours.'),
      list.items.length ? el('h3', {}, 'Sheets of this release and its tracks') : null,
      list.items.length ? el('ul', { class: 'plain', id: 'release-split-sheets' }, list.items.map(sheetItem)) : null,
      el('h3', {}, 'Propose a split sheet'),
      el('p', { class: 'muted' }, 'Name everyone who shares the artist part of this release’s plays, with their share; together 100 %. Each person accepts or declines it on their own dashboard; it takes effect when the last one accepts.'),
      proposalForm({ me, releaseID: () => release.id, rows, onProposed: draw }));
    return true;
  };
  return await draw() ? section : null;
}

/** "30" or "12.5" for a form field, from basis points. */
function percentInput(basisPoints) {
  return percent(basisPoints).replace(' %', '');
}

/**
 * The form of a new sheet: rows of username, share (%) and role, a live total, and the
 * proposal sent for `releaseID()`. `rows` starts it (default: the owner alone at 100 %).
 */
function proposalForm({ me, releaseID, chooser = null, rows: initial, onProposed }) {
  const rows = el('tbody');
  let made = 0;
  const addRow = (username = '', share = '', role = '') => {
    made += 1;
    // Each field has a label of its own (hidden: the column heads say it to the eye).
    const field = (name, text, attributes) => {
      const fieldID = `split-${made}-${name}`;
      return el('td', {}, el('label', { for: fieldID, class: 'visually-hidden' }, `${text} of person ${made}`),
        el('input', { type: 'text', name, id: fieldID, required: true, ...attributes }));
    };
    const row = el('tr', {},
      field('username', 'Username', { value: username, autocomplete: 'off' }),
      field('share', 'Share in percent', { value: share, inputmode: 'decimal', size: 6 }),
      field('role', 'Role', { value: role, maxlength: 100 }),
      el('td', {}, el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove person ${made}`, onclick: () => { row.remove(); showTotal(); } }, 'Remove')));
    rows.append(row);
  };
  for (const [username, share, role] of initial || [[me.username, '100', 'owner']]) addRow(username, share, role);
  const total = el('output', { id: 'split-total', 'aria-live': 'polite' });
  const form = el('form', { id: 'split-form' },
    chooser,
    el('div', { class: 'table-wrap' }, el('table', {},
      el('caption', { class: 'visually-hidden' }, 'The people on the new sheet'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Username'), el('th', { scope: 'col' }, 'Share (%)'),
        el('th', { scope: 'col' }, 'Role'), el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Actions')))),
      rows)),
    el('p', {}, el('button', { type: 'button', class: 'secondary', id: 'split-add', onclick: () => { addRow(); showTotal(); rows.lastElementChild.querySelector('input').focus(); } }, 'Add a person'), ' ', total),
    el('button', { type: 'submit' }, 'Propose the sheet'));
  function showTotal() {
    const sum = [...rows.querySelectorAll('input[name=share]')].reduce((all, input) => all + (basisPoints(input.value) || 0), 0);
    total.textContent = `Total: ${percent(sum)}${sum === 10_000 ? '' : ' (must be 100 %)'}`;
  }
  showTotal();
  form.addEventListener('input', showTotal);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const parties = [...rows.children].map((row) => ({
      username: row.querySelector('[name=username]').value.trim(),
      shareBasisPoints: basisPoints(row.querySelector('[name=share]').value),
      role: row.querySelector('[name=role]').value.trim(),
    }));
    if (parties.some((party) => Number.isNaN(party.shareBasisPoints))) {
      toast('Write each share as a percentage, e.g. 30 or 12.5.');
      return;
    }
    try {
      const sheet = await api(`/api/v1/releases/${encodeURIComponent(releaseID())}/split-sheets`, { method: 'POST', json: { parties } });
      toast(sheet.status === 'in_force' ? 'The sheet is in force.' : 'Proposed: each person now accepts or declines it.');
      await onProposed();
    } catch (error) {
      toast(error.message);
    }
  });
  return form;
}
