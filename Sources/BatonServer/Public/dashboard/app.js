// The dashboard: finds out whether someone is signed in (or whether the first admin must
// be created), draws the top bar and routes #/… to the views.

import { h, replace } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api, setCsrfToken, onSessionLost } from '/dashboard/api.js';
import { errorBox, button, closeAllDialogs, openDialog } from '/dashboard/ui.js';
import { parseRoute } from '/dashboard/router.js';
import { renderSignIn, renderSetup, signInForm } from '/dashboard/views/sign-in.js';
import { mountBots } from '/dashboard/views/bots.js';
import { mountBotPage } from '/dashboard/views/bot-page.js';
import { mountConversations } from '/dashboard/views/conversations.js';
import { mountTranscript } from '/dashboard/views/transcript.js';
import { mountAdmins } from '/dashboard/views/admins.js';
import { mountInsights } from '/dashboard/views/insights.js';
import { openPasswordDialog } from '/dashboard/views/password-dialog.js';

const app = document.getElementById('app');
let session = null;
let shell = null;        // {main, nav links, menu}
let current = null;      // the mounted view: {route, unmount, update?, isDirty?}
let currentHash = '';

// The server prints /dashboard/#setup=TOKEN at first start; keep the token in memory and
// take it out of the address bar.
let setupToken = null;
{
  const match = /^#setup=([^&]+)/.exec(location.hash);
  if (match) {
    setupToken = decodeURIComponent(match[1]);
    history.replaceState(null, '', `${location.pathname}#/bots`);
  }
}

document.getElementById('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  const target = app.querySelector('h1') || app.querySelector('main');
  if (target) { target.setAttribute('tabindex', '-1'); target.focus(); }
});

onSessionLost(() => {
  if (!session) return;
  const address = session.admin.email;
  session = null;
  setCsrfToken(null);
  if (current && current.isDirty && current.isDirty()) signInOverPage(address);
  else showSignIn('Your session has ended. Sign in again to continue.');
});

// The session ended (12 hours, a sign-out elsewhere) while the page holds unsaved changes:
// the sign-in opens over it, and the page goes on, its changes kept, once it is done.
// Closed without signing in, the page gives way to the sign-in as usual.
function signInOverPage(address) {
  let done = false;
  const d = openDialog({
    title: 'Sign in again',
    description: 'Your session has ended. Your unsaved changes are still here: sign in, then save them.',
    className: 'dialog-small',
    onClose: () => { if (!done && !session) showSignIn('Your session has ended. Sign in again to continue.'); },
    initialFocus: () => d && (d.body.querySelector('input[type=password]')),
  });
  const { form } = signInForm({
    address,
    onDone: (s) => {
      done = true;
      session = s;
      setCsrfToken(s.csrfToken);
      const shown = document.querySelector('.account-email');
      if (shown) shown.textContent = s.admin.email;
      d.close();
    },
  });
  d.body.append(form);
}

window.addEventListener('beforeunload', (event) => {
  if (current && current.isDirty && current.isDirty()) { event.preventDefault(); event.returnValue = ''; }
});

window.addEventListener('hashchange', () => { if (session) route(); });

boot();

async function boot() {
  try {
    const s = await api.session();
    signedIn(s);
  } catch (error) {
    if (error.status === 401) {
      await showSignedOut();
    } else {
      showFatal(error.message);
    }
  }
}

async function showSignedOut(notice = null) {
  try {
    const setup = await api.setup();
    if (setup.needed) {
      renderSetup(app, { token: setupToken || '', onDone: signedIn });
      return;
    }
  } catch (error) {
    showFatal(error.message);
    return;
  }
  showSignIn(notice || (setupToken ? 'This Baton already has an admin. Sign in.' : null));
}

function showSignIn(notice = null) {
  closeAllDialogs();
  unmountCurrent();
  shell = null;
  document.title = 'Sign in · Baton';
  renderSignIn(app, { notice, onDone: signedIn });
}

function showFatal(message) {
  const box = errorBox();
  box.show(message);
  replace(app, h('main', { class: 'auth' }, h('div', { class: 'card auth-card' },
    h('h1', { class: 'auth-title' }, 'The dashboard could not start'), box.root,
    button('Try again', { variant: 'primary', onclick: () => location.reload() }))));
}

function signedIn(s) {
  session = s;
  setCsrfToken(s.csrfToken);
  setupToken = null;
  buildShell();
  if (!location.hash || location.hash === '#' || location.hash === '#/') history.replaceState(null, '', '#/bots');
  route();
}

function buildShell() {
  unmountCurrent();
  const links = {
    bots: h('a', { href: '#/bots', class: 'nav-link' }, icon('bot'), 'Bots'),
    conversations: h('a', { href: '#/conversations', class: 'nav-link' }, icon('chat'), 'Conversations'),
    insights: h('a', { href: '#/insights', class: 'nav-link' }, icon('chart'), 'Insights'),
    admins: h('a', { href: '#/admins', class: 'btn btn-ghost account-link' }, 'Admins'),
  };
  const menu = h('div', { class: 'topbar-menu', id: 'topbar-menu' },
    h('nav', { class: 'nav', 'aria-label': 'Main' }, links.bots, links.conversations, links.insights),
    h('div', { class: 'account' },
      h('span', { class: 'account-email', title: 'Signed in as' }, session.admin.email),
      links.admins,
      button('Password', { variant: 'ghost', onclick: changePassword, title: 'Change your password' }),
      button('Sign out', { variant: 'ghost', iconName: 'signOut', onclick: signOut })));
  const menuButton = h('button', { type: 'button', class: 'btn btn-ghost menu-button', 'aria-expanded': 'false', 'aria-controls': 'topbar-menu',
    onclick: () => setMenu(menuButton.getAttribute('aria-expanded') !== 'true') }, icon('menu'), 'Menu');
  // Open, the menu closes on Escape wherever the focus is (the Menu button too, which
  // then has it), and on a tap or click outside it (on the page it covers).
  const onKey = (event) => {
    if (!menu.isConnected) { setMenu(false); return; } // the dashboard was drawn anew (signed out)
    if (event.key !== 'Escape' || event.defaultPrevented || document.querySelector('dialog[open]')) return;
    setMenu(false);
    menuButton.focus();
  };
  const onPointer = (event) => {
    if (!menu.contains(event.target) && !menuButton.contains(event.target)) setMenu(false);
  };
  const setMenu = (open) => {
    const wasOpen = menu.classList.contains('open');
    menuButton.setAttribute('aria-expanded', String(open));
    menu.classList.toggle('open', open);
    if (open && !wasOpen) {
      document.addEventListener('keydown', onKey);
      document.addEventListener('pointerdown', onPointer);
    } else if (!open && wasOpen) {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    }
  };
  menu.addEventListener('click', (event) => { if (event.target.closest('a')) setMenu(false); });
  // Tabbing out of the open menu (on a phone, over the page) closes it: the control that
  // gets the focus must not be hidden under it.
  menu.addEventListener('focusout', (event) => {
    const next = event.relatedTarget;
    if (menu.classList.contains('open') && next && !menu.contains(next) && next !== menuButton) setMenu(false);
  });
  const main = h('main', { id: 'main', class: 'main' });
  replace(app,
    h('header', { class: 'topbar' }, h('div', { class: 'topbar-inner' },
      h('a', { href: '#/bots', class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'B'), 'Baton'),
      menuButton, menu)),
    main);
  shell = { main, links, setMenu };
}

function changePassword() {
  openPasswordDialog({
    email: session.admin.email,
    onChanged: (s) => { session = s; setCsrfToken(s.csrfToken); },
  });
}

async function signOut() {
  if (current && current.isDirty && current.isDirty() && !window.confirm('You have unsaved changes. Sign out anyway?')) return;
  try { await api.signOut(); } catch { /* signed out either way */ }
  session = null;
  setCsrfToken(null);
  history.replaceState(null, '', '#/bots');
  showSignIn('You are signed out.');
}

function unmountCurrent() {
  if (current) { current.unmount(); current = null; }
}

function route() {
  if (!shell) return;
  const next = parseRoute(location.hash);
  if (current && current.isDirty && current.isDirty() && !(current.update && current.update(next, { dryRun: true }))) {
    if (!window.confirm('You have unsaved changes. Leave this page anyway?')) {
      history.replaceState(null, '', (current.href && current.href()) || currentHash);
      return;
    }
  }
  currentHash = location.hash;
  if (next.redirect) { history.replaceState(null, '', next.redirect); route(); return; }
  for (const [name, link] of Object.entries(shell.links)) {
    if (name === next.section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  shell.setMenu(false);
  if (current && current.update && current.update(next)) return;
  // A dialog belongs to the page it was opened on (Back with one open leaves both).
  closeAllDialogs();
  unmountCurrent();
  const mounts = { bots: mountBots, bot: mountBotPage, conversations: mountConversations, transcript: mountTranscript, insights: mountInsights, admins: mountAdmins };
  const mount = mounts[next.view];
  replace(shell.main);
  if (!mount) {
    document.title = 'Not found · Baton';
    shell.main.append(h('div', { class: 'page' }, h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, 'There is nothing at this address. ', h('a', { href: '#/bots' }, 'Go to your bots'), '.')));
    current = null;
    return;
  }
  current = mount(shell.main, next);
  current.route = next;
  // Tell screen readers (and keyboard users) that the page changed.
  requestAnimationFrame(() => {
    const heading = shell && shell.main.querySelector('h1');
    if (heading && !shell.main.contains(document.activeElement)) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  });
}
