// Step 1 of the Mattermost wizard: the server's address and the relay user's credential
// (a password, or an access token). When editing, an empty secret keeps the stored one.

import { h, uid } from '/dashboard/dom.js';
import { field } from '/dashboard/ui.js';

export function mattermostServerForm({ connection = null, onEdit = () => {}, onAuthChange = () => {} }) {
  const keepAuth = connection && connection.connected ? connection.auth || 'password' : null;
  const url = field('Mattermost hostname', h('input', {
    class: 'input', type: 'url', maxlength: '2048', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://chat.example.com', value: keepAuth ? connection.url || '' : '',
  }), { hint: 'The address you open Mattermost with. Baton reaches it from this server: Mattermost’s CORS setting needs nothing for Baton.' });
  const useToken = h('input', { type: 'checkbox', id: uid('tok'), checked: keepAuth === 'token' });
  const username = field('Relay username', h('input', {
    class: 'input', type: 'text', maxlength: '64', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
    value: keepAuth ? connection.relayUser || '' : '',
  }), { hint: 'The Mattermost account Baton posts as (the Bot/Widget Mattermost User). It must be a system admin.' });
  const password = field('Password', h('input', { class: 'input', type: 'password', maxlength: '1024', autocomplete: 'new-password' }),
    { hint: keepAuth === 'password' ? 'Leave empty to keep the current password.' : null });
  const token = field('Access token', h('input', { class: 'input mono', type: 'password', maxlength: '1024', autocomplete: 'off', spellcheck: 'false' }),
    { hint: keepAuth === 'token' ? 'Leave empty to keep the current token.' : 'A personal access token or bot token of an admin account.' });

  const showAuth = () => {
    username.root.hidden = useToken.checked;
    password.root.hidden = useToken.checked;
    token.root.hidden = !useToken.checked;
  };
  useToken.addEventListener('change', () => { showAuth(); onAuthChange(); onEdit(); });
  for (const f of [url, username, password, token]) f.input.addEventListener('input', onEdit);
  showAuth();

  // https:// added to a bare host name; the scheme looked for before trailing slashes
  // go ("http://" became "http:", then "https://http:", a server named "http").
  function normalizeURL(value) {
    const trimmed = value.trim();
    const v = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : trimmed.replace(/\/+$/, '');
    return v && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? `https://${v}` : v;
  }

  /** The `server` object of the API: {url, username, password} or {url, token}. */
  function payload() {
    const server = { url: normalizeURL(url.input.value) };
    if (useToken.checked) {
      if (token.input.value.trim()) server.token = token.input.value.trim();
    } else {
      server.username = username.input.value.trim().replace(/^@/, '');
      if (password.input.value) server.password = password.input.value;
    }
    return server;
  }

  /** Marks what is missing; returns the first field to fix, or null. */
  function validate() {
    for (const f of [url, username, password, token]) f.setError(null);
    const server = payload();
    let first = null;
    const fail = (f, message) => { f.setError(message); first = first || f; };
    if (!server.url) fail(url, 'Enter the address of your Mattermost.');
    else if (!/^https?:\/\//i.test(server.url)) fail(url, 'Use an http:// or https:// address.');
    else if (!/^https?:\/\/[^\s/]+/i.test(server.url)) fail(url, 'Give the server’s name after the ://, such as https://chat.example.com.');
    if (useToken.checked) {
      if (!server.token && keepAuth !== 'token') fail(token, 'Paste the access token.');
    } else {
      if (!server.username) fail(username, 'Enter the relay user’s username.');
      if (!server.password && keepAuth !== 'password') fail(password, 'Enter the relay user’s password.');
    }
    if (!first && url.input.value !== server.url) url.input.value = server.url;
    return first;
  }

  return {
    nodes: [url.root, h('label', { class: 'check' }, useToken, ' Use an access token instead of a password'),
      username.root, password.root, token.root],
    payload,
    validate,
    focus: () => url.input.focus(),
    /** Forgets the secrets (the wizard is closing). */
    clearSecrets() { password.input.value = ''; token.input.value = ''; },
  };
}
