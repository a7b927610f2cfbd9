// The members' page (governance): open proposals with their turnout and the member's vote,
// a form to propose new prices, closed proposals with their tallies, and the pricing history.
// Money is entered and shown in credits but sent as integer minor units, parsed from the
// decimal text with integer arithmetic only (never floating point).
import { api, session, ApiError } from './api.js';
import { credits, dateTime, el, toast } from './format.js';

/** The minimum voting period by default (the server checks the one it is configured with). */
const MINIMUM_VOTING_HOURS = 24;
const CHOICES = [['yes', 'Yes'], ['no', 'No'], ['abstain', 'Abstain']];
const OUTCOMES = {
  passed: 'Passed', quorum_not_reached: 'Rejected: quorum not reached', not_majority: 'Rejected: no majority for yes',
  not_applicable: 'Passed but not applicable',
};

/**
 * Whether the signed-in user may read governance: admins, and members (artists with at least
 * one published track, suspended ones included). For an artist this asks the API for their
 * own tracks rather than the members list, whose 403 for non-members would be logged by the
 * browser on every page; the members' page itself reads the list, and shows the API's refusal.
 */
export async function canReadGovernance() {
  const user = session.get()?.user;
  if (!user || user.role === 'listener') return false;
  if (user.role === 'admin') return true;
  const artist = await api(`/api/v1/artists/${encodeURIComponent(user.id)}`);
  return (artist.tracks || []).some((track) => track.published);
}

// MARK: Parsing what people type

/**
 * "1.5" → 1500000n: a decimal text with at most `decimals` fraction digits, scaled to an
 * integer by `10^decimals`. Returns null for an empty field; throws a sentence for bad input.
 */
export function parseScaled(text, decimals, what) {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return null;
  const match = /^(\d{1,15})(?:\.(\d*))?$/.exec(trimmed);
  if (!match) throw new Error(`${what}: enter a number such as ${decimals > 0 ? '1.5' : '2'}.`);
  const fraction = match[2] || '';
  if (fraction.length > decimals) throw new Error(`${what}: at most ${decimals} digits after the point.`);
  const value = BigInt(match[1]) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what}: that is too large.`);
  return value;
}

/** The changes object of a new proposal, from the form's fields (null keeps a value). */
export function changesFrom(form) {
  const integer = (name, what) => {
    const value = parseScaled(form[name].value, 0, what);
    return value === null ? null : Number(value);
  };
  const units = parseScaled(form.basePrice.value, 6, 'Base price');
  const basisPoints = parseScaled(form.artistShare.value, 2, 'Artist share');
  return {
    previewSeconds: integer('previewSeconds', 'Preview'),
    basePrice: units === null ? null : Number(units),
    multiplier: integer('multiplier', 'Multiplier'),
    playsToOwn: integer('playsToOwn', 'Plays to own'),
    artistShareBasisPoints: basisPoints === null ? null : Number(basisPoints),
  };
}

/** "2026-03-01T12:00" (a datetime-local value, the browser's time zone) in local time of `date`. */
function localInputValue(date) {
  const pad = (number) => String(number).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// MARK: Showing values

function percent(basisPoints) {
  const whole = Math.trunc(basisPoints / 100);
  const rest = basisPoints % 100;
  return rest === 0 ? `${whole} %` : `${whole}.${String(rest).padStart(2, '0')} %`;
}

function changeList(changes) {
  const items = [];
  if (changes.previewSeconds !== null) items.push(`Preview: ${changes.previewSeconds} s`);
  if (changes.basePrice !== null) items.push(`Base price: ${credits(changes.basePrice)}`);
  if (changes.multiplier !== null) items.push(`Multiplier: × ${changes.multiplier}`);
  if (changes.playsToOwn !== null) items.push(`Plays to own: ${changes.playsToOwn}`);
  if (changes.artistShareBasisPoints !== null) items.push(`Artist share: ${percent(changes.artistShareBasisPoints)}`);
  if (items.length === 0) return el('p', { class: 'muted' }, 'Changes nothing.');
  return el('ul', { class: 'changes' }, items.map((text) => el('li', {}, text)));
}

function choiceName(choice) {
  return CHOICES.find(([value]) => value === choice)?.[1] ?? choice;
}

function turnoutText(proposal) {
  return `${proposal.turnout} of ${proposal.rollSize} members have voted (${percent(proposal.turnoutBasisPoints)}; quorum ${percent(proposal.quorumBasisPoints)}, ${proposal.quorumReached ? 'reached' : 'not reached yet'})`;
}

// MARK: The page

export function renderMembers(main) {
  const user = session.get().user;
  const status = el('p', { class: 'error', role: 'alert', hidden: true });
  const membership = el('p', { class: 'muted', id: 'membership' });
  const open = el('div', { id: 'open-proposals' });
  const closed = el('div', { id: 'closed-proposals' });
  const history = el('tbody');
  const refresh = el('button', { type: 'button', class: 'secondary', id: 'members-refresh' }, 'Refresh');
  const page = { user, status, membership, open, closed, history, canVote: user.role === 'artist' };
  main.replaceChildren(
    el('h1', {}, 'Members'),
    el('p', {}, 'Artists with a published track decide the prices together: propose new values, vote, and see what was decided. ', refresh),
    membership, status,
    el('section', { 'aria-labelledby': 'open-heading' }, el('h2', { id: 'open-heading' }, 'Open proposals'), open),
    page.propose = proposalForm(page),
    el('section', { 'aria-labelledby': 'closed-heading' }, el('h2', { id: 'closed-heading' }, 'Closed proposals'), closed),
    el('section', { 'aria-labelledby': 'pricing-heading' },
      el('h2', { id: 'pricing-heading' }, 'Pricing history'),
      el('div', { class: 'table-wrap' }, el('table', { id: 'pricing-history' },
        el('caption', { class: 'visually-hidden' }, 'Every pricing version, oldest first'),
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col' }, 'Version'), el('th', { scope: 'col' }, 'In force from'),
          el('th', { scope: 'col', class: 'number' }, 'Preview'), el('th', { scope: 'col', class: 'number' }, 'Base price'),
          el('th', { scope: 'col', class: 'number' }, 'Multiplier'), el('th', { scope: 'col', class: 'number' }, 'Plays to own'),
          el('th', { scope: 'col', class: 'number' }, 'Artist share'), el('th', { scope: 'col', class: 'number' }, 'Price to own'),
          el('th', { scope: 'col' }, 'Decided by'))),
        history))));
  refresh.addEventListener('click', () => load(page));
  load(page);
}

async function load(page) {
  page.status.hidden = true;
  try {
    const [members, proposals, versions] = await Promise.all([
      api('/api/v1/governance/members'),
      api('/api/v1/governance/proposals?status=all'),
      api('/api/v1/pricing/versions'),
    ]);
    const me = members.items.find((member) => member.id === page.user.id);
    page.suspended = Boolean(me?.suspended);
    page.propose.hidden = !page.canVote || page.suspended;
    page.membership.textContent = me
      ? `${members.total} members. ${me.suspended ? `Your membership is suspended (${me.suspension?.reason ?? 'no reason given'}): you can read but not propose or vote.` : 'You are a member: you can propose and vote.'}`
      : `${members.total} members. You can read governance but not vote.`;
    showProposals(page, proposals.items);
    showHistory(page, versions);
  } catch (error) {
    page.status.textContent = `The members' page could not be loaded: ${error.message}`;
    page.status.hidden = false;
  }
}

function showProposals(page, proposals) {
  const open = proposals.filter((proposal) => proposal.status === 'open');
  const closed = proposals.filter((proposal) => proposal.status !== 'open');
  page.open.replaceChildren(...(open.length ? open.map((proposal) => openProposal(page, proposal))
    : [el('p', { class: 'muted' }, 'No proposal is open. Propose one below.')]));
  page.closed.replaceChildren(...(closed.length ? closed.map((proposal) => closedProposal(proposal))
    : [el('p', { class: 'muted' }, 'No proposal has closed yet.')]));
}

function proposalHeader(proposal, headingID) {
  return [
    el('h3', { id: headingID }, proposal.title),
    el('p', { class: 'rationale' }, proposal.rationale),
    changeList(proposal.changes),
  ];
}

function openProposal(page, proposal) {
  const headingID = `proposal-${proposal.id}`;
  const article = el('article', { class: 'panel proposal', 'data-proposal': proposal.id, 'aria-labelledby': headingID });
  const error = el('p', { class: 'error', role: 'alert', hidden: true });
  const mine = el('p', { class: 'my-vote', role: 'status' },
    proposal.myVote ? `Your vote: ${choiceName(proposal.myVote)}.` : 'You have not voted.');
  const buttons = CHOICES.map(([choice, label]) => el('button', {
    type: 'button', 'data-choice': choice, class: proposal.myVote === choice ? '' : 'secondary',
    'aria-pressed': proposal.myVote === choice ? 'true' : 'false', disabled: !page.canVote || page.suspended,
  }, label));
  const group = el('div', { class: 'vote-buttons', role: 'group', 'aria-label': `Your vote on ${proposal.title}` }, buttons);
  for (const button of buttons) {
    button.addEventListener('click', async () => {
      error.hidden = true;
      for (const each of buttons) each.disabled = true;
      try {
        await api(`/api/v1/governance/proposals/${encodeURIComponent(proposal.id)}/votes`, { method: 'POST', json: { choice: button.dataset.choice } });
        const updated = await api(`/api/v1/governance/proposals/${encodeURIComponent(proposal.id)}`);
        toast(`Vote recorded: ${choiceName(button.dataset.choice)}.`);
        if (updated.status === 'open') {
          const replacement = openProposal(page, updated);
          article.replaceWith(replacement);
          replacement.querySelector(`button[data-choice="${button.dataset.choice}"]`)?.focus();
        } else {
          await load(page);
        }
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        for (const each of buttons) each.disabled = !page.canVote || page.suspended;
        if (failure instanceof ApiError && failure.status === 409) await load(page);
      }
    });
  }
  article.append(...proposalHeader(proposal, headingID),
    el('p', { class: 'closes' }, `Voting closes ${dateTime(proposal.closesAt)}.`),
    el('p', { class: 'turnout' }, turnoutText(proposal)),
    mine, group, error);
  return article;
}

function closedProposal(proposal) {
  const headingID = `proposal-${proposal.id}`;
  const article = el('article', { class: 'panel proposal', 'data-proposal': proposal.id, 'aria-labelledby': headingID });
  article.append(...proposalHeader(proposal, headingID));
  const tally = proposal.tally;
  if (!tally) {
    article.append(el('p', { class: 'muted' }, `Closed ${dateTime(proposal.closesAt)}; the votes are being counted.`));
    return article;
  }
  const outcome = OUTCOMES[tally.outcome] || tally.outcome;
  article.append(...[
    el('p', { class: `outcome ${tally.outcome === 'passed' ? 'good' : ''}` },
      outcome, tally.pricingVersion ? ` (pricing version ${tally.pricingVersion})` : '', '.'),
    tally.note ? el('p', { class: 'muted' }, tally.note) : null,
    el('dl', { class: 'tally' },
      el('dt', {}, 'Yes'), el('dd', { 'data-count': 'yes' }, String(tally.yes)),
      el('dt', {}, 'No'), el('dd', { 'data-count': 'no' }, String(tally.no)),
      el('dt', {}, 'Abstain'), el('dd', { 'data-count': 'abstain' }, String(tally.abstain)),
      el('dt', {}, 'Turnout'), el('dd', { 'data-count': 'turnout' },
        `${tally.turnout} of ${tally.rollSize} (quorum ${percent(tally.quorumBasisPoints)}: ${proposal.quorumReached ? 'reached' : 'not reached'})`)),
    el('p', { class: 'muted' }, `Closed ${dateTime(tally.closedAt)}.`, proposal.myVote ? ` Your vote: ${choiceName(proposal.myVote)}.` : ''),
  ].filter(Boolean));
  return article;
}

function showHistory(page, versions) {
  page.history.replaceChildren(...versions.items.map((version) => el('tr', { 'data-version': version.version },
    el('th', { scope: 'row' }, String(version.version), version.version === versions.current ? ' (in force)' : ''),
    el('td', {}, version.effectiveFrom ? dateTime(version.effectiveFrom) : 'the beginning'),
    el('td', { class: 'number' }, `${version.previewSeconds} s`),
    el('td', { class: 'number' }, credits(version.basePrice)),
    el('td', { class: 'number' }, `× ${version.multiplier}`),
    el('td', { class: 'number' }, String(version.playsToOwn)),
    el('td', { class: 'number' }, percent(version.artistShareBasisPoints)),
    el('td', { class: 'number' }, credits(version.priceToOwn)),
    el('td', {}, version.proposalID ? (version.proposalTitle || version.proposalID) : 'initial prices'))));
}

// MARK: Proposing

function proposalForm(page) {
  const minimum = new Date(Date.now() + MINIMUM_VOTING_HOURS * 3600 * 1000);
  const suggested = new Date(minimum.getTime() + 3600 * 1000);
  const error = el('p', { class: 'error', role: 'alert', id: 'proposal-error', hidden: true });
  const field = (label, input, hint) => el('label', {}, label, input, hint ? el('span', { class: 'hint muted' }, hint) : null);
  const decimal = (name, id) => el('input', { type: 'text', name, id, inputmode: 'decimal', autocomplete: 'off' });
  const whole = (name, id, min, max) => el('input', { type: 'number', name, id, min, max, step: 1 });
  const button = el('button', { type: 'submit' }, 'Open the proposal');
  const form = el('form', { class: 'stack', id: 'proposal-form' },
    field('Title', el('input', { type: 'text', name: 'title', id: 'proposal-title', required: true, maxlength: 200 })),
    field('Rationale', el('textarea', { name: 'rationale', id: 'proposal-rationale', rows: 4, required: true, maxlength: 5000 })),
    field('Voting closes', el('input', {
      type: 'datetime-local', name: 'closesAt', id: 'proposal-closes', required: true,
      min: localInputValue(minimum), value: localInputValue(suggested),
    }), `At least ${MINIMUM_VOTING_HOURS} hours from now (your time zone).`),
    el('fieldset', {}, el('legend', {}, 'New prices (leave a field empty to keep the value in force)'),
      field('Preview (seconds)', whole('previewSeconds', 'proposal-preview', 0, 3600)),
      field('Base price (credits)', decimal('basePrice', 'proposal-base-price'), 'The first counted play, e.g. 0.002 (up to 6 decimals).'),
      field('Multiplier', whole('multiplier', 'proposal-multiplier', 1), 'Each further play costs this many times the one before.'),
      field('Plays to own', whole('playsToOwn', 'proposal-plays-to-own', 1), 'After this many paid plays the track is the listener’s.'),
      field('Artist share (%)', decimal('artistShare', 'proposal-artist-share'), 'Of each play’s price, e.g. 70 or 72.5.')),
    error, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    let body;
    try {
      const closesAt = new Date(form.closesAt.value);
      if (Number.isNaN(closesAt.getTime())) throw new Error('Voting closes: choose a date and time.');
      body = {
        title: form.title.value.trim(), rationale: form.rationale.value.trim(),
        closesAt: closesAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), changes: changesFrom(form),
      };
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      const created = await api('/api/v1/governance/proposals', { method: 'POST', json: body });
      toast(`Proposal “${created.title}” is open for voting.`);
      form.reset();
      form.closesAt.value = localInputValue(suggested);
      await load(page);
      document.querySelector(`[data-proposal="${created.id}"] h3`)?.scrollIntoView();
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? failure.message : 'Something went wrong; try again.';
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  const section = el('section', { class: 'panel', 'aria-labelledby': 'propose-heading', id: 'propose' },
    el('h2', { id: 'propose-heading' }, 'Propose new prices'), form);
  section.hidden = true;  // until the membership is known
  return section;
}
