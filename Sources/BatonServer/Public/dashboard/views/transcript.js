// One conversation: its state, the visitor, the answers collected, the handover reason, a
// link to its Mattermost room, and the transcript. An open conversation refreshes itself.
// Admins can close it, delete it, or delete everything of its visitor from here.

import { h, replace, breakable } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api } from '/dashboard/api.js';
import { badge, button, confirmDialog, errorBox, loading, toast } from '/dashboard/ui.js';
import { formatBytes, formatDateTime, formatDay, formatTime, formatWait, relativeTime, visitorLabel } from '/dashboard/format.js';
import { botHref, conversationHref } from '/dashboard/router.js';
import { batonRichText } from '/dashboard/rich-text.js';

// Messages as the visitor saw them: agents' and the bot's Markdown formatted, addresses
// linked (the same code as the widget's).
const appendText = batonRichText((tag, className, text) => h(tag, { class: className || null }, text ?? null));

const REFRESH_MS = 5000;
const OTHER_CHATS = 5; // the visitor's other chats listed beside the transcript

export function mountTranscript(main, route) {
  const id = route.id;
  let alive = true;
  let timer = null;
  let shownIds = new Set();
  let lastDay = null;
  let conversation = null;
  let botNames = new Map();
  let others = null; // the visitor's other conversations, newest first, once loaded

  const title = h('h1', {}, 'Conversation');
  const headerMeta = h('div', { class: 'transcript-meta' });
  const body = h('div', {}, loading('Loading the conversation…'));
  main.append(h('div', { class: 'page' },
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/conversations' }, icon('chevronLeft'), 'Conversations')),
    h('div', { class: 'page-header' }, h('div', {}, title, headerMeta)),
    body));
  document.title = 'Conversation · Baton';

  api.bots().then(({ bots }) => {
    botNames = new Map(bots.map((b) => [b.key, b.name]));
    if (alive && conversation) drawHeader();
  }).catch(() => {});

  load();

  async function load() {
    try {
      const c = await api.conversation(id);
      if (!alive) return;
      const first = conversation === null;
      conversation = c;
      if (first) { build(); loadOthers(); } else update();
      schedule();
    } catch (error) {
      if (!alive) return;
      if (conversation) { schedule(); return; }   // keep what is shown; try again later
      const box = errorBox();
      // An address that names no conversation (erased, or mistyped: the API's pattern
      // check said "does not match the pattern ^[a-z2-7]{20}$").
      const missing = error.status === 404 || (error.status === 400 && error.code === 'invalid_request');
      box.show(missing ? 'There is no such conversation: it was erased, or the address is mistyped.' : error.message);
      replace(body, h('div', { class: 'stack' }, box.root,
        h('p', {}, h('a', { href: '#/conversations', class: 'btn btn-secondary' }, 'Back to the conversations'))));
    }
  }

  // The visitor's other chats (a returning visitor, or a signed-in user on other devices).
  async function loadOthers() {
    const visitor = conversation.visitor;
    if (!visitor || !visitor.id) return;
    try {
      const page = await api.conversations({ visitor: visitor.id, limit: OTHER_CHATS + 2 });
      if (!alive) return;
      others = page.conversations.filter((o) => o.id !== id);
      const box = body.querySelector('.transcript-details');
      if (box) replace(box, details());
    } catch { /* the transcript stands without them */ }
  }

  function otherChats() {
    if (!others || !others.length) return null;
    const all = `#/conversations?visitor=${encodeURIComponent(conversation.visitor.id)}`;
    return h('section', { class: 'card card-padded other-chats', 'aria-labelledby': 'tr-others' },
      h('h2', { class: 'section-title', id: 'tr-others' }, 'Other chats of this visitor'),
      h('ul', { class: 'other-chat-list' }, others.slice(0, OTHER_CHATS).map((o) => h('li', {},
        h('a', { href: conversationHref(o.id) }, formatDateTime(o.createdAt)),
        badge('conversation', o.state),
        o.rating ? h('span', { class: `rating rating-${o.rating}` }, o.rating === 'good' ? 'Rated good' : 'Rated bad') : null,
        o.lastMessage ? h('span', { class: 'other-chat-last ellipsis', title: o.lastMessage }, o.lastMessage) : null))),
      others.length > OTHER_CHATS ? h('a', { href: all, class: 'other-chats-all' }, 'All their chats') : null);
  }

  function schedule() {
    clearTimeout(timer);
    if (conversation && conversation.state !== 'closed') timer = setTimeout(load, REFRESH_MS);
  }

  function drawHeader() {
    const c = conversation;
    const name = (c.visitor && (c.visitor.name || c.visitor.email)) || visitorLabel(c.visitor);
    title.textContent = name;
    document.title = `${name} · Baton`;
    replace(headerMeta,
      badge('conversation', c.state),
      h('span', {}, 'with ', h('a', { href: botHref(c.bot, 'bot') }, botNames.get(c.bot) || c.bot)),
      c.triedBy ? h('span', { class: 'tried', dir: 'auto' }, `${c.triedBy}’s try in the live preview, not counted in Insights`) : null,
      h('span', {}, 'started ', h('time', { datetime: new Date(c.createdAt).toISOString(), title: formatDateTime(c.createdAt) }, formatDateTime(c.createdAt))),
      h('span', {}, `${c.messageCount} message${c.messageCount === 1 ? '' : 's'}`),
      c.roomLink && /^https?:\/\//i.test(c.roomLink) ? h('a', { href: c.roomLink, target: '_blank', rel: 'noopener noreferrer', class: 'btn btn-secondary btn-small' },
        'Open the room in Mattermost', icon('external', 'icon icon-inline')) : null,
      // The server names the file (Content-Disposition).
      h('a', { href: `/api/v1/conversations/${encodeURIComponent(c.id)}/transcript${zoneQuery()}`, download: '', class: 'btn btn-secondary btn-small transcript-download' },
        icon('download', 'icon icon-inline'), 'Download transcript'));
  }

  // The file's times in the reader's own zone (the server knows only UTC otherwise).
  function zoneQuery() {
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return zone ? `?tz=${encodeURIComponent(zone)}` : '';
    } catch { return ''; }
  }

  // "German (Germany)" for de-DE (as in Mattermost); the tag where the browser cannot say.
  function languageName(tag) {
    try {
      return new Intl.DisplayNames(['en'], { type: 'language', languageDisplay: 'standard' }).of(tag) || tag;
    } catch (e) { return tag; }
  }

  // A variable's name or a reason, as the start of a line reads: "Topic", "The visitor asked…".
  function capitalised(text) { return text ? text.charAt(0).toLocaleUpperCase() + text.slice(1) : text; }

  function details() {
    const c = conversation;
    const visitor = c.visitor || {};
    const rows = [
      ['Name', visitor.name || '—'],
      ['Email', visitor.email ? h('a', { href: `mailto:${visitor.email}` }, breakable(visitor.email)) : '—'],
      ...(visitor.userID ? [['Signed in as', [h('code', {}, visitor.userID), ' (verified by the website)']]] : []),
      ...(c.page && /^https?:\/\//i.test(c.page.url)
        ? [['Page', h('a', { href: c.page.url, target: '_blank', rel: 'noopener noreferrer', class: 'page-link' }, c.page.title || c.page.url)]] : []),
      ...(c.language ? [['Language', languageName(c.language)]] : []),
      ...c.variables.filter((v) => !(v.name === 'name' && v.value === visitor.name) && !(v.name === 'email' && v.value === visitor.email))
        .map((v) => [capitalised(v.name), v.value]),
    ];
    return h('aside', { class: 'transcript-side stack' },
      h('section', { class: 'card card-padded', 'aria-labelledby': 'tr-answers' },
        h('h2', { class: 'section-title', id: 'tr-answers' }, 'Visitor and answers'),
        h('table', { class: 'kv-table' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))))),
      c.handoverReason || c.handedOverAt ? h('section', { class: 'card card-padded handover-card', 'aria-labelledby': 'tr-handover' },
        h('h2', { class: 'section-title', id: 'tr-handover' }, 'Handover'),
        c.handoverReason ? h('p', {}, capitalised(c.handoverReason)) : null,
        handoverTimes()) : null,
      otherChats(),
      actions());
  }

  // When it was handed over, and how long the visitor waited for an agent's first message.
  function handoverTimes() {
    const c = conversation;
    if (!c.handedOverAt) return null;
    const reply = (c.messages || []).find((m) => m.role === 'agent' && !m.replaces);
    const wait = reply ? `An agent answered after ${formatWait(Math.max(0, reply.at - c.handedOverAt))}.`
      : c.state === 'closed' ? 'No agent answered.' : 'No agent has answered yet.';
    return h('p', { class: 'muted handover-times' }, 'Handed over ',
      h('time', { datetime: new Date(c.handedOverAt).toISOString() }, formatDateTime(c.handedOverAt)), '. ', wait);
  }

  // Closing and deleting. A chat with the agents is closed before it can be deleted.
  function actions() {
    const c = conversation;
    const withAgents = c.state === 'waiting_for_agent' || c.state === 'with_agent';
    const who = (c.visitor && (c.visitor.name || c.visitor.email)) || 'this visitor';
    const close = c.state === 'closed' ? null : button('Close the chat', {
      iconName: 'close',
      onclick: () => confirmDialog({
        title: 'Close this chat?',
        text: 'The visitor is told that the chat was closed, as when an agent closes it, and its Mattermost room is closed too. Writing again starts a new conversation.',
        confirmLabel: 'Close it', danger: false,
        returnFocus: () => body.querySelector('.transcript-actions button'),
        action: async () => {
          conversation = await api.closeConversation(id).then(() => api.conversation(id));
          update();
          toast('The chat is closed');
        },
      }),
    });
    const roomOption = {
      label: 'Delete the chat in Mattermost too',
      hint: 'Its room (or thread), its announcement and any reminder go. Left unchecked, what was posted to Mattermost stays there.',
    };
    const remove = button('Delete this conversation', {
      variant: 'danger-ghost', iconName: 'trash', disabled: withAgents,
      onclick: () => confirmDialog({
        title: 'Delete this conversation?',
        text: c.roomLink
          ? 'Its messages and files are deleted from Baton for good.'
          : 'Its messages and files are deleted from Baton for good. What was posted to Mattermost stays there.',
        confirmLabel: 'Delete it',
        option: c.roomLink ? roomOption : null,
        returnFocus: () => body.querySelector('.transcript-actions button'),
        action: async (inMattermost) => {
          await api.deleteConversation(id, inMattermost);
          gone(inMattermost ? 'Conversation deleted; its room in Mattermost goes next' : 'Conversation deleted');
        },
      }),
    });
    const forget = c.visitor && c.visitor.id ? button("Delete the visitor's data", {
      variant: 'danger-ghost', iconName: 'trash', disabled: withAgents,
      onclick: () => confirmDialog({
        title: `Delete everything of ${who}?`,
        text: `Every conversation of ${who}, with its messages and files, and what Baton knows of them (name, email, uploads) is deleted for good. An open chat of theirs starts over as a new visitor.`,
        confirmLabel: 'Delete everything', typeToConfirm: 'delete',
        option: {
          label: 'Delete their chats in Mattermost too',
          hint: 'The rooms (or threads), announcements and reminders of those of their chats that went to Mattermost go. Left unchecked, what was posted to Mattermost stays there.',
        },
        returnFocus: () => body.querySelector('.transcript-actions button'),
        action: async (inMattermost) => {
          await api.deleteVisitor(c.visitor.id, inMattermost);
          gone(inMattermost ? `Deleted everything of ${who}; their rooms in Mattermost go next` : `Deleted everything of ${who}`);
        },
      }),
    }) : null;
    return h('section', { class: 'card card-padded transcript-actions', 'aria-labelledby': 'tr-actions' },
      h('h2', { class: 'section-title', id: 'tr-actions' }, close ? 'Close or delete' : 'Delete'),
      h('div', { class: 'stack' }, close, remove, forget),
      withAgents ? h('p', { class: 'field-hint' }, 'A chat with the agents is closed before it can be deleted.') : null);
  }

  function gone(message) {
    alive = false;
    clearTimeout(timer);
    toast(message);
    location.hash = '#/conversations';
  }

  function build() {
    drawHeader();
    const list = h('ol', { class: 'transcript', 'aria-label': 'Messages' });
    shownIds = new Set();
    lastDay = null;
    appendMessages(list, conversation.messages);
    replace(body, h('div', { class: 'transcript-layout' },
      h('section', { class: 'card transcript-card', 'aria-label': 'Transcript' },
        conversation.messages.length ? list : h('p', { class: 'empty-title transcript-empty' }, 'No messages yet.'),
        conversation.state !== 'closed' ? h('p', { class: 'field-hint live-note' }, 'Open conversation: new messages appear here by themselves.') : null),
      h('div', { class: 'transcript-details' }, details())));
  }

  function update() {
    drawHeader();
    const list = body.querySelector('.transcript');
    const fresh = conversation.messages.filter((m) => !shownIds.has(m.id));
    if (!list || (fresh.length && !list.isConnected)) { build(); return; }
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    appendMessages(list, fresh);
    replace(body.querySelector('.transcript-details'), details());
    if (conversation.state === 'closed') { const note = body.querySelector('.live-note'); if (note) note.remove(); }
    if (fresh.length && nearBottom) list.lastElementChild.scrollIntoView({ block: 'end', behavior: 'smooth' });
  }

  function author(m) {
    switch (m.role) {
      case 'bot': return `${m.name || 'Bot'} (bot)`;
      case 'agent': return `${m.name || 'Agent'} (agent)`;
      case 'visitor': return m.name || (conversation.visitor && conversation.visitor.name) || 'Visitor';
      default: return 'System';
    }
  }

  function appendMessages(list, messages) {
    for (const m of messages) {
      shownIds.add(m.id);
      const day = formatDay(m.at);
      if (day !== lastDay) {
        lastDay = day;
        list.append(h('li', { class: 'day-separator' }, h('span', {}, day)));
      }
      const time = h('time', { datetime: new Date(m.at).toISOString(), title: `${formatDateTime(m.at)} (${relativeTime(m.at)})` }, formatTime(m.at));
      if (m.role === 'system') {
        // Baton's notices are English sentences: a name in another script at their start
        // must not turn the whole line right to left (".ended the chat مريم").
        list.append(h('li', { class: 'msg msg-system' }, h('span', { class: 'visually-hidden' }, 'System notice: '), h('span', { class: 'msg-text', dir: 'ltr' }, m.text), ' ', time));
        continue;
      }
      // A correction made in Mattermost is kept as it came, after the message it corrects.
      const corrects = typeof m.replaces === 'number';
      const files = Array.isArray(m.files) ? m.files : [];
      const deleted = corrects && !m.text && !files.length;
      list.append(h('li', { class: `msg msg-${m.role}${corrects ? ' msg-correction' : ''}` },
        h('div', { class: 'msg-head' }, h('span', { class: 'msg-author' }, author(m)),
          corrects ? h('span', { class: 'muted' }, deleted ? ' deleted a message' : ' edited a message') : null,
          m.notUnderstood ? h('span', { class: 'badge not-understood-badge', title: 'The bot answered with its fallback, or handed over after too many' }, 'Not understood') : null,
          time),
        deleted ? null : messageBubble(m, files)));
    }
  }

  function messageBubble(m, files) {
    const bubble = h('div', { class: 'msg-bubble', dir: 'auto' });
    if (m.text) appendText(bubble, m.text, m.role !== 'visitor');
    if (files.length) bubble.append(fileList(files));
    return bubble;
  }

  // Files as links that download them (names as text; the address is Baton's own).
  function fileList(files) {
    return h('ul', { class: 'msg-files', 'aria-label': 'Files' }, files.map((f) =>
      h('li', {}, h('a', { href: `${f.url}?download`, download: f.name, class: 'msg-file' }, icon('paperclip', 'icon icon-inline'),
        h('span', {}, f.name), h('span', { class: 'muted' }, ` ${formatBytes(f.size)}`)))));
  }

  return {
    unmount() { alive = false; clearTimeout(timer); },
  };
}
