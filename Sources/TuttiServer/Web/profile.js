// An artist's public page: avatar, name, location, bio, links and releases.
import { api, session } from './api.js';
import { el, picture, plural } from './format.js';
import { releaseCard } from './catalog.js';
import { favouriteState, starButton } from './library.js';

export async function renderProfile(main, player, id) {
  main.replaceChildren(el('p', { class: 'muted', role: 'status' }, 'Loading the artist…'));
  let artist;
  try {
    artist = await api(`/api/v1/artists/${encodeURIComponent(id)}`);
  } catch (error) {
    main.replaceChildren(el('h1', {}, 'Artist'), el('p', { class: 'error' },
      error.status === 404 ? 'There is no such artist, or they have published nothing yet.' : `The artist could not be loaded: ${error.message}`));
    return 'Artist';
  }
  const user = session.get()?.user;
  const releases = artist.releases || [];
  const links = artist.links || [];
  const star = el('p', { id: 'artist-star' });
  main.replaceChildren(el('article', { class: 'profile', 'data-artist': artist.id },
    el('div', { class: 'profile-head' },
      picture(artist.avatarSizes, { size: 200, sizesAttribute: '(max-width: 40rem) 40vw, 12rem', alt: `Picture of ${artist.displayName}`, id: 'artist-avatar', className: 'avatar', loading: 'eager' }),
      el('div', {},
        el('h1', {}, artist.displayName),
        el('p', { class: 'muted' }, `@${artist.username}`, artist.location ? ` · ${artist.location}` : ''),
        user?.id === artist.id ? el('p', {}, el('a', { href: '#/artist/profile' }, 'Edit your profile')) : null,
        user ? star : null,
        el('p', { class: 'muted' }, 'Link to share: ',
          el('a', { href: `/artists/${encodeURIComponent(artist.id)}`, id: 'artist-share' }, `${location.origin}/artists/${artist.id}`)))),
    artist.bio ? el('p', { class: 'prose', id: 'artist-bio' }, artist.bio) : null,
    links.length ? el('section', { 'aria-labelledby': 'links-heading' },
      el('h2', { id: 'links-heading' }, 'Links'),
      el('ul', { id: 'artist-links' }, links.map((link) => el('li', {},
        el('a', { href: link.url, rel: 'me noopener noreferrer', target: '_blank' }, link.label || link.url))))) : null,
    el('section', { 'aria-labelledby': 'artist-releases-heading' },
      el('h2', { id: 'artist-releases-heading' }, `Releases (${releases.length})`),
      releases.length ? el('ul', { class: 'grid', id: 'artist-releases' }, releases.map((release) => releaseCard(release, player)))
        : el('p', { class: 'muted' }, 'Nothing published yet.')),
    el('p', { class: 'muted' }, plural(artist.trackCount, 'track'), ' in all.')));
  if (user) {
    favouriteState('artist', artist.id)
      .then((pressed) => star.replaceChildren(starButton('artist', artist.id, artist.displayName, pressed)))
      .catch((error) => star.replaceChildren(el('span', { class: 'muted' }, `Favourites could not be loaded: ${error.message}`)));
  }
  return artist.displayName;
}
