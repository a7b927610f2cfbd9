// The catalog: releases as a grid of covers, filtered by genre; a search over releases,
// artists, tracks and credits (the API's full-text search); the latest tracks.
import { api } from './api.js';
import { el, duration, picture, plural } from './format.js';

const PAGE = 20;
/** The most release hits whose covers the search shows (each is one request). */
const RELEASE_HITS = 12;

export function renderCatalog(main, player) {
  const search = el('input', { type: 'search', name: 'q', id: 'catalog-search', maxlength: 200, autocomplete: 'off',
    'aria-describedby': 'catalog-search-hint' });
  const genre = el('select', { name: 'genre', id: 'release-genre' }, el('option', { value: '' }, 'All genres'));
  const form = el('form', { class: 'inline', role: 'search', id: 'catalog-search-form' },
    el('label', {}, 'Search the catalog', search),
    el('label', {}, 'Genre', genre),
    el('button', { type: 'submit' }, 'Search'),
    el('p', { class: 'hint muted', id: 'catalog-search-hint' }, 'Titles, artists, credited names and roles, genres, lyrics; accents and case do not matter.'));
  const results = searchSection(player);
  const releases = releasesSection(player, genre);
  const tracks = tracksSection(player);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    results.search(search.value.trim(), genre.value);
  });
  genre.addEventListener('change', () => {
    releases.load();
    if (search.value.trim()) results.search(search.value.trim(), genre.value);
  });
  main.replaceChildren(el('h1', {}, 'Catalog'), form, results.element, releases.element, tracks.element);
  loadGenres(genre);
  releases.load();
  tracks.load(true);
}

async function loadGenres(select) {
  try {
    const page = await api('/api/v1/genres?limit=100');
    for (const item of page.items) select.append(el('option', { value: item.genre }, `${item.genre} (${item.releaseCount})`));
  } catch { /* the catalog still works without the filter */ }
}

// MARK: Search

function searchSection(player) {
  const heading = el('h2', { id: 'search-heading', tabindex: '-1' }, 'Search results');
  const status = el('p', { class: 'muted', role: 'status', id: 'search-status' });
  const releases = el('ul', { class: 'grid', id: 'search-releases', 'aria-label': 'Releases found' });
  const artists = el('ul', { class: 'names', id: 'search-artists', 'aria-label': 'Artists found' });
  const tracks = el('ul', { class: 'tracks', id: 'search-tracks', 'aria-label': 'Tracks found' });
  const element = el('section', { 'aria-labelledby': 'search-heading', id: 'search-results', hidden: true },
    heading, status, releases, artists, tracks);
  let generation = 0;

  async function search(text, genre) {
    const current = ++generation;
    element.hidden = !text;
    if (!text) return;
    heading.textContent = `Results for “${text}”`;
    status.textContent = 'Searching…';
    try {
      const page = await api(`/api/v1/search?${new URLSearchParams({ q: text, limit: '50' })}`);
      const releaseHits = page.items.filter((hit) => hit.kind === 'release').slice(0, RELEASE_HITS);
      const found = (await Promise.all(releaseHits.map((hit) => api(hit.url).catch(() => null))))
        .filter((release) => release && (!genre || release.genres.includes(genre)));
      if (current !== generation) return;
      releases.replaceChildren(...found.map((release) => releaseCard(release, player)));
      artists.replaceChildren(...page.items.filter((hit) => hit.kind === 'artist').map((hit) =>
        el('li', { 'data-artist': hit.id }, el('a', { href: `#/artists/${encodeURIComponent(hit.id)}` }, hit.title), ' ',
          el('span', { class: 'muted' }, `artist · @${hit.subtitle}`))));
      tracks.replaceChildren(...page.items.filter((hit) => hit.kind === 'track').map((hit) => trackHit(hit, player)));
      const count = found.length + artists.children.length + tracks.children.length;
      status.textContent = count === 0 ? `Nothing matches “${text}”.`
        : `${plural(found.length, 'release')}, ${plural(artists.children.length, 'artist')} and ${plural(tracks.children.length, 'track')} match “${text}”.`;
      heading.focus();
    } catch (error) {
      if (current === generation) status.textContent = `The search failed: ${error.message}`;
    }
  }
  return { element, search };
}

function trackHit(hit, player) {
  const track = { id: hit.id, title: hit.title, artist: { name: hit.subtitle } };
  const releaseID = hit.releaseURL ? hit.releaseURL.split('/').pop() : null;
  return el('li', { 'data-track': hit.id },
    el('div', { class: 'what' }, el('strong', {}, hit.title), ' ', el('span', { class: 'muted' }, `by ${hit.subtitle}`),
      releaseID ? el('span', {}, ' · ', el('a', { href: `#/releases/${encodeURIComponent(releaseID)}` }, 'its release')) : null),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'aria-label': `Play ${hit.title}`, onclick: () => player.playNow(track) }, 'Play'),
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Add ${hit.title} to the queue`, onclick: () => player.enqueue(track) }, 'Queue')));
}

// MARK: Releases

/** The newest published releases as a grid of covers, filtered by the genre chosen. */
function releasesSection(player, genre) {
  const list = el('ul', { class: 'grid', id: 'release-list', 'aria-label': 'Releases' });
  const status = el('p', { class: 'muted', role: 'status' });
  const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'More releases');
  let next = null;

  async function load(url) {
    const parameters = new URLSearchParams({ limit: String(PAGE) });
    if (genre.value) parameters.set('genre', genre.value);
    try {
      const page = await api(url || `/api/v1/releases?${parameters}`);
      const cards = page.items.map((release) => releaseCard(release, player));
      if (url) list.append(...cards); else list.replaceChildren(...cards);
      list.dataset.genre = genre.value;
      status.textContent = page.total === 0 ? 'No releases yet.' : plural(page.total, 'release') + '.';
      next = page.next;
      more.hidden = !next;
    } catch (error) {
      status.textContent = `The releases could not be loaded: ${error.message}`;
    }
  }
  more.addEventListener('click', () => load(next));
  const element = el('section', { 'aria-labelledby': 'releases-heading' },
    el('h2', { id: 'releases-heading' }, 'Releases'), status, list, more);
  return { element, load: () => load(null) };
}

/**
 * One release in a grid: its cover (small sizes), title linking to its page, what it is,
 * Play all, and its track list on demand.
 */
export function releaseCard(release, player) {
  const tracks = el('ol', { class: 'muted', hidden: true, 'aria-label': `Tracks of ${release.title}` });
  const href = `#/releases/${encodeURIComponent(release.id)}`;
  let detail = release.tracks ? release : null;
  async function open() {
    detail ??= await api(release.url);
    return detail;
  }
  async function toggle(event) {
    const { tracks: items = [] } = await open();
    tracks.replaceChildren(...items.map((track) => el('li', {}, `${track.title} · ${duration(track.durationSeconds)}`)));
    tracks.hidden = !tracks.hidden;
    event.target.setAttribute('aria-expanded', String(!tracks.hidden));
  }
  async function playAll() {
    const { tracks: items = [] } = await open();
    playTracks(player, items);
  }
  return el('li', { class: 'card', 'data-release': release.id },
    el('a', { href, class: 'cover-link', tabindex: '-1', 'aria-hidden': 'true' },
      picture(release.coverSizes, { size: 300, sizesAttribute: '(max-width: 40rem) 45vw, 12rem', alt: '' })),
    el('h3', {}, el('a', { href }, release.title)),
    el('p', { class: 'muted meta' }, `${release.type} by ${release.artist.name}`,
      release.genres.length ? ` · ${release.genres.join(', ')}` : '',
      ` · ${plural(release.trackCount, 'track')}`,
      release.licence !== 'all-rights-reserved' ? ` · ${release.licence}` : '',
      release.published ? '' : ' · draft'),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'aria-label': `Play all of ${release.title}`, onclick: playAll }, 'Play all'),
      el('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-label': `Show the tracks of ${release.title}`, onclick: toggle }, 'Tracks')),
    tracks);
}

/** Plays the first track now and queues the others after it. */
export function playTracks(player, items) {
  const playable = items.filter((track) => track.status === undefined || track.status === 'ready');
  if (playable.length === 0) return;
  player.playNow(playable[0]);
  for (const track of playable.slice(1)) player.enqueue(track);
}

// MARK: Tracks

function tracksSection(player) {
  const list = el('ul', { class: 'tracks', id: 'catalog-list', 'aria-label': 'Tracks' });
  const summary = el('p', { class: 'muted', role: 'status' });
  const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'More tracks');
  let offset = 0;

  async function load(reset) {
    if (reset) { offset = 0; list.replaceChildren(); }
    try {
      const page = await api(`/api/v1/tracks?${new URLSearchParams({ limit: String(PAGE), offset: String(offset) })}`);
      for (const track of page.items) list.append(row(track, player));
      offset += page.items.length;
      summary.textContent = page.total === 0 ? 'No tracks have been published yet.' : plural(page.total, 'track') + '.';
      more.hidden = !page.next;
    } catch (error) {
      summary.textContent = `The tracks could not be loaded: ${error.message}`;
    }
  }
  more.addEventListener('click', () => load(false));
  const element = el('section', { 'aria-labelledby': 'tracks-heading' },
    el('h2', { id: 'tracks-heading' }, 'Latest tracks'), summary, list, more);
  return { element, load };
}

function row(track, player) {
  return el('li', { 'data-track': track.id },
    el('div', { class: 'what' },
      el('strong', {}, track.title), ' ', el('span', { class: 'muted' }, `by ${track.artist.name}`),
      track.album ? el('span', { class: 'muted' }, ` · ${track.album}`) : null,
      el('span', { class: 'muted' }, ` · ${duration(track.durationSeconds)}`),
      track.free ? el('span', { class: 'good' }, ' · free') : null,
      ' · ', el('a', { href: `#/releases/${encodeURIComponent(track.releaseID)}`, 'aria-label': `The release of ${track.title}` }, 'release')),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'aria-label': `Play ${track.title}`, onclick: () => player.playNow(track) }, 'Play'),
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Add ${track.title} to the queue`, onclick: () => player.enqueue(track) }, 'Queue')));
}
