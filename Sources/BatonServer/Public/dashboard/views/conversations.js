// Conversations, newest first: state chips, bot and rating filters, a search box, "Load more";
// `?visitor=ID` lists one visitor's chats (the transcript's "All their chats"), and
// `?unanswered=true&startedFrom=MS&startedBefore=MS` the chats nobody answered (Insights).
// Used as a page (#/conversations?…) and inside a bot's Conversations tab.

import { h, replace, debounce, uid, breakable } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api } from '/dashboard/api.js';
import { badge, button, busy, emptyState, errorBox, loading } from '/dashboard/ui.js';
import { CONVERSATION_STATES, relativeTime, formatDateTime, shortDay } from '/dashboard/format.js';
import { conversationHref } from '/dashboard/router.js';

const PAGE = 50;
// When conversations started, in the browser's days: [value, label, days back to the first day, days in the range].
const PERIODS = [['today', 'Today', 0, 1], ['yesterday', 'Yesterday', 1, 1], ['7d', 'Last 7 days', 6, 7], ['30d', 'Last 30 days', 29, 30],
  ['90d', 'Last 90 days', 89, 90]];

/** The instants a period covers: from the first day's midnight to the midnight after the last. */
function periodRange(period) {
  const found = PERIODS.find(([value]) => value === period);
  if (!found) return {};
  const [, , back, days] = found;
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth(), now.getDate() - back);
  const end = new Date(first.getFullYear(), first.getMonth(), first.getDate() + days);
  return { startedFrom: String(first.getTime()), startedBefore: String(end.getTime()) };
}

export function mountConversations(container, route, { botKey = null, embedded = false } = {}) {
  const filters = {
    state: CONVERSATION_STATES.some(([s]) => s === route.query.state) ? route.query.state : '',
    bot: botKey || route.query.bot || '',
    q: route.query.q || '',
    rating: ['good', 'bad'].includes(route.query.rating) ? route.query.rating : '',
    visitor: !embedded && /^[a-z2-7]{20}$/.test(route.query.visitor || '') ? route.query.visitor : '',
    unanswered: !embedded && route.query.unanswered === 'true' ? 'true' : '',
    startedFrom: !embedded && /^\d{1,15}$/.test(route.query.startedFrom || '') ? route.query.startedFrom : '',
    startedBefore: !embedded && /^\d{1,15}$/.test(route.query.startedBefore || '') ? route.query.startedBefore : '',
    period: PERIODS.some(([value]) => value === route.query.period) ? route.query.period : '',
  };
  let alive = true;
  let controller = null;
  let next = null;
  let nextId = null;  // with `next`, the cursor of the next page (rows of the same time are not skipped)
  let botNames = new Map();
  if (!embedded) document.title = 'Conversations · Baton';

  const chips = h('div', { class: 'filter-chips', role: 'group', 'aria-label': 'Filter by state' },
    [['', 'All'], ...CONVERSATION_STATES].map(([state, label]) => h('button', {
      type: 'button', class: 'filter-chip', 'aria-pressed': String(filters.state === state), dataset: { state },
      onclick: () => { filters.state = state; syncChips(); changed(); },
    }, label)));
  const botSelect = h('select', { class: 'input input-small', id: uid('bot'), onchange: () => { filters.bot = botSelect.value; changed(); } },
    h('option', { value: '' }, 'All bots'));
  const ratingSelect = h('select', { class: 'input input-small rating-filter', id: uid('rating'), onchange: () => { filters.rating = ratingSelect.value; changed(); } },
    h('option', { value: '' }, 'Any'), h('option', { value: 'good' }, 'Rated good'), h('option', { value: 'bad' }, 'Rated bad'));
  ratingSelect.value = filters.rating;
  const periodSelect = h('select', { class: 'input input-small period-filter', id: uid('period'),
    onchange: () => { filters.period = periodSelect.value; filters.startedFrom = ''; filters.startedBefore = ''; unansweredChip.hidden = !filters.unanswered; relabel(); changed(); } },
  h('option', { value: '' }, 'Any time'), PERIODS.map(([value, label]) => h('option', { value }, label)));
  periodSelect.value = filters.period;
  const searchInput = h('input', { type: 'search', class: 'input input-small', id: uid('q'), placeholder: 'Name, email or words', value: filters.q, autocomplete: 'off', maxlength: '200' });
  // One visitor's chats: pressing the chip shows everyone's again.
  const visitorChip = h('button', {
    type: 'button', class: 'filter-chip visitor-filter', 'aria-pressed': 'true', hidden: !filters.visitor,
    title: 'Show every visitor’s chats', onclick: () => { filters.visitor = ''; visitorChip.hidden = true; changed(); },
  }, h('span', { class: 'visitor-filter-name' }, 'One visitor'), icon('close', 'icon icon-inline'));
  // Chats nobody answered (from Insights), maybe of some days: pressing the chip shows all chats again.
  const unansweredChip = h('button', {
    type: 'button', class: 'filter-chip unanswered-filter', 'aria-pressed': 'true', hidden: !filters.unanswered && !filters.startedFrom && !filters.startedBefore,
    title: 'Show all chats', onclick: () => { filters.unanswered = ''; filters.startedFrom = ''; filters.startedBefore = ''; unansweredChip.hidden = true; changed(); },
  }, h('span', {}, startedLabel()), icon('close', 'icon icon-inline'));
  // The filtered list as a spreadsheet (the server names the file).
  const download = h('a', { class: 'btn btn-secondary btn-small csv-download', download: '', title: 'Every conversation that matches, as a CSV file' },
    icon('download', 'icon icon-inline'), 'Download CSV');
  // Not a live region: the count below says what a search found; the table itself would
  // be read out whole at every keystroke of a search.
  const results = h('div', { class: 'conversation-results', 'aria-busy': 'true' });
  const more = h('div', { class: 'load-more' });
  const count = h('p', { class: 'visually-hidden', role: 'status' });

  const toolbar = h('div', { class: 'toolbar' },
    chips,
    h('div', { class: 'toolbar-fields' },
      embedded ? null : visitorChip,
      embedded ? null : unansweredChip,
      embedded ? null : h('div', { class: 'inline-field' }, h('label', { for: botSelect.id }, 'Bot'), botSelect),
      h('div', { class: 'inline-field' }, h('label', { for: periodSelect.id }, 'Started'), periodSelect),
      h('div', { class: 'inline-field' }, h('label', { for: ratingSelect.id }, 'Rating'), ratingSelect),
      h('div', { class: 'inline-field search-field' }, h('label', { for: searchInput.id, class: 'visually-hidden' }, 'Search conversations'),
        icon('search', 'icon search-icon'), searchInput)));

  container.append(embedded
    ? h('div', { class: 'stack' }, h('div', { class: 'section-head' }, h('h2', { class: 'section-title' }, 'Conversations with this bot'), download),
      toolbar, results, more, count)
    : h('div', { class: 'page' },
      h('div', { class: 'page-header' }, h('div', {}, h('h1', {}, 'Conversations'),
        h('p', { class: 'page-subtitle' }, 'Every chat with every bot, the newest first.')), download),
      toolbar, results, more, count));

  const search = debounce(() => { filters.q = searchInput.value.trim(); changed(); }, 300);
  searchInput.addEventListener('input', search);
  searchInput.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); search.flush(); } });

  if (!embedded) loadBots();
  load(false);

  // "Unanswered · started 6 Nov – 5 Dec", "Started 6 Nov – 5 Dec": what the chip stands for.
  function startedLabel() {
    const day = (ms) => shortDay.format(new Date(Number(ms)));
    const from = filters.startedFrom ? day(filters.startedFrom) : null;
    const to = filters.startedBefore ? day(Number(filters.startedBefore) - 1) : null;
    const days = from && to ? (from === to ? `started ${from}` : `started ${from} – ${to}`) : from ? `started since ${from}` : to ? `started until ${to}` : null;
    const label = [filters.unanswered ? 'Unanswered' : null, days].filter(Boolean).join(' · ');
    return label.charAt(0).toUpperCase() + label.slice(1);
  }

  function syncChips() {
    for (const chip of chips.children) chip.setAttribute('aria-pressed', String(chip.dataset.state === filters.state));
  }

  async function loadBots() {
    try {
      const { bots } = await api.bots();
      if (!alive) return;
      botNames = new Map(bots.map((b) => [b.key, b.name]));
      botSelect.append(...bots.map((b) => h('option', { value: b.key }, b.name)));
      if (filters.bot && !botNames.has(filters.bot)) botSelect.append(h('option', { value: filters.bot }, filters.bot));
      botSelect.value = filters.bot;
      for (const cell of results.querySelectorAll('[data-bot]')) cell.textContent = botNames.get(cell.dataset.bot) || cell.dataset.bot;
    } catch { /* the list still works with keys */ }
  }

  // The API's filters: a period becomes its instants, as of now.
  function apiFilters() {
    const { period, ...rest } = filters;
    return period ? { ...rest, ...periodRange(period) } : rest;
  }

  function relabel() { unansweredChip.firstChild.textContent = startedLabel(); }

  function syncDownload() {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(apiFilters())) if (v) params.set(k, v);
    try { params.set('tz', Intl.DateTimeFormat().resolvedOptions().timeZone); } catch { /* UTC */ }
    download.href = `/api/v1/conversations.csv?${params}`;
  }

  function changed() {
    if (!embedded) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
      const qs = params.toString();
      history.replaceState(null, '', `#/conversations${qs ? `?${qs}` : ''}`);
    }
    load(false);
  }

  async function load(append) {
    syncDownload();
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    if (!append) {
      next = null;
      nextId = null;
      results.setAttribute('aria-busy', 'true');
      if (!results.querySelector('table')) replace(results, loading('Loading conversations…'));
      else results.classList.add('refreshing');
      replace(more);
    }
    try {
      const page = await api.conversations({ ...apiFilters(), limit: PAGE, before: append ? next : undefined, beforeId: append && nextId ? nextId : undefined }, mine.signal);
      if (!alive || controller !== mine) return;
      next = page.next ?? null;
      nextId = page.nextId ?? null;
      draw(page.conversations, append);
    } catch (error) {
      if (error.name === 'AbortError' || !alive) return;
      const box = errorBox();
      box.show(error.message);
      if (append) replace(more, box.root, button('Try again', { onclick: () => load(true) }));
      else replace(results, box.root, button('Try again', { onclick: () => load(false) }));
    } finally {
      if (controller === mine) {
        controller = null;
        results.setAttribute('aria-busy', 'false');
        results.classList.remove('refreshing');
      }
    }
  }

  function draw(conversations, append) {
    let tbody = results.querySelector('tbody');
    if (!append || !tbody) {
      if (conversations.length === 0) {
        const filtered = filters.state || filters.q || filters.rating || filters.visitor || filters.unanswered || filters.startedFrom
          || filters.startedBefore || filters.period || (!embedded && filters.bot);
        replace(results, filtered
          ? emptyState('No conversations match', 'Try another state, bot, time, rating or search.',
            button('Clear the filters', { onclick: () => { filters.state = ''; filters.q = ''; filters.rating = ''; filters.visitor = ''; visitorChip.hidden = true; filters.unanswered = ''; filters.startedFrom = ''; filters.startedBefore = ''; filters.period = ''; unansweredChip.hidden = true; if (!embedded) filters.bot = ''; searchInput.value = ''; botSelect.value = ''; ratingSelect.value = ''; periodSelect.value = ''; syncChips(); changed(); } }))
          : emptyState('No conversations yet', embedded ? 'Chats with this bot will appear here, including the ones from the live preview.' : 'Chats appear here as soon as visitors open a widget and write.'));
        replace(more);
        count.textContent = 'No conversations.';
        return;
      }
      tbody = h('tbody');
      replace(results, h('table', { class: 'table conversation-table' },
        h('caption', { class: 'visually-hidden' }, 'Conversations, newest first'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Visitor'),
          embedded ? null : h('th', { scope: 'col' }, 'Bot'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col' }, 'Last message'),
          h('th', { scope: 'col' }, 'Updated'))),
        tbody));
    }
    tbody.append(...conversations.map(row));
    if (filters.visitor && conversations.length) {
      const v = conversations[0].visitor;
      visitorChip.querySelector('.visitor-filter-name').textContent = `Visitor: ${(v && (v.name || v.email)) || 'anonymous'}`;
    }
    const total = tbody.children.length;
    count.textContent = `${total} conversation${total === 1 ? '' : 's'} shown.`;
    if (next !== null) {
      const moreButton = button('Load more', { onclick: () => busy(moreButton, 'Loading…', () => load(true)) });
      replace(more, moreButton);
    } else {
      replace(more, total > PAGE ? h('p', { class: 'muted' }, 'That’s all.') : null);
    }
  }

  function row(c) {
    const href = conversationHref(c.id);
    const tr = h('tr', { class: 'clickable-row', onclick: (event) => { if (!event.target.closest('a') && !window.getSelection().toString()) location.hash = href; } },
      h('td', { class: 'cell-visitor', 'data-label': 'Visitor' }, visitorCell(c.visitor, href)),
      embedded ? null : h('td', { class: 'cell-bot', 'data-label': 'Bot', dataset: { bot: c.bot } }, botNames.get(c.bot) || c.bot),
      h('td', { 'data-label': 'State' }, badge('conversation', c.state),
        c.rating ? h('span', { class: `rating rating-${c.rating}` }, c.rating === 'good' ? 'Rated good' : 'Rated bad') : null,
        c.triedBy ? h('span', { class: 'tried', title: `${c.triedBy} tried the widget in the live preview; not counted in Insights` }, 'Preview') : null),
      h('td', { class: 'cell-last', 'data-label': 'Last message' }, h('span', { class: 'ellipsis', dir: 'auto', title: c.lastMessage || '' }, c.lastMessage || '—')),
      h('td', { class: 'cell-time', 'data-label': 'Updated' },
        h('time', { datetime: new Date(c.updatedAt).toISOString(), title: formatDateTime(c.updatedAt) }, relativeTime(c.updatedAt))));
    return tr;
  }

  // The name links to the transcript; the email goes under it.
  function visitorCell(visitor, href) {
    const name = visitor && visitor.name ? visitor.name : null;
    const email = visitor && visitor.email ? visitor.email : null;
    if (!name && !email) return h('a', { href, class: 'anonymous' }, 'Anonymous visitor');
    return h('span', { class: 'visitor' }, h('a', { href }, name || breakable(email)),
      name && email ? h('span', { class: 'visitor-email' }, breakable(email)) : null);
  }

  return {
    unmount() { alive = false; search.cancel(); if (controller) controller.abort(); },
  };
}
