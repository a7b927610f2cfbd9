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
  main.replaceChildren(el('h1', {}, 'Catalog'), form, summary, list, more);
  load(true);
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
