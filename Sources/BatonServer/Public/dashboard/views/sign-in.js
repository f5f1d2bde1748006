// Sign in, and the first run's "Create the first admin".

import { h, replace } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { field, errorBox, button, busy, showRefusal, PASSWORD_RULES } from '/dashboard/ui.js';

function authCard(title, subtitle, ...content) {
  return h('main', { class: 'auth', id: 'main' },
    h('div', { class: 'card auth-card' },
      h('div', { class: 'auth-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'B'), 'Baton'),
      h('h1', { class: 'auth-title' }, title),
      subtitle ? h('p', { class: 'auth-subtitle' }, subtitle) : null,
      ...content));
}

export function renderSignIn(root, { notice = null, onDone }) {
  const { form, email } = signInForm({ notice, onDone });
  replace(root, authCard('Sign in', 'The admin dashboard of your Baton server.', form));
  email.input.focus();
}

/**
 * The sign-in form alone (for a dialog over a page whose session ended): `email` fills in
 * the address; the focus goes to the first empty field.
 */
export function signInForm({ notice = null, onDone, address = '' }) {
  const email = field('Email', h('input', { class: 'input', type: 'email', name: 'email', autocomplete: 'username', required: true, value: address }));
  const password = field('Password', h('input', { class: 'input', type: 'password', name: 'password', autocomplete: 'current-password', required: true }));
  const error = errorBox();
  const submit = button('Sign in', { variant: 'primary', type: 'submit', class: 'btn btn-primary btn-block' });
  const info = notice ? h('div', { class: 'message message-info', role: 'status' }, notice) : null;
  let countdown = null;

  const form = h('form', { class: 'stack', novalidate: true }, info, email.root, password.root, error.root, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (countdown) return;
    error.clear();
    email.setError(null);
    password.setError(null);
    const e = email.input.value.trim();
    const p = password.input.value;
    if (!e) { email.setError('Enter your email address.'); email.input.focus(); return; }
    if (!p) { password.setError('Enter your password.'); password.input.focus(); return; }
    try {
      const s = await busy(submit, 'Signing in…', () => api.signIn(e, p));
      onDone(s);
    } catch (err) {
      // "You are signed out." no longer says where things stand: the refusal does.
      if (info) info.hidden = true;
      if (err.status === 429) {
        startCountdown(err.retryAfter || 30);
      } else {
        error.show(err.message);
        password.input.select();
        password.input.focus();
      }
    }
  });

  function startCountdown(seconds) {
    let left = seconds;
    const tick = () => {
      if (left <= 0) {
        clearInterval(countdown);
        countdown = null;
        submit.disabled = false;
        // Said, not just cleared: the message vanished and the form seemed to have reset.
        error.root.setAttribute('role', 'alert');
        error.show('Too many attempts. You can try again now.');
        return;
      }
      error.show(`Too many attempts, try again in ${left} s.`);
      // Announced once; the count then updates quietly.
      if (left < seconds) error.root.removeAttribute('role');
      submit.disabled = true;
      left -= 1;
    };
    tick();
    countdown = setInterval(() => { if (!form.isConnected) { clearInterval(countdown); countdown = null; return; } tick(); }, 1000);
  }

  return { form, email, password };
}

export function renderSetup(root, { token, onDone }) {
  const email = field('Email', h('input', { class: 'input', type: 'email', autocomplete: 'username', required: true }));
  const password = field('Password', h('input', { class: 'input', type: 'password', autocomplete: 'new-password', minlength: '10', required: true }),
    { hint: PASSWORD_RULES });
  const repeat = field('Repeat the password', h('input', { class: 'input', type: 'password', autocomplete: 'new-password', required: true }));
  const tokenField = field('Setup token', h('input', { class: 'input mono', type: 'text', autocomplete: 'off', spellcheck: 'false', value: token, required: true }),
    { hint: token ? 'Filled in from the link the server printed.'
      : ['Printed by ', h('code', {}, 'baton serve'), ' when it started, in the link ', h('code', {}, '/dashboard/#setup=…'), '.'] });
  const error = errorBox();
  const submit = button('Create the admin and sign in', { variant: 'primary', type: 'submit', class: 'btn btn-primary btn-block' });
  const form = h('form', { class: 'stack', novalidate: true }, email.root, password.root, repeat.root, tokenField.root, error.root, submit);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    for (const f of [email, password, repeat, tokenField]) f.setError(null);
    const e = email.input.value.trim();
    const p = password.input.value;
    const t = tokenField.input.value.trim();
    let first = null;
    const fail = (f, message) => { f.setError(message); first = first || f; };
    if (!e || !e.includes('@')) fail(email, 'Enter an email address.');
    if (p.length < 10) fail(password, 'Use at least 10 characters.');
    else if (repeat.input.value !== p) fail(repeat, 'The two passwords are different.');
    if (!t) fail(tokenField, 'Paste the setup token the server printed.');
    if (first) { first.input.focus(); return; }
    try {
      const s = await busy(submit, 'Creating…', () => api.createFirstAdmin({ token: t, email: e, password: p }));
      onDone(s);
    } catch (err) {
      if (err.status === 409) {
        renderSignIn(root, { notice: err.message, onDone });
        return;
      }
      showRefusal(err, { email, password }, error);
    }
  });

  document.title = 'Create the first admin · Baton';
  replace(root, authCard('Create the first admin', 'Welcome to Baton. This account signs in to the dashboard.', form));
  email.input.focus();
}
