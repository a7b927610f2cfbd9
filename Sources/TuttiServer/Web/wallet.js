// The listener's wallet (balance and history) and their tracks (plays, ownership, downloads).
import { api, download } from './api.js';
import { credits, dateTime, el, toast } from './format.js';

const TYPES = {
  top_up: 'Top-up', admin_credit: 'Credit', play_artist_share: 'Play (artist)',
  play_cooperative_share: 'Play (cooperative)', adjustment: 'Adjustment',
};

export async function renderWallet(main) {
  const balance = el('p', { class: 'balance', id: 'wallet-balance' }, '…');
  const body = el('tbody');
  const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'Older movements');
  const empty = el('p', { class: 'muted', hidden: true }, 'No movements yet. A top-up appears here once your payment is confirmed.');
  main.replaceChildren(
    el('h1', {}, 'Wallet'),
    el('section', { class: 'panel', 'aria-labelledby': 'balance-heading' },
      el('h2', { id: 'balance-heading' }, 'Balance'), balance),
    el('h2', {}, 'History'), empty,
    el('div', { class: 'table-wrap' }, el('table', { id: 'wallet-history' },
      el('caption', { class: 'visually-hidden' }, 'Wallet movements, newest first'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'When'), el('th', { scope: 'col' }, 'What'),
        el('th', { scope: 'col' }, 'Track'), el('th', { scope: 'col', class: 'number' }, 'Change'))),
      body)),
    more);
  let next = '/api/v1/wallet/history?limit=20';
  async function page() {
    const history = await api(next);
    for (const item of history.items) {
      body.append(el('tr', {},
        el('td', {}, dateTime(item.bookedAt)),
        el('td', {}, TYPES[item.type] || item.type, item.reason ? ` — ${item.reason}` : ''),
        el('td', {}, item.trackTitle || ''),
        el('td', { class: 'number' }, credits(item.change))));
    }
    empty.hidden = body.children.length > 0;
    next = history.next;
    more.hidden = !next;
  }
  more.addEventListener('click', () => page().catch((error) => toast(error.message)));
  try {
    const wallet = await api('/api/v1/wallet');
    balance.textContent = credits(wallet.balance);
    await page();
  } catch (error) {
    balance.textContent = `The wallet could not be loaded: ${error.message}`;
  }
}

export async function renderLibrary(main, player) {
  const body = el('tbody');
  const empty = el('p', { class: 'muted', hidden: true }, 'You have not played any track to the end of its preview yet.');
  main.replaceChildren(
    el('h1', {}, 'My tracks'),
    el('p', { class: 'muted' }, 'Every track you have played, with what the next play costs. After the last paid play a track is yours: it streams free and you can download its original file.'),
    empty,
    el('div', { class: 'table-wrap' }, el('table', { id: 'library' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Track'), el('th', { scope: 'col', class: 'number' }, 'Plays'),
        el('th', { scope: 'col' }, 'Next play'), el('th', { scope: 'col' }, ''))),
      body)));
  try {
    const list = await api('/api/v1/wallet/tracks');
    empty.hidden = list.items.length > 0;
    for (const item of list.items) {
      const title = item.trackTitle || item.trackID;
      const actions = el('td', {});
      actions.append(el('button', { type: 'button', class: 'secondary', 'aria-label': `Play ${title}`, onclick: () => playFromLibrary(item, player) }, 'Play'));
      if (item.owned) {
        actions.append(' ', el('button', {
          type: 'button', 'aria-label': `Download the original of ${title}`,
          onclick: () => download(`/api/v1/tracks/${encodeURIComponent(item.trackID)}/original`, title).catch((error) => toast(error.message)),
        }, 'Download'));
      }
      body.append(el('tr', { 'data-track': item.trackID },
        el('td', {}, title, item.owned ? el('span', { class: 'good' }, ' · owned') : null),
        el('td', { class: 'number' }, String(item.countedPlays)),
        el('td', {}, item.owned ? 'free' : `${credits(item.nextPrice)} (${item.playsRemainingToOwn} to own)`),
        actions));
    }
  } catch (error) {
    empty.hidden = false;
    empty.textContent = `Your tracks could not be loaded: ${error.message}`;
  }
}

async function playFromLibrary(item, player) {
  try {
    const track = await api(`/api/v1/tracks/${encodeURIComponent(item.trackID)}`);
    player.playNow(track);
  } catch (error) {
    toast(error.message);
  }
}
