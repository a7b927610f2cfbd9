// Browse and search the catalog; play a track now or add it to the queue.
import { api } from './api.js';
import { el, duration } from './format.js';

const PAGE = 20;

export function renderCatalog(main, player, query = '') {
  const list = el('ul', { class: 'tracks', id: 'catalog-list', 'aria-label': 'Tracks' });
  const summary = el('p', { class: 'muted', role: 'status' });
  const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'More tracks');
  const search = el('input', { type: 'search', name: 'q', id: 'catalog-search', value: query, placeholder: 'Title, album or artist' });
  const form = el('form', { class: 'inline', role: 'search' },
    el('label', {}, 'Search the catalog', search), el('button', { type: 'submit' }, 'Search'));
  let offset = 0;

  async function load(reset) {
    if (reset) { offset = 0; list.replaceChildren(); }
    const text = search.value.trim();
    const parameters = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (text) parameters.set('q', text);
    try {
      const page = await api(`/api/v1/tracks?${parameters}`);
      for (const track of page.items) list.append(row(track, player));
      offset += page.items.length;
      summary.textContent = page.total === 0
        ? (text ? `Nothing matches “${text}”.` : 'No tracks have been published yet.')
        : `${page.total} track${page.total === 1 ? '' : 's'}${text ? ` matching “${text}”` : ''}.`;
      more.hidden = !page.next;
    } catch (error) {
      summary.textContent = `The catalog could not be loaded: ${error.message}`;
    }
  }

  form.addEventListener('submit', (event) => { event.preventDefault(); load(true); });
  more.addEventListener('click', () => load(false));
  main.replaceChildren(el('h1', {}, 'Catalog'), form, summary, list, more, releasesSection(player));
  load(true);
}

/** The newest published releases, filtered by genre; each plays whole or opens its track list. */
function releasesSection(player) {
  const list = el('ul', { class: 'tracks', id: 'release-list', 'aria-label': 'Releases' });
  const status = el('p', { class: 'muted', role: 'status' });
  const genre = el('select', { name: 'genre', id: 'release-genre' }, el('option', { value: '' }, 'All genres'));

  async function loadGenres() {
    try {
      const page = await api('/api/v1/genres?limit=100');
      for (const item of page.items) genre.append(el('option', { value: item.genre }, `${item.genre} (${item.releaseCount})`));
    } catch { /* the list of releases still works without the filter */ }
  }

  async function load() {
    const parameters = new URLSearchParams({ limit: '20' });
    if (genre.value) parameters.set('genre', genre.value);
    try {
      const page = await api(`/api/v1/releases?${parameters}`);
      list.replaceChildren(...page.items.map((release) => releaseRow(release, player)));
      list.dataset.genre = genre.value;
      status.textContent = page.total === 0 ? 'No releases yet.' : `${page.total} release${page.total === 1 ? '' : 's'}.`;
    } catch (error) {
      status.textContent = `The releases could not be loaded: ${error.message}`;
    }
  }

  genre.addEventListener('change', load);
  loadGenres();
  load();
  return el('section', { 'aria-labelledby': 'releases-heading' },
    el('h2', { id: 'releases-heading' }, 'Releases'), el('label', {}, 'Genre ', genre), status, list);
}

function releaseRow(release, player) {
  const tracks = el('ol', { class: 'muted', hidden: true, 'aria-label': `Tracks of ${release.title}` });
  let detail = null;
  async function open() {
    detail ??= await api(release.url);
    return detail;
  }
  async function toggle() {
    const { tracks: items = [] } = await open();
    tracks.replaceChildren(...items.map((track) => el('li', {}, `${track.title} · ${duration(track.durationSeconds)}`)));
    tracks.hidden = !tracks.hidden;
  }
  async function playAll() {
    const { tracks: items = [] } = await open();
    if (items.length === 0) return;
    player.playNow(items[0]);
    for (const track of items.slice(1)) player.enqueue(track);
  }
  return el('li', { 'data-release': release.id },
    el('div', { class: 'what' },
      el('strong', {}, release.title), ' ', el('span', { class: 'muted' }, `${release.type} by ${release.artist.name}`),
      release.genres.length ? el('span', { class: 'muted' }, ` · ${release.genres.join(', ')}`) : null,
      el('span', { class: 'muted' }, ` · ${release.trackCount} track${release.trackCount === 1 ? '' : 's'}`),
      release.licence !== 'all-rights-reserved' ? el('span', { class: 'muted' }, ` · ${release.licence}`) : null,
      tracks),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'aria-label': `Play all of ${release.title}`, onclick: playAll }, 'Play all'),
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Show the tracks of ${release.title}`, onclick: toggle }, 'Tracks')));
}

function row(track, player) {
  return el('li', { 'data-track': track.id },
    el('div', { class: 'what' },
      el('strong', {}, track.title), ' ', el('span', { class: 'muted' }, `by ${track.artist.name}`),
      track.album ? el('span', { class: 'muted' }, ` · ${track.album}`) : null,
      el('span', { class: 'muted' }, ` · ${duration(track.durationSeconds)}`),
      track.free ? el('span', { class: 'good' }, ' · free') : null),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'aria-label': `Play ${track.title}`, onclick: () => player.playNow(track) }, 'Play'),
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Add ${track.title} to the queue`, onclick: () => player.enqueue(track) }, 'Queue')));
}
