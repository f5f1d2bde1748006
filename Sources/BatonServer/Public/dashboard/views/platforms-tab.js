// The Platforms tab: where the bot runs (the website) and its integrations (Mattermost).
// The Mattermost card shows the connection and its live status, refreshed every 5 s while
// the tab is on screen.

import { h, replace } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api } from '/dashboard/api.js';
import { badge, button, confirmDialog, errorBox, loading, toast } from '/dashboard/ui.js';
import { relativeTime, formatDateTime } from '/dashboard/format.js';
import { botHref } from '/dashboard/router.js';
import { openMattermostWizard } from '/dashboard/views/mattermost-wizard.js';
import { batonWidgetLanguages } from '/dashboard/widget-languages.js';

const languages = batonWidgetLanguages();

const POLL_MS = 5000;

export function mountPlatformsTab(panel, ctx) {
  let connection = null;
  let alive = true;
  let visible = true;
  let poller = null;
  let ticker = null;
  let justConnected = false;
  let configKey = null;

  const headerBadge = h('span', { class: 'card-badge' });
  const cardBody = h('div', { class: 'integration-body' }, loading('Loading the connection…'));
  const mattermostCard = h('article', { class: 'card integration', 'aria-labelledby': 'mm-title' },
    h('div', { class: 'integration-header' },
      h('span', { class: 'integration-logo' }, icon('mattermost')),
      h('div', { class: 'integration-names' },
        h('h3', { class: 'integration-title', id: 'mm-title' }, 'Mattermost'),
        h('p', { class: 'muted' }, 'Hand conversations to your team in Mattermost.')),
      headerBadge),
    cardBody);

  panel.append(h('div', { class: 'stack-lg platforms' },
    h('section', { 'aria-labelledby': 'platforms-web' },
      h('h2', { class: 'section-title', id: 'platforms-web' }, 'Website'),
      h('article', { class: 'card integration' },
        h('div', { class: 'integration-header' },
          h('span', { class: 'integration-logo' }, icon('globe')),
          h('div', { class: 'integration-names' },
            h('h3', { class: 'integration-title' }, 'Chat widget'),
            h('p', { class: 'muted' }, 'Visitors chat with the bot on your site. Get the embed snippet and choose where it may run on the ',
              h('a', { href: botHref(ctx.key, 'widget') }, 'Widget tab'), '.'))))),
    h('section', { 'aria-labelledby': 'platforms-integrations' },
      h('h2', { class: 'section-title', id: 'platforms-integrations' }, 'Integrations'),
      mattermostCard)));

  load();
  startPolling();
  document.addEventListener('visibilitychange', onVisibility);

  async function load() {
    try {
      const c = await api.mattermost(ctx.key);
      if (!alive) return;
      show(c);
    } catch (error) {
      if (!alive) return;
      const box = errorBox();
      box.show(error.message);
      replace(cardBody, box.root, button('Try again', { onclick: () => { replace(cardBody, loading('Loading the connection…')); load(); } }));
    }
  }

  function show(c) {
    const { status, ...config } = c;
    const key = JSON.stringify(config);
    connection = c;
    replace(headerBadge, badge('mattermost', c.connected ? (status ? status.state : 'connecting') : 'none'));
    if (key !== configKey || !cardBody.querySelector('.status')) {
      configKey = key;
      drawCard();
    } else {
      drawStatus();
    }
  }

  function drawCard() {
    const c = connection;
    if (!c.connected) {
      replace(cardBody,
        h('p', {}, 'Every chat the bot hands over gets its own channel in your Mattermost team, with your agents in it. ' +
          'New chats are announced in an index channel. You need a team for the chats and an admin user for Baton to post as.'),
        h('div', { class: 'actions' }, button('Connect for Mattermost', { variant: 'primary', iconName: 'plug', onclick: () => openWizard() })));
      return;
    }
    const none = '—';
    // Mattermost's own words for the team and channel first, their names after.
    // (As `baton mattermost status` does: a display name that only says the name is left out.)
    const named = (display, name, prefix = '') => (display && display.toLowerCase() !== name.toLowerCase()
      ? [display, ' ', h('span', { class: 'muted' }, `(${prefix}${name})`)] : prefix + name);
    const channel = c.indexChannel ? named(c.indexChannelDisplayName, c.indexChannel, '~') : none;
    const link = c.indexChannelLink && /^https?:\/\//i.test(c.indexChannelLink)
      ? h('a', { href: c.indexChannelLink, target: '_blank', rel: 'noopener noreferrer' }, channel, icon('external', 'icon icon-inline'))
      : channel;
    // The stored agents include the relay user, which has its own row.
    const agents = (c.agents || []).filter((a) => a !== c.relayUser);
    const rows = [
      ['Server', c.url || none],
      c.proxy ? ['Through the proxy', c.proxy] : null,
      ['Relay user', c.relayUser ? [`@${c.relayUser}`, c.auth === 'token' ? ' (signs in with an access token)' : ' (signs in with a password)'] : none],
      ['Team', c.team ? named(c.teamDisplayName, c.team) : none],
      ['Agents', agents.length ? agents.map((a) => `@${a}`).join(', ') : 'Only the relay user'],
      ['Index channel', link],
      ['Close command', h('code', {}, c.closeCommand || '!close')],
      ['Internal prefix', h('code', {}, c.internalPrefix || '//')],
      ['Each chat', c.rooms === 'thread' ? 'A thread in the index channel' : 'A channel of its own'],
      ['Archive on close', c.rooms === 'thread' ? 'No (threads stay)' : c.archiveOnClose ? 'Yes' : 'No'],
      ['Baton’s posts in', (languages[c.language || 'en'] || { name: c.language }).name],
    ];
    replace(cardBody,
      justConnected ? h('div', { class: 'message message-success', role: 'status' }, icon('check'), 'Live now — no restart needed.') : null,
      h('dl', { class: 'details' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('div', { class: 'status', 'aria-labelledby': 'mm-status' },
        h('h4', { class: 'status-title', id: 'mm-status' }, 'Status'),
        h('dl', { class: 'status-grid' },
          h('div', {}, h('dt', {}, 'State'), h('dd', { class: 'status-state' })),
          h('div', {}, h('dt', {}, 'Last event'), h('dd', { class: 'status-event' })),
          h('div', {}, h('dt', {}, 'Outbox'), h('dd', { class: 'status-outbox' }))),
        h('div', { class: 'status-error' }),
        h('p', { class: 'status-refresh field-hint' })),
      h('div', { class: 'actions' },
        button('Edit', { onclick: () => openWizard() }),
        button('Disconnect', { variant: 'danger-ghost', onclick: () => disconnect() })));
    drawStatus();
  }

  function drawStatus() {
    const c = connection;
    if (!c || !c.connected) return;
    const s = c.status || { state: 'connecting', outbox: 0 };
    replace(cardBody.querySelector('.status-state'), badge('mattermost', s.state));
    drawEventTime();
    cardBody.querySelector('.status-outbox').textContent = s.outbox === 0 ? 'Empty' : `${s.outbox} ${s.outbox === 1 ? 'task' : 'tasks'} waiting`;
    const errorSlot = cardBody.querySelector('.status-error');
    const shown = errorSlot.querySelector('.last-error-text');
    if (s.lastError) {
      if (!shown || shown.textContent !== s.lastError) {
        replace(errorSlot, h('div', { class: 'message message-error' }, icon('alert'),
          h('div', {}, h('strong', {}, 'Last error'), h('p', { class: 'last-error-text' }, s.lastError))));
      }
    } else if (shown) {
      replace(errorSlot);
    }
  }

  function drawEventTime() {
    const slot = cardBody.querySelector('.status-event');
    if (!slot || !connection || !connection.status) return;
    const at = connection.status.lastEventAt;
    replace(slot, at ? h('time', { datetime: new Date(at).toISOString(), title: formatDateTime(at) }, relativeTime(at)) : 'None yet');
  }

  async function poll() {
    if (!alive || !visible || document.visibilityState !== 'visible') return;
    try {
      const c = await api.mattermost(ctx.key);
      if (!alive) return;
      show(c);
      const note = cardBody.querySelector('.status-refresh');
      if (note) note.textContent = '';
    } catch (error) {
      const note = cardBody.querySelector('.status-refresh');
      if (note) note.textContent = `Could not refresh the status: ${error.message}`;
    }
  }

  function startPolling() {
    stopPolling();
    poller = setInterval(poll, POLL_MS);
    ticker = setInterval(drawEventTime, 1000);
  }

  function stopPolling() {
    clearInterval(poller);
    clearInterval(ticker);
    poller = null;
    ticker = null;
  }

  function onVisibility() {
    if (document.visibilityState === 'visible' && visible) poll();
  }

  function openWizard() {
    openMattermostWizard({
      botKey: ctx.key,
      connection,
      onConnected(c) {
        justConnected = true;
        configKey = null;
        show(c);
        toast('Mattermost is connected. Live now — no restart needed.');
        const focusTarget = cardBody.querySelector('.message-success') ? cardBody.querySelector('.actions button') : null;
        if (focusTarget) focusTarget.focus();
      },
    });
  }

  function disconnect() {
    confirmDialog({
      title: 'Disconnect Mattermost?',
      text: 'New handovers will wait in Baton until you connect again. The channels already in Mattermost stay as they are.',
      confirmLabel: 'Disconnect',
      returnFocus: () => cardBody.querySelector('button'),
      action: async () => {
        await api.disconnectMattermost(ctx.key);
        justConnected = false;
        configKey = null;
        show({ connected: false });
        toast('Disconnected from Mattermost.');
      },
    });
  }

  return {
    show() { visible = true; poll(); startPolling(); },
    hide() { visible = false; stopPolling(); },
    unmount() {
      alive = false;
      stopPolling();
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
