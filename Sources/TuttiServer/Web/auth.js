// Sign-up, log-in and log-out.
import { answered, api, session, ApiError } from './api.js';
import { el, toast } from './format.js';

function errorLine() {
  return el('p', { class: 'error', role: 'alert', hidden: true });
}

function showError(line, error) {
  line.textContent = error instanceof ApiError ? error.message : 'Something went wrong; try again.';
  line.hidden = false;
}

async function logIn(username, password) {
  const created = await api('/api/v1/sessions', { method: 'POST', json: { username, password } });
  session.set({ token: created.token, expiresAt: created.expiresAt, user: created.user });
  return created.user;
}

export function renderSignIn(main) {
  const error = errorLine();
  const form = el('form', { class: 'stack panel', id: 'signin-form' },
    el('label', {}, 'Username', el('input', { type: 'text', name: 'username', id: 'signin-username', autocomplete: 'username', required: true })),
    el('label', {}, 'Password', el('input', { type: 'password', name: 'password', id: 'signin-password', autocomplete: 'current-password', required: true })),
    error,
    el('button', { type: 'submit' }, 'Log in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const user = await logIn(form.username.value, form.password.value);
      toast(`Welcome back, ${user.displayName}.`);
      location.hash = user.role === 'artist' ? '#/artist' : '#/';
    } catch (failure) {
      showError(error, failure);
    }
  });
  main.replaceChildren(el('h1', {}, 'Log in'), form,
    el('p', {}, 'New here? ', el('a', { href: '#/signup' }, 'Create an account')));
}

export function renderSignUp(main) {
  const error = errorLine();
  const form = el('form', { class: 'stack panel', id: 'signup-form' },
    el('label', {}, 'Username', el('input', { type: 'text', name: 'username', id: 'signup-username', autocomplete: 'username', required: true })),
    el('label', {}, 'Display name (optional)', el('input', { type: 'text', name: 'displayName', autocomplete: 'nickname' })),
    el('label', {}, 'Password (8 to 72 characters)',
      el('input', { type: 'password', name: 'password', id: 'signup-password', autocomplete: 'new-password', minlength: 8, maxlength: 72, required: true })),
    el('fieldset', {}, el('legend', {}, 'I am'),
      el('label', {}, el('input', { type: 'radio', name: 'role', value: 'listener', checked: true }), 'a listener'),
      el('label', {}, el('input', { type: 'radio', name: 'role', value: 'artist' }), 'an artist (I upload music)')),
    error,
    el('button', { type: 'submit' }, 'Create account'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.username.value;
    const password = form.password.value;
    const displayName = form.displayName.value.trim() || undefined;
    try {
      await api('/api/v1/users', { method: 'POST', json: { username, password, displayName, role: form.role.value } });
      const user = await logIn(username, password);
      toast(`Welcome to Tutti, ${user.displayName}.`);
      location.hash = user.role === 'artist' ? '#/artist' : '#/';
    } catch (failure) {
      showError(error, failure);
    }
  });
  main.replaceChildren(el('h1', {}, 'Create an account'), form,
    el('p', {}, 'Already have one? ', el('a', { href: '#/signin' }, 'Log in')));
}

/**
 * Forgets the session at once (the views that need it leave, later requests go without it),
 * then revokes its token once the requests already sent with it have their answers.
 */
export async function logOut() {
  const token = session.get()?.token;
  session.clear();
  toast('You are logged out.');
  location.hash = '#/';
  if (!token) return;
  await answered(token);
  try {
    await api('/api/v1/sessions/current', { method: 'DELETE', token });
  } catch {
    // The token is forgotten here whatever the server says.
  }
}
