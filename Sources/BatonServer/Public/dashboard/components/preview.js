// The live preview: the bot's preview page (the widget, open) in an iframe, reloaded
// after each save so it shows what visitors get now.

import { h } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';

export function widgetPreview(url) {
  let frame = makeFrame(url);
  const reloadButton = h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => reload() }, icon('refresh'), 'Reload');
  const newChatButton = h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => reload(url, { newChat: true }) }, icon('plus'), 'New chat');
  const holder = h('div', { class: 'preview-frame' }, frame);
  const root = h('aside', { class: 'preview', 'aria-label': 'Live preview' },
    h('div', { class: 'preview-header' },
      h('h2', { class: 'section-title' }, 'Live preview'),
      h('div', { class: 'preview-actions' }, newChatButton, reloadButton)),
    holder,
    h('p', { class: 'preview-note' }, 'Shows the saved bot. Chats you start here appear in Conversations, marked as previews, and are not counted in Insights.'));

  function makeFrame(src) {
    return h('iframe', { src, title: 'Widget preview', class: 'preview-iframe', loading: 'lazy', referrerpolicy: 'same-origin' });
  }

  // A new iframe rather than location.reload(): it works for any previewURL and starts a
  // fresh page even when the URL did not change. `newChat`: as a new visitor, greeted by
  // the bot as it is now (the page's widget forgets the chat it had).
  function reload(newURL = url, { newChat = false } = {}) {
    url = newURL;
    const next = makeFrame(newChat ? `${url}${url.includes('?') ? '&' : '?'}new=1` : url);
    frame.replaceWith(next);
    frame = next;
  }

  return { root, reload };
}
