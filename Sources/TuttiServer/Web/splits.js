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
  const pending = el('div', { id: 'split-pending' });
  const sheets = el('div', { id: 'split-sheets' });
  const balance = el('p', { class: 'balance', id: 'split-balance' }, '…');
  const statement = el('tbody');
  const emptyStatement = el('p', { class: 'muted', hidden: true }, 'No plays have earned you anything yet.');
  const csv = el('button', { type: 'button', class: 'secondary', id: 'split-csv' }, 'Download the statement (CSV)');
  csv.addEventListener('click', () => download('/api/v1/split-earnings/statement?format=csv', 'tutti-earnings.csv').catch((error) => toast(error.message)));
  const propose = el('section', { class: 'panel', id: 'split-propose', 'aria-labelledby': 'split-propose-heading', hidden: true });
  main.replaceChildren(
    el('h1', {}, 'Royalty splits'),
    el('p', { class: 'muted' }, 'A release’s owner proposes how the artist part of every play is shared. A sheet takes effect when the last person on it accepts; until then the sheet in force stays.'),
    el('section', { class: 'panel', 'aria-labelledby': 'split-pending-heading' },
      el('h2', { id: 'split-pending-heading' }, 'Waiting for your answer'), pending),
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
    const list = await api('/api/v1/split-sheets');
    const waiting = list.items.filter((sheet) => sheet.status === 'pending'
      && sheet.parties.some((party) => party.userID === me?.id && !party.decision));
    pending.replaceChildren(waiting.length ? el('ul', { class: 'plain' }, waiting.map((sheet) => pendingItem(sheet, main)))
      : el('p', { class: 'muted' }, 'Nothing is waiting for your answer.'));
    sheets.replaceChildren(list.items.length ? el('ul', { class: 'plain' }, list.items.map(sheetItem))
      : el('p', { class: 'muted' }, 'No split sheet names you yet.'));
  } catch (error) {
    pending.replaceChildren(el('p', {}, `Split sheets could not be loaded: ${error.message}`));
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

function partiesText(sheet) {
  return sheet.parties.map((party) => `${party.username || party.userID} (${party.role}) ${percent(party.shareBasisPoints)}`
    + (party.decision ? `: ${party.decision}` : ': no answer yet')).join('; ');
}

function scopeText(sheet) {
  return sheet.scope === 'track' ? `${sheet.trackTitle || sheet.trackID} on ${sheet.releaseTitle || 'a release'}` : sheet.releaseTitle || sheet.releaseID;
}

function pendingItem(sheet, main) {
  const answer = (decision) => async () => {
    try {
      const after = await api(`/api/v1/split-sheets/${sheet.id}/${decision}`, { method: 'POST' });
      toast(after.status === 'in_force' ? 'Accepted: the sheet is in force.' : decision === 'accept' ? 'Accepted.' : 'Declined.');
      await renderSplits(main);
    } catch (error) {
      toast(error.message);
    }
  };
  return el('li', { 'data-sheet': sheet.id },
    el('p', {}, el('strong', {}, scopeText(sheet)), ` — version ${sheet.version}, proposed by ${sheet.proposerUsername || sheet.proposerID}`),
    el('p', { class: 'muted' }, partiesText(sheet)),
    el('button', { type: 'button', onclick: answer('accept') }, 'Accept'), ' ',
    el('button', { type: 'button', class: 'secondary', onclick: answer('decline') }, 'Decline'));
}

function sheetItem(sheet) {
  return el('li', { 'data-sheet': sheet.id, 'data-status': sheet.status },
    el('p', {}, el('strong', {}, scopeText(sheet)), ` — version ${sheet.version}: ${STATUS[sheet.status] || sheet.status}`,
      sheet.effectiveFrom ? ` since ${dateTime(sheet.effectiveFrom)}` : ''),
    el('p', { class: 'muted' }, partiesText(sheet)));
}

/** The form proposing a sheet for one of my releases: rows of username, share and role. */
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
  const rows = el('tbody');
  const addRow = (username = '', share = '', role = '') => {
    const row = el('tr', {},
      el('td', {}, el('input', { type: 'text', name: 'username', value: username, 'aria-label': 'Username', required: true, autocomplete: 'off' })),
      el('td', {}, el('input', { type: 'text', name: 'share', value: share, 'aria-label': 'Share in percent', inputmode: 'decimal', required: true, size: 6 })),
      el('td', {}, el('input', { type: 'text', name: 'role', value: role, 'aria-label': 'Role', required: true, maxlength: 100 })),
      el('td', {}, el('button', { type: 'button', class: 'secondary', onclick: () => row.remove() }, 'Remove')));
    rows.append(row);
  };
  addRow(me.username, '100', 'owner');
  const total = el('output', { id: 'split-total' });
  const form = el('form', { id: 'split-form' },
    el('label', {}, 'Release ', release),
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Username'), el('th', { scope: 'col' }, 'Share (%)'),
        el('th', { scope: 'col' }, 'Role'), el('th', { scope: 'col' }, ''))),
      rows)),
    el('p', {}, el('button', { type: 'button', class: 'secondary', id: 'split-add', onclick: () => addRow() }, 'Add a person'), ' ', total),
    el('button', { type: 'submit' }, 'Propose the sheet'));
  form.addEventListener('input', () => {
    const sum = [...rows.querySelectorAll('input[name=share]')].reduce((all, input) => all + (basisPoints(input.value) || 0), 0);
    total.textContent = `Total: ${percent(sum)}${sum === 10_000 ? '' : ' (must be 100 %)'}`;
  });
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
      const sheet = await api(`/api/v1/releases/${encodeURIComponent(release.value)}/split-sheets`, { method: 'POST', json: { parties } });
      toast(sheet.status === 'in_force' ? 'The sheet is in force.' : 'Proposed: each person now accepts or declines it.');
      await renderSplits(main);
    } catch (error) {
      toast(error.message);
    }
  });
  section.replaceChildren(el('h2', { id: 'split-propose-heading' }, 'Propose a split sheet'),
    el('p', { class: 'muted' }, 'Name everyone who shares the artist part of your release’s plays, with their share; together 100 %.'), form);
}
