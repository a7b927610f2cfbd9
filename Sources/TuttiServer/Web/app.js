// The page shell: which view the address names, what the navigation offers, and the player
// that keeps playing while the listener moves between views.
import { session } from './api.js';
import { renderSignIn, renderSignUp, logOut } from './auth.js';
import { renderCatalog } from './catalog.js';
import { Player } from './player.js';
import { renderWallet, renderLibrary } from './wallet.js';
import { renderArtist } from './artist.js';
import { canReadGovernance, renderMembers } from './governance.js';
import { renderSplits } from './splits.js';
import { el } from './format.js';

const player = new Player();
const main = document.getElementById('main');

/** Each view: who may see it, its title, and how it draws itself into <main>. */
const views = {
  '#/': { title: 'Catalog', render: () => renderCatalog(main, player) },
  '#/signin': { title: 'Log in', when: 'signed-out', render: () => renderSignIn(main) },
  '#/signup': { title: 'Sign up', when: 'signed-out', render: () => renderSignUp(main) },
  '#/library': { title: 'My tracks', when: 'signed-in', render: () => renderLibrary(main, player) },
  '#/wallet': { title: 'Wallet', when: 'signed-in', render: () => renderWallet(main) },
  '#/artist': { title: 'Artist', when: 'artist', render: () => renderArtist(main) },
  '#/members': { title: 'Members', when: 'member', render: () => renderMembers(main) },
  '#/splits': { title: 'Splits', when: 'signed-in', render: () => renderSplits(main) },
};

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

function currentRoute() {
  return views[location.hash] ? location.hash : '#/';
}

async function route() {
  const view = views[currentRoute()];
  updateNavigation();
  await refreshMembership();
  if (view !== views[currentRoute()]) return;  // the address changed meanwhile
  updateNavigation();
  if (!allowed(view.when)) {
    main.replaceChildren(el('h1', {}, view.title),
      view.when === 'signed-out'
        ? el('p', {}, 'You are signed in already. ', el('a', { href: '#/' }, 'Go to the catalog'))
        : view.when === 'member' && session.get()?.user
          ? el('p', {}, 'This page is for members: artists with at least one published track.')
          : el('p', {}, 'Please ', el('a', { href: '#/signin' }, 'log in'), view.when === 'artist' ? ' with an artist account' : '', ' to see this page.'));
  } else {
    view.render();
  }
  document.title = `${view.title} · Tutti`;
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
window.addEventListener('tutti:session', route);
window.addEventListener('tutti:wallet', () => { if (location.hash === '#/wallet' || location.hash === '#/library') route(); });
document.getElementById('logout').addEventListener('click', () => logOut());
route().then(() => { document.documentElement.dataset.ready = 'true'; });
