// The bots (each bot is also a widget): list, create, delete.

import { h, replace } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api } from '/dashboard/api.js';
import { badge, button, busy, confirmDialog, emptyState, errorBox, field, loadInto, loading, openDialog, toast } from '/dashboard/ui.js';
import { relativeTime, formatDateTime } from '/dashboard/format.js';
import { botHref } from '/dashboard/router.js';

const GUIDE_HIDDEN = 'baton.gettingStartedHidden';
const guideHidden = () => { try { return localStorage.getItem(GUIDE_HIDDEN) === '1'; } catch { return false; } };

export function mountBots(main) {
  document.title = 'Bots · Baton';
  const list = h('div', { class: 'bot-list', 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading bots…'));
  const guide = h('div', { class: 'getting-started-slot' });
  const newButton = button('New bot', { variant: 'primary', iconName: 'plus', onclick: () => newBotDialog() });
  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-header' },
      h('div', {}, h('h1', {}, 'Bots'), h('p', { class: 'page-subtitle' }, 'Each bot is a chat widget for a website, with its own Mattermost connection.')),
      newButton),
    guide,
    list));

  let alive = true;
  let bots = [];
  load();

  function load() {
    return loadInto(list, { fetch: () => api.bots(), show: (data) => { bots = data.bots; draw(); }, label: 'Loading bots…', isAlive: () => alive });
  }

  function draw() {
    replace(guide, gettingStarted(bots));
    if (bots.length === 0) {
      replace(list, emptyState('No bots yet', 'Create a bot to get a chat widget for your website.',
        button('New bot', { variant: 'primary', iconName: 'plus', onclick: () => newBotDialog() })));
      return;
    }
    replace(list, h('ul', { class: 'cards', role: 'list' }, bots.map(botCard)));
  }

  // What a new owner does next, until one of the bots is connected to Mattermost (or the
  // guide is hidden): a first admin otherwise lands on a list with the demo bot in it and
  // nothing that says where the widget's snippet or the Mattermost connection are.
  function gettingStarted(all) {
    if (all.length === 0 || all.some((b) => b.mattermost && b.mattermost !== 'none') || guideHidden()) return null;
    const bot = all.find((b) => b.key === 'demo') || all[0];
    const step = (title, text, href, label, link = h('a', { href }, label)) => h('li', {},
      h('p', { class: 'step-title' }, title), h('p', { class: 'step-text' }, text, ' ', link));
    // The bare preview page has no way back to the dashboard: it opens in a tab of its own.
    const tryIt = h('a', { href: `/preview/${encodeURIComponent(bot.key)}`, target: '_blank', rel: 'noopener' },
      'Try it', h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'));
    const hide = button('Hide', { variant: 'ghost', onclick: () => {
      try { localStorage.setItem(GUIDE_HIDDEN, '1'); } catch { /* private mode: hidden until the next visit */ }
      replace(guide);
      newButton.focus();
    } });
    return h('section', { class: 'card card-padded getting-started', 'aria-labelledby': 'getting-started-title' },
      h('div', { class: 'getting-started-head' }, h('h2', { id: 'getting-started-title' }, 'Getting started'), hide),
      h('ol', {},
        step('Try the bot', `${bot.name} answers in its widget, as visitors will see it (your chats there are tries, not counted).`,
          null, null, tryIt),
        step('Put it on your site', 'Copy the widget’s snippet into your pages, and say which sites may embed it.', botHref(bot.key, 'widget'), 'Widget settings'),
        step('Hand chats to people', 'Connect Mattermost, so that agents take over when the bot cannot help.', botHref(bot.key, 'platforms'), 'Connect Mattermost'),
        step('Teach it your answers', 'Change its questions, answers and hand-over questions.', botHref(bot.key, 'bot'), 'Edit the bot')));
  }

  function botCard(bot) {
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = /^#[0-9a-fA-F]{6}$/.test(bot.color) ? bot.color : '#3b5bdb';
    const del = h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Delete ${bot.name}`, title: 'Delete',
      onclick: () => deleteDialog(bot) }, icon('trash'));
    return h('li', { class: 'card bot-card' },
      h('div', { class: 'bot-card-top' },
        swatch,
        h('div', { class: 'bot-card-names' },
          h('h2', { class: 'bot-card-name' }, h('a', { href: botHref(bot.key), class: 'stretched', title: bot.name }, bot.name)),
          h('p', { class: 'bot-card-key' }, h('span', { class: 'visually-hidden' }, 'Key: '), h('code', {}, bot.key))),
        del),
      h('div', { class: 'bot-card-meta' },
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Mattermost'), badge('mattermost', bot.mattermost)),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Updated'),
          h('time', { datetime: new Date(bot.updatedAt).toISOString(), title: formatDateTime(bot.updatedAt) }, relativeTime(bot.updatedAt)))));
  }

  function newBotDialog() {
    const d = openDialog({ title: 'New bot', description: 'It starts from a small example you can change in the editor.', className: 'dialog-small' });
    const name = field('Name', h('input', { class: 'input', type: 'text', maxlength: '100', autocomplete: 'off', required: true }),
      { hint: 'For you; visitors see the widget title.' });
    const key = field('Key', h('input', { class: 'input mono', type: 'text', maxlength: '64', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9_-]{1,64}' }),
      { optional: true, hint: 'Letters, digits, - and _. Used in the embed snippet; chosen for you when empty.' });
    const error = errorBox();
    const create = button('Create bot', { variant: 'primary', type: 'submit' });
    const form = h('form', { class: 'stack', novalidate: true }, name.root, key.root, error.root);
    form.id = `new-bot-${Date.now()}`;
    create.setAttribute('form', form.id);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.clear();
      name.setError(null);
      key.setError(null);
      const body = { name: name.input.value.trim() };
      const k = key.input.value.trim();
      if (!body.name) { name.setError('Give the bot a name.'); name.input.focus(); return; }
      if (k && !/^[A-Za-z0-9_-]{1,64}$/.test(k)) { key.setError('Use only letters, digits, - and _.'); key.input.focus(); return; }
      if (k) body.key = k;
      try {
        const bot = await busy(create, 'Creating…', () => api.createBot(body));
        d.close();
        toast(`Created ${bot.name}`);
        location.hash = botHref(bot.key);
      } catch (err) {
        const fields = { name, key };
        let shown = false;
        for (const issue of err.issues) {
          if (fields[issue.path]) { fields[issue.path].setError(issue.message); shown = true; }
        }
        if (err.status === 409 && !shown) { key.setError(err.message); shown = true; }
        if (shown) (fields[(err.issues[0] || {}).path] || key).input.focus();
        else error.show(err.message);
      }
    });
    d.body.append(form);
    d.footer.append(button('Cancel', { onclick: () => d.close() }), create);
  }

  function deleteDialog(bot) {
    confirmDialog({
      title: `Delete ${bot.name}?`,
      text: 'The widget stops working on every site that embeds it, and its Mattermost connection is removed. Its conversations are kept for the record.',
      confirmLabel: 'Delete bot',
      typeToConfirm: bot.key,
      returnFocus: () => list.querySelector('.bot-card a') || newButton,
      action: async () => {
        await api.deleteBot(bot.key);
        bots = bots.filter((b) => b.key !== bot.key);
        draw();
        toast(`Deleted ${bot.name}`);
      },
    });
  }

  return { unmount() { alive = false; } };
}
