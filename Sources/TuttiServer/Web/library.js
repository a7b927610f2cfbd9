// The listener's library (issue 17): collection and own it now, favourites, playlists,
// history, followed artists and the monthly spending limit. Every control has a label, the
// order of the page is the order of focus, and nothing is told by colour alone.
import { api, session, download, ApiError } from './api.js';
import { credits, dateTime, el, toast } from './format.js';
import { pendingSheetsPanel } from './splits.js';

const me = () => session.get()?.user;
const base = () => `/api/v1/listeners/${encodeURIComponent(me().id)}`;
const id = (text) => encodeURIComponent(text);

/** A message for an API error: the spending limit says so with its own words. */
export function explain(error) {
  if (error instanceof ApiError && error.problem?.type === 'urn:tutti:problem:spending-limit') {
    return `Stopped by your monthly spending limit: ${error.problem.detail}`;
  }
  return error.message;
}

function section(heading, idName, ...children) {
  return el('section', { class: 'panel', 'aria-labelledby': `${idName}-heading`, id: idName },
    el('h2', { id: `${idName}-heading` }, heading), ...children);
}

export async function renderListenerLibrary(main) {
  // Anyone may be named on a band's split sheet: their answer is asked for here too.
  const pending = pendingSheetsPanel({ onlyWhenNamed: true });
  main.replaceChildren(el('h1', {}, 'Library'), pending.element,
    section('Collection', 'collection'), section('Playlists', 'playlists'), section('Favourites', 'favourites'),
    section('Followed artists', 'follows'), section('History', 'history'), section('Monthly spending limit', 'limit'),
    section('Apps', 'apps'));
  await Promise.allSettled([pending.load(), collection(main), playlists(main), favourites(main), follows(main), history(main), limit(main),
    apps(main)]);
}

async function collection(main) {
  const panel = main.querySelector('#collection');
  const list = el('ul', { id: 'collection-tracks' });
  panel.append(list);
  const data = await api(`${base()}/collection`);
  if (data.tracks.length === 0) list.append(el('li', { class: 'muted' }, 'No counted plays yet.'));
  for (const track of data.tracks) {
    const title = track.title || track.trackID;
    const item = el('li', { 'data-track': track.trackID },
      el('strong', {}, title), ` — ${track.artistName || ''} · `,
      track.owned ? el('span', {}, 'Owned') : `${track.countedPlays} of ${track.playsToOwn} plays, ${credits(track.leftToPay)} left to own`, ' ');
    if (track.owned) {
      item.append(el('button', { type: 'button', 'aria-label': `Download ${title}`,
        onclick: () => download(`/api/v1/tracks/${id(track.trackID)}/original`, title).catch((error) => toast(error.message)) }, 'Download'));
    } else {
      item.append(ownItNowButton(track.trackID, title, track.leftToPay));
    }
    list.append(item);
  }
  if (data.releases.length) {
    panel.append(el('h3', {}, 'Owned releases'),
      el('ul', {}, ...data.releases.map((release) => el('li', {}, `${release.title} — ${release.artistName}`))));
  }
}

/** "Own it now": one charge of what is left, with a request id so a retry charges once. */
export function ownItNowButton(trackID, title, leftToPay) {
  const requestID = crypto.randomUUID();
  return el('button', {
    type: 'button', class: 'own-it-now', 'aria-label': `Own ${title} now for ${credits(leftToPay)}`,
    onclick: async (event) => {
      event.target.disabled = true;
      try {
        const bought = await api(`/api/v1/tracks/${id(trackID)}/purchase`, { method: 'POST', json: { requestID } });
        toast(`You own ${title} now (paid ${credits(bought.price)}).`);
        window.dispatchEvent(new Event('tutti:wallet'));
      } catch (error) {
        toast(explain(error));
        event.target.disabled = false;
      }
    },
  }, 'Own it now');
}

async function favourites(main) {
  const panel = main.querySelector('#favourites');
  const list = el('ul', { id: 'favourite-list' });
  panel.append(list);
  const page = await api(`${base()}/favourites?limit=100`);
  if (page.items.length === 0) list.append(el('li', { class: 'muted' }, 'Star tracks, releases and artists in the catalog to keep them here.'));
  for (const item of page.items) {
    list.append(el('li', {}, `${item.kind}: `, el('strong', {}, item.title), item.artistName ? ` — ${item.artistName} ` : ' ',
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove ${item.title} from favourites`,
        onclick: () => api(`${base()}/favourites/${item.kind}s/${id(item.id)}`, { method: 'DELETE' })
          .then(() => renderListenerLibrary(main)).catch((error) => toast(error.message)) }, 'Remove')));
  }
}

/**
 * A star toggle for the catalog and the release and artist pages: adds or removes a
 * favourite. `pressed` is the state to start from; `favouriteState` finds it.
 */
export function starButton(kind, itemID, title, pressed = false) {
  const button = el('button', { type: 'button', class: 'secondary star', 'aria-label': `Favourite ${title}`, 'data-star': kind });
  const show = (on) => {
    button.setAttribute('aria-pressed', String(on));
    // The star's shape and the word both change: the state is not told by colour alone.
    button.textContent = on ? '★ Favourite' : '☆ Favourite';
  };
  show(pressed);
  button.addEventListener('click', async () => {
    const on = button.getAttribute('aria-pressed') !== 'true';
    button.disabled = true;
    try {
      await api(`${base()}/favourites/${kind}s/${id(itemID)}`, { method: on ? 'PUT' : 'DELETE' });
      show(on);
      toast(on ? `${title} is in your favourites.` : `${title} is no longer in your favourites.`);
    } catch (error) { toast(error.message); }
    button.disabled = false;
  });
  return button;
}

/** Whether the signed-in listener has starred `itemID` (a track, release or artist). */
export async function favouriteState(kind, itemID) {
  let next = `${base()}/favourites?kind=${kind}&limit=100`;
  while (next) {
    const page = await api(next);
    if (page.items.some((item) => item.id === itemID)) return true;
    next = page.next;
  }
  return false;
}

async function playlists(main) {
  const panel = main.querySelector('#playlists');
  const title = el('input', { id: 'new-playlist-title', required: true, maxlength: 200 });
  const form = el('form', { id: 'new-playlist' },
    el('label', { for: 'new-playlist-title' }, 'New playlist title'), ' ', title, ' ', el('button', { type: 'submit' }, 'Create'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('/api/v1/playlists', { method: 'POST', json: { title: title.value } });
      await renderListenerLibrary(main);
    } catch (error) { toast(error.message); }
  });
  const list = el('ul', { id: 'playlist-list' });
  panel.append(form, list);
  const page = await api(`${base()}/playlists?limit=100`);
  for (const summary of page.items) list.append(await playlistItem(summary.id, main));
}

async function playlistItem(playlistID, main) {
  const playlist = await api(`/api/v1/playlists/${id(playlistID)}`);
  const edit = (path, options) => api(`/api/v1/playlists/${id(playlistID)}${path}`, options)
    .then(() => renderListenerLibrary(main))
    .catch((error) => toast(error.status === 409 ? 'The playlist changed meanwhile; it has been reloaded.' : error.message));
  const tracks = el('ol', { class: 'playlist-tracks' }, ...playlist.tracks.map((entry, index) => el('li', {},
    entry.available ? entry.title : 'Unavailable track', ' ',
    el('button', { type: 'button', class: 'secondary', 'aria-label': `Move ${entry.title || 'track'} up`, disabled: index === 0,
      onclick: () => edit('/moves', { method: 'POST', json: { version: playlist.version, from: index, to: index - 1 } }) }, 'Up'), ' ',
    el('button', { type: 'button', class: 'secondary', 'aria-label': `Move ${entry.title || 'track'} down`, disabled: index === playlist.tracks.length - 1,
      onclick: () => edit('/moves', { method: 'POST', json: { version: playlist.version, from: index, to: index + 1 } }) }, 'Down'), ' ',
    el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove ${entry.title || 'track'} from ${playlist.title}`,
      onclick: () => edit(`/tracks?version=${playlist.version}&position=${index}`, { method: 'DELETE' }) }, 'Remove'))));
  const visibility = el('input', { type: 'checkbox', id: `public-${playlist.id}`, checked: playlist.public });
  visibility.addEventListener('change', () => edit('', { method: 'PATCH', json: { version: playlist.version, public: visibility.checked } }));
  return el('li', { 'data-playlist': playlist.id },
    el('h3', {}, playlist.title), el('p', {}, visibility, ' ', el('label', { for: `public-${playlist.id}` }, 'Public: anyone with the link can open it')),
    playlist.public ? el('p', {}, 'Link to share: ', el('a', { href: `/playlists/${id(playlist.id)}` }, `${location.origin}/playlists/${playlist.id}`)) : null,
    tracks);
}

/** A public playlist, for anyone (signed in or not). */
export async function renderPlaylist(main) {
  const playlistID = new URLSearchParams(location.hash.split('?')[1] || '').get('id') || '';
  try {
    const playlist = await api(`/api/v1/playlists/${id(playlistID)}`);
    main.replaceChildren(el('h1', {}, playlist.title), el('p', { class: 'muted' }, `A playlist by ${playlist.ownerName}`),
      playlist.description ? el('p', {}, playlist.description) : null,
      el('ol', { id: 'public-playlist' }, ...playlist.tracks.map((entry) => el('li', {}, entry.available ? `${entry.title} — ${entry.artistName}` : 'Unavailable track'))));
  } catch (error) {
    main.replaceChildren(el('h1', {}, 'Playlist'), el('p', {}, error.status === 404 ? 'There is no such playlist, or it is private.' : error.message));
  }
}

async function follows(main) {
  const panel = main.querySelector('#follows');
  const page = await api(`${base()}/follows?limit=100`);
  const news = await api(`${base()}/follows/releases?limit=20`);
  panel.append(
    el('ul', {}, ...page.items.map((artist) => el('li', {}, artist.displayName, ' ',
      el('a', { href: artist.feed }, `Atom feed of ${artist.displayName}`), ' ',
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Unfollow ${artist.displayName}`,
        onclick: () => api(`${base()}/follows/${id(artist.id)}`, { method: 'DELETE' }).then(() => renderListenerLibrary(main)) }, 'Unfollow')))),
    el('h3', {}, 'New from artists you follow'),
    news.items.length ? el('ul', {}, ...news.items.map((release) => el('li', {}, `${release.title} — ${release.artist?.name ?? ''}`)))
      : el('p', { class: 'muted' }, 'Nothing new yet.'));
}

async function history(main) {
  const panel = main.querySelector('#history');
  const list = el('ol', { id: 'history-list' });
  const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'Older');
  const eraseAll = el('button', { type: 'button', id: 'erase-history' }, 'Erase all history');
  eraseAll.addEventListener('click', async () => {
    if (!confirm('Erase your whole listening history? Charges stay in the ledger.')) return;
    try {
      await api(`${base()}/history`, { method: 'DELETE' });
      await renderListenerLibrary(main);
    } catch (error) { toast(error.message); }
  });
  panel.append(el('p', { class: 'muted' }, 'Only you see this. Erasing it keeps what you paid, nothing else.'), eraseAll, list, more);
  let next = `${base()}/history?limit=20`;
  async function page() {
    const data = await api(next);
    for (const entry of data.items) {
      list.append(el('li', {}, `${dateTime(entry.at)}: ${entry.title} — ${entry.artistName} (${entry.kind === 'play' ? 'play' : 'preview'}) `,
        el('button', { type: 'button', class: 'secondary', 'aria-label': `Erase ${entry.title} at ${dateTime(entry.at)}`,
          onclick: (event) => api(`${base()}/history/${id(entry.id)}`, { method: 'DELETE' })
            .then(() => event.target.closest('li').remove()).catch((error) => toast(error.message)) }, 'Erase')));
    }
    next = data.next;
    more.hidden = !next;
  }
  more.addEventListener('click', () => page().catch((error) => toast(error.message)));
  await page();
}

async function limit(main) {
  const panel = main.querySelector('#limit');
  const status = el('p', { id: 'limit-status' });
  const amount = el('input', { id: 'limit-amount', type: 'number', min: 0, step: '0.000001', required: true });
  const zone = el('input', { id: 'limit-zone', value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
  const form = el('form', { id: 'limit-form' },
    el('label', { for: 'limit-amount' }, 'Limit per month, in credits'), ' ', amount, ' ',
    el('label', { for: 'limit-zone' }, 'Time zone'), ' ', zone, ' ', el('button', { type: 'submit' }, 'Set limit'));
  const remove = el('button', { type: 'button', class: 'secondary', id: 'limit-remove', hidden: true }, 'Remove limit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const [whole, fraction = ''] = amount.value.split('.');
    const units = BigInt(whole || '0') * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
    try {
      await api(`${base()}/spending-limit`, { method: 'PUT', json: { monthlyLimit: Number(units), timeZone: zone.value } });
      await renderListenerLibrary(main);
    } catch (error) { toast(error.message); }
  });
  remove.addEventListener('click', () => api(`${base()}/spending-limit`, { method: 'DELETE' }).then(() => renderListenerLibrary(main)));
  panel.append(status, form, remove);
  try {
    const current = await api(`${base()}/spending-limit`);
    status.textContent = `${credits(current.spent)} of ${credits(current.monthlyLimit)} spent this month (${current.timeZone}); ${credits(current.remaining)} left.`;
    remove.hidden = false;
  } catch (error) {
    status.textContent = error.status === 404 ? 'No limit set.' : error.message;
  }
}

/**
 * App passwords for Subsonic apps: one per app, its secret shown once; when each was last
 * used; "count plays in this app" (apps prefetch, so the listener is told before switching
 * it on); revoke.
 */
async function apps(main) {
  const panel = main.querySelector('#apps');
  const prefetch = 'Apps download ahead of what you hear: with this on, a paid track an app fetches past its preview counts as a play, as in the web player, even if you skip it.';
  panel.append(el('p', { class: 'muted' }, `Sign in to a Subsonic app (DSub, Symfonium, Feishin...) at ${location.origin} with your username and an app password, never your account password. Without "count plays", paid tracks you do not own play their preview only.`));
  const name = el('input', { id: 'app-name', required: true, maxlength: 100, placeholder: 'e.g. Symfonium on my phone' });
  const count = el('input', { id: 'app-count-plays', type: 'checkbox' });
  const shown = el('p', { id: 'app-secret', role: 'status' });
  const form = el('form', { id: 'app-form' },
    el('label', { for: 'app-name' }, 'App name'), ' ', name, ' ', count, ' ',
    el('label', { for: 'app-count-plays' }, 'Count plays in this app'), ' ', el('button', { type: 'submit' }, 'Make app password'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (count.checked && !confirm(prefetch)) return;
    try {
      const made = await api('/api/v1/me/app-passwords', { method: 'POST', json: { name: name.value, countPlays: count.checked } });
      await renderListenerLibrary(main);
      main.querySelector('#app-secret').textContent = `Password for ${made.name} (shown once): ${made.secret} with username ${made.username}`;
    } catch (error) { toast(error.message); }
  });
  const list = el('ul', { id: 'app-list' });
  panel.append(form, shown, list);
  const data = await api('/api/v1/me/app-passwords');
  if (data.items.length === 0) list.append(el('li', { class: 'muted' }, 'No app passwords yet.'));
  for (const item of data.items) {
    const toggle = el('input', { type: 'checkbox', id: `app-count-${item.id}`, checked: item.countPlays || undefined });
    toggle.addEventListener('change', async () => {
      if (toggle.checked && !confirm(prefetch)) { toggle.checked = false; return; }
      try {
        await api(`/api/v1/me/app-passwords/${id(item.id)}`, { method: 'PATCH', json: { countPlays: toggle.checked } });
      } catch (error) { toggle.checked = !toggle.checked; toast(error.message); }
    });
    list.append(el('li', { 'data-app': item.id },
      el('strong', {}, item.name), ` — last used ${item.lastUsedAt ? dateTime(item.lastUsedAt) : 'never'} · `,
      toggle, ' ', el('label', { for: `app-count-${item.id}` }, 'Count plays in this app'), ' ',
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Revoke ${item.name}`,
        onclick: () => api(`/api/v1/me/app-passwords/${id(item.id)}`, { method: 'DELETE' }).then(() => renderListenerLibrary(main)).catch((error) => toast(error.message)) }, 'Revoke')));
  }
}
