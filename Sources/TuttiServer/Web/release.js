// A release's page: cover, track list with durations, what the next play of each track costs
// the signed-in listener and how far they are from owning it, credits, licence, play all,
// and downloads for owners.
import { api, download, session } from './api.js';
import { credits, duration, el, licenceName, picture, plural, toast } from './format.js';
import { playTracks } from './catalog.js';
import { favouriteState, starButton } from './library.js';
import { releaseSplitsSection } from './splits.js';

export async function renderRelease(main, player, id) {
  main.replaceChildren(el('p', { class: 'muted', role: 'status' }, 'Loading the release…'));
  let release;
  try {
    release = await api(`/api/v1/releases/${encodeURIComponent(id)}`);
  } catch (error) {
    main.replaceChildren(el('h1', {}, 'Release'), el('p', { class: 'error' },
      error.status === 404 ? 'There is no such release, or it is not published.' : `The release could not be loaded: ${error.message}`));
    return 'Release';
  }
  const user = session.get()?.user;
  const mine = user && (user.id === release.artist.id || user.role === 'admin');
  const owner = user && user.id === release.artist.id;
  const star = el('span', { id: 'release-star' });
  const splits = el('div', { id: 'release-splits-place' });
  const tracks = release.tracks || [];
  const total = tracks.reduce((sum, track) => sum + (track.durationSeconds || 0), 0);
  const releaseDownload = el('p', { id: 'release-download', hidden: true });
  const rows = tracks.map((track) => trackRow(track, tracks.length, player));
  const multiDisc = new Set(tracks.map((track) => track.discNumber)).size > 1;

  main.replaceChildren(el('article', { class: 'release', 'data-release': release.id },
    el('div', { class: 'release-head' },
      picture(release.coverSizes, { size: 600, sizesAttribute: '(max-width: 40rem) 90vw, 18rem', alt: `Cover of ${release.title}`, id: 'release-cover', loading: 'eager' }),
      el('div', { class: 'release-about' },
        el('h1', {}, release.title),
        el('p', {}, `${capitalised(release.type)} by `, el('a', { href: `#/artists/${encodeURIComponent(release.artist.id)}`, id: 'release-artist' }, release.artist.name)),
        el('p', { class: 'muted' }, [release.releaseDate ? `Released ${release.releaseDate}` : null, plural(tracks.length, 'track'), duration(total)]
          .filter(Boolean).join(' · ')),
        release.genres.length ? el('p', { class: 'muted' }, `Genres: ${release.genres.join(', ')}`) : null,
        release.published ? null : el('p', { class: 'notice' }, 'A draft: only you (and admins) can see it.'),
        el('div', { class: 'actions' },
          el('button', { type: 'button', id: 'release-play-all', disabled: tracks.length === 0, onclick: () => playTracks(player, tracks) }, 'Play all'),
          star,
          mine ? el('a', { href: `#/artist/releases/${encodeURIComponent(release.id)}`, class: 'button secondary' }, 'Edit') : null),
        release.published ? el('p', { class: 'muted' }, 'Link to share: ',
          el('a', { href: `/releases/${encodeURIComponent(release.id)}`, id: 'release-share' }, `${location.origin}/releases/${release.id}`)) : null,
        releaseDownload)),
    release.description ? el('section', { 'aria-labelledby': 'about-heading' },
      el('h2', { id: 'about-heading' }, 'About'), el('p', { class: 'prose' }, release.description)) : null,
    el('section', { 'aria-labelledby': 'tracks-heading' },
      el('h2', { id: 'tracks-heading' }, 'Tracks'),
      user ? null : el('p', { class: 'muted' }, el('a', { href: '#/signin' }, 'Log in'), ' to see what each play costs you and how close you are to owning a track.'),
      el('div', { class: 'table-wrap' }, el('table', { id: 'release-tracks' },
        el('caption', { class: 'visually-hidden' }, `Tracks of ${release.title}`),
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col', class: 'number' }, multiDisc ? 'Disc-No.' : 'No.'), el('th', { scope: 'col' }, 'Title'),
          el('th', { scope: 'col', class: 'number' }, 'Length'), el('th', { scope: 'col' }, user ? 'Your next play' : 'Price'),
          el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Actions')))),
        el('tbody', {}, rows.map((row) => row.element))))),
    creditsSection(tracks),
    el('section', { 'aria-labelledby': 'licence-heading' },
      el('h2', { id: 'licence-heading' }, 'Licence'),
      el('p', { id: 'release-licence' }, licenceName(release.licence)),
      release.upc ? el('p', { class: 'muted' }, `UPC/EAN ${release.upc}`) : null),
    splits));

  if (user) {
    // Only a published release can be starred; the button comes once its state is known.
    if (release.published) {
      favouriteState('release', release.id)
        .then((pressed) => star.replaceChildren(starButton('release', release.id, release.title, pressed)))
        .catch((error) => star.replaceChildren(el('span', { class: 'muted' }, `Favourites could not be loaded: ${error.message}`)));
    }
    if (owner) {
      const section = await releaseSplitsSection(release, user);
      if (section) splits.replaceChildren(section);
    }
  }

  if (user) {
    const owned = await Promise.all(rows.map((row) => row.loadOwnership()));
    if (tracks.length > 0 && (mine || owned.every(Boolean))) {
      releaseDownload.replaceChildren(el('button', {
        type: 'button', class: 'secondary', id: 'release-download-zip',
        onclick: () => download(`/api/v1/releases/${encodeURIComponent(release.id)}/download`, `${release.title}.zip`).catch((error) => toast(error.message)),
      }, 'Download the release (ZIP of tagged Opus files)'));
      releaseDownload.hidden = false;
    }
  }
  return release.title;
}

function capitalised(text) {
  return text === 'ep' ? 'EP' : text.charAt(0).toUpperCase() + text.slice(1);
}

/** One row of the track list; `loadOwnership` fills in the price and resolves to "owned". */
function trackRow(track, count, player) {
  const price = el('td', { class: 'price' }, track.free ? el('span', { class: 'good' }, 'free') : '');
  const actions = el('td', { class: 'actions' },
    el('button', { type: 'button', 'aria-label': `Play ${track.title}`, onclick: () => player.playNow(track) }, 'Play'),
    el('button', { type: 'button', class: 'secondary', 'aria-label': `Add ${track.title} to the queue`, onclick: () => player.enqueue(track) }, 'Queue'));
  const element = el('tr', { 'data-track': track.id, 'data-status': track.status },
    el('td', { class: 'number' }, track.discNumber > 1 || count > 99 ? `${track.discNumber}-${track.trackNumber}` : String(track.trackNumber)),
    el('th', { scope: 'row' }, track.title, track.explicit ? el('span', { class: 'tag', title: 'Explicit lyrics' }, 'E') : null,
      track.isrc ? el('span', { class: 'muted isrc' }, ` ISRC ${track.isrc}`) : null,
      track.status === 'ready' ? null : el('span', { class: 'muted' }, ` (${track.status})`)),
    el('td', { class: 'number' }, duration(track.durationSeconds)),
    price, actions);

  async function loadOwnership() {
    try {
      const status = await api(`/api/v1/tracks/${encodeURIComponent(track.id)}/ownership`);
      const toOwn = status.countedPlays + status.playsRemainingToOwn;
      if (status.ownTrack) {
        price.replaceChildren(el('span', { class: 'good' }, 'your track: free for you'));
      } else if (status.owned) {
        price.replaceChildren(el('span', { class: 'good' }, 'owned: streams free'));
      } else if (status.free) {
        price.replaceChildren(el('span', { class: 'good' }, 'free'));
      } else {
        price.replaceChildren(
          el('span', {}, credits(status.nextPrice)),
          el('label', { class: 'ownership' },
            el('span', {}, `${status.countedPlays} of ${toOwn} plays to own`),
            el('progress', { max: toOwn, value: status.countedPlays })));
      }
      if (status.owned || status.ownTrack) {
        actions.append(
          el('button', { type: 'button', class: 'secondary', 'data-download': 'opus', 'aria-label': `Download ${track.title} as tagged Opus`,
            onclick: () => download(`/api/v1/tracks/${encodeURIComponent(track.id)}/download`, `${track.title}.opus`).catch((error) => toast(error.message)) },
          'Opus'),
          el('button', { type: 'button', class: 'secondary', 'data-download': 'original', 'aria-label': `Download the original file of ${track.title}`,
            onclick: () => download(`/api/v1/tracks/${encodeURIComponent(track.id)}/original`, track.title).catch((error) => toast(error.message)) },
          'Original'));
      }
      element.dataset.owned = String(status.owned || status.ownTrack);
      return status.owned || status.ownTrack;
    } catch (error) {
      price.textContent = `unknown (${error.message})`;
      return false;
    }
  }
  return { element, loadOwnership };
}

/** Every credit of every track, grouped by name: who did what on which tracks. */
function creditsSection(tracks) {
  const byName = new Map();
  for (const track of tracks) {
    for (const credit of track.credits || []) {
      const key = `${credit.name}\u0000${credit.role}`;
      if (!byName.has(key)) byName.set(key, { ...credit, tracks: [] });
      byName.get(key).tracks.push(track.title);
    }
  }
  if (byName.size === 0) return null;
  const items = [...byName.values()].map((credit) => el('li', {},
    el('strong', {}, credit.name), ` — ${credit.role}`,
    credit.tracks.length < tracks.length ? el('span', { class: 'muted' }, ` (${credit.tracks.join(', ')})`) : null));
  return el('section', { 'aria-labelledby': 'credits-heading' },
    el('h2', { id: 'credits-heading' }, 'Credits'), el('ul', { id: 'release-credits' }, items));
}
