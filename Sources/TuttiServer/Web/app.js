// The page shell: which view the address names, what the navigation offers, and the player
// that keeps playing while the listener moves between views.
import { session } from './api.js';
import { renderSignIn, renderSignUp, logOut } from './auth.js';
import { renderCatalog } from './catalog.js';
import { Player } from './player.js';
import { renderWallet, renderLibrary } from './wallet.js';
import { renderArtist } from './artist.js';
import { renderRelease } from './release.js';
import { renderProfile } from './profile.js';
import { renderEditProfile, renderEditRelease, renderNewRelease, renderReleaseUpload } from './studio.js';
import { canReadGovernance, renderMembers } from './governance.js';
import { renderSplits } from './splits.js';
import { el } from './format.js';
import { renderListenerLibrary, renderPlaylist } from './library.js';

// A shared link names a page by its path (`/releases/ID`: the server answers it with this
// shell and the page's preview tags, for link-preview bots that run no script); the views
// live in the fragment, so the address becomes the view's own.
const shared = /^\/(releases|artists|playlists)\/([\w-]+)\/?$/.exec(location.pathname);
if (shared) {
  const [, kind, id] = shared;
  history.replaceState(null, '', `/${location.hash || (kind === 'playlists' ? `#/playlist?id=${id}` : `#/${kind}/${id}`)}`);
}

const player = new Player();
const main = document.getElementById('main');

/**
 * Each view: its address (a pattern whose groups are passed on), who may see it, its title,
 * and how it draws itself into <main> (a view may answer a better title, e.g. the release's).
 */
const views = [
  { path: '#/', title: 'Catalog', render: () => renderCatalog(main, player) },
  { path: '#/signin', title: 'Log in', when: 'signed-out', render: () => renderSignIn(main) },
  { path: '#/signup', title: 'Sign up', when: 'signed-out', render: () => renderSignUp(main) },
  { path: '#/library', title: 'My tracks', when: 'signed-in', render: () => renderLibrary(main, player) },
  { path: '#/my-library', title: 'Library', when: 'signed-in', render: () => renderListenerLibrary(main) },
  { path: '#/playlist', title: 'Playlist', render: () => renderPlaylist(main) },
  { path: '#/wallet', title: 'Wallet', when: 'signed-in', render: () => renderWallet(main) },
  { path: '#/artist', title: 'Artist', when: 'artist', render: () => renderArtist(main) },
  { path: '#/artist/upload', title: 'Upload a release', when: 'artist', nav: '#/artist', render: () => renderReleaseUpload(main) },
  { path: '#/artist/releases/new', title: 'New release', when: 'artist', nav: '#/artist', render: () => renderNewRelease(main) },
  { pattern: /^#\/artist\/releases\/([\w-]+)$/, title: 'Edit release', when: 'artist', nav: '#/artist', render: (id) => renderEditRelease(main, id) },
  { path: '#/artist/profile', title: 'Your profile', when: 'artist', nav: '#/artist', render: () => renderEditProfile(main) },
  { pattern: /^#\/releases\/([\w-]+)$/, title: 'Release', nav: '#/', render: (id) => renderRelease(main, player, id) },
  { pattern: /^#\/artists\/([\w-]+)$/, title: 'Artist', nav: '#/', render: (id) => renderProfile(main, player, id) },
  { path: '#/members', title: 'Members', when: 'member', render: () => renderMembers(main) },
  { path: '#/splits', title: 'Splits', when: 'signed-in', render: () => renderSplits(main) },
];

/** The view the address names (the catalog for anything unknown) and its arguments. */
function match(hash) {
  // A view's own query (`#/playlist?id=...`) is its business, not part of its address.
  const bare = hash.split('?')[0];
  for (const view of views) {
    if (view.path === bare) return { view, parameters: [] };
    const found = view.pattern?.exec(bare);
    if (found) return { view, parameters: found.slice(1).map(decodeURIComponent) };
  }
  return { view: views[0], parameters: [] };
}

/** Whether the signed-in user is a member (or an admin), as the API last said, and for whom. */
let membership = { userID: null, member: false };

/** Asks the API again (an artist becomes a member by publishing a first track). */
async function refreshMembership() {
  const user = session.get()?.user;
  let member = false;
  try { member = await canReadGovernance(); } catch { member = membership.userID === user?.id && membership.member; }
  membership = { userID: user?.id ?? null, member };
}

function allowed(when) {
  const user = session.get()?.user;
  switch (when) {
    case 'signed-in': return Boolean(user);
    case 'signed-out': return !user;
    case 'artist': return user?.role === 'artist' || user?.role === 'admin';
    case 'member': return Boolean(user) && membership.userID === user.id && membership.member;
    default: return true;
  }
}

function updateNavigation() {
  for (const item of document.querySelectorAll('[data-when]')) item.hidden = !allowed(item.dataset.when);
  const user = session.get()?.user;
  document.getElementById('whoami').textContent = user ? `Signed in as ${user.displayName} (${user.role})` : '';
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === currentRoute()) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** The navigation entry the current view belongs to. */
function currentRoute() {
  const { view } = match(location.hash);
  return view.nav || view.path;
}

async function route() {
  const hash = location.hash;
  const { view, parameters } = match(hash);
  updateNavigation();
  await refreshMembership();
  if (hash !== location.hash) return;  // the address changed meanwhile
  updateNavigation();
  if (!allowed(view.when)) {
    main.replaceChildren(el('h1', {}, view.title),
      view.when === 'signed-out'
        ? el('p', {}, 'You are signed in already. ', el('a', { href: '#/' }, 'Go to the catalog'))
        : view.when === 'member' && session.get()?.user
          ? el('p', {}, 'This page is for members: artists with at least one published track.')
          : el('p', {}, 'Please ', el('a', { href: '#/signin' }, 'log in'), view.when === 'artist' ? ' with an artist account' : '', ' to see this page.'));
    document.title = `${view.title} · Tutti`;
  } else {
    document.title = `${view.title} · Tutti`;
    const title = await view.render(...parameters);
    if (hash !== location.hash) return;
    if (typeof title === 'string') document.title = `${title} · Tutti`;
    main.dataset.view = view.path || view.pattern.source;
  }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
window.addEventListener('tutti:session', route);
window.addEventListener('tutti:wallet', () => { if (['#/wallet', '#/library', '#/my-library'].includes(location.hash)) route(); });
document.getElementById('logout').addEventListener('click', () => logOut());
route().then(() => { document.documentElement.dataset.ready = 'true'; });
