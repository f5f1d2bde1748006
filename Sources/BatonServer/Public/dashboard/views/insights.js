// Insights (#/insights?days=30&bot=KEY): how the conversations of the last 7, 30 or 90
// days went, in the browser's time zone: how many, the share the bot handled alone, how
// long handed-over visitors waited for an agent, the ratings; a bar per day, each agent's
// part, and a weekday × hour grid of when chats start.

import { h, replace, uid } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { button, emptyState, errorBox, loading } from '/dashboard/ui.js';
import { formatWait } from '/dashboard/format.js';
import { botHref, conversationHref } from '/dashboard/router.js';

const RANGES = [[7, 'Last 7 days'], [30, 'Last 30 days'], [90, 'Last 90 days']];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const dayLabel = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** "2026-12-05" of a Date, in the browser's zone. */
function isoDay(date) {
  const two = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** A day of the report ("2026-12-05") as words, without moving it to another zone. */
const dayText = (iso, format = dayLabel) => format.format(new Date(`${iso}T12:00:00Z`));

const percent = (part, whole) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '—');
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function mountInsights(container, route) {
  const filters = {
    days: RANGES.some(([d]) => String(d) === route.query.days) ? Number(route.query.days) : 30,
    bot: route.query.bot || '',
  };
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  let alive = true;
  let controller = null;
  document.title = 'Insights · Baton';

  const chips = h('div', { class: 'filter-chips', role: 'group', 'aria-label': 'Days' },
    RANGES.map(([days, label]) => h('button', {
      type: 'button', class: 'filter-chip', 'aria-pressed': String(filters.days === days), dataset: { days: String(days) },
      onclick: () => { filters.days = days; syncChips(); changed(); },
    }, label)));
  const botSelect = h('select', { class: 'input input-small', id: uid('bot'), onchange: () => { filters.bot = botSelect.value; changed(); } },
    h('option', { value: '' }, 'All bots'));
  const results = h('div', { class: 'insights', 'aria-live': 'polite', 'aria-busy': 'true' });
  const subtitle = h('p', { class: 'page-subtitle' }, `How the conversations went, by the day they started (${zone} time).`);

  container.append(h('div', { class: 'page' },
    h('div', { class: 'page-header' }, h('div', {}, h('h1', {}, 'Insights'), subtitle)),
    h('div', { class: 'toolbar' }, chips,
      h('div', { class: 'toolbar-fields' }, h('div', { class: 'inline-field' }, h('label', { for: botSelect.id }, 'Bot'), botSelect))),
    results));

  loadBots();
  load();

  function syncChips() {
    for (const chip of chips.children) chip.setAttribute('aria-pressed', String(chip.dataset.days === String(filters.days)));
  }

  async function loadBots() {
    try {
      const { bots } = await api.bots();
      if (!alive) return;
      botSelect.append(...bots.map((b) => h('option', { value: b.key }, b.name)));
      if (filters.bot && !bots.some((b) => b.key === filters.bot)) botSelect.append(h('option', { value: filters.bot }, filters.bot));
      botSelect.value = filters.bot;
    } catch { /* all bots still work */ }
  }

  function changed() {
    const params = new URLSearchParams();
    if (filters.days !== 30) params.set('days', String(filters.days));
    if (filters.bot) params.set('bot', filters.bot);
    const qs = params.toString();
    history.replaceState(null, '', `#/insights${qs ? `?${qs}` : ''}`);
    load();
  }

  async function load() {
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    results.setAttribute('aria-busy', 'true');
    if (!results.querySelector('.stat-tiles')) replace(results, loading('Counting conversations…'));
    else results.classList.add('refreshing');
    const today = new Date();
    const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (filters.days - 1));
    try {
      const report = await api.insights({ from: isoDay(first), to: isoDay(today), tz: zone, bot: filters.bot }, mine.signal);
      if (!alive || controller !== mine) return;
      draw(report);
    } catch (error) {
      if (error.name === 'AbortError' || !alive) return;
      const box = errorBox();
      box.show(error.message);
      replace(results, box.root, button('Try again', { onclick: load }));
    } finally {
      if (controller === mine) {
        results.setAttribute('aria-busy', 'false');
        results.classList.remove('refreshing');
      }
    }
  }

  function draw(report) {
    if (report.started === 0) {
      const tries = report.tried ? ` The ${report.tried === 1 ? 'chat' : `${report.tried} chats`} in the live preview ${report.tried === 1 ? 'is' : 'are'} not counted.` : '';
      replace(results, emptyState('No conversations in these days',
        (filters.bot ? 'Nobody chatted with this bot then. Try more days or all bots.' : 'When visitors chat, their conversations are counted here.') + tries));
      return;
    }
    replace(results, tiles(report), dayChart(report), agentTable(report), handoverCauses(report), notUnderstoodList(report, filters.bot), hourGrid(report));
  }

  return { unmount() { alive = false; if (controller) controller.abort(); } };
}

/** The first instant of a report's day ("2026-12-05") in the browser's zone, `plus` days on. */
function dayStart(iso, plus = 0) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(y, m - 1, d + plus).getTime();
}

function tile(label, value, detail, { tone = null, name, href = null } = {}) {
  const parts = [h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-detail' }, detail)];
  return h('li', { class: `card stat-tile${tone ? ` stat-${tone}` : ''}${href ? ' stat-linked' : ''}`, dataset: { stat: name } },
    href ? h('a', { href, class: 'stat-link' }, parts) : parts);
}

function tiles(r) {
  const range = `startedFrom=${dayStart(r.from)}&startedBefore=${dayStart(r.to, 1)}${r.bot ? `&bot=${encodeURIComponent(r.bot)}` : ''}`;
  const rated = r.ratings.good + r.ratings.bad;
  return h('ul', { class: 'stat-tiles', 'aria-label': 'Totals' },
    tile('Conversations', String(r.started), `${dayText(r.from, shortDay)} – ${dayText(r.to, shortDay)}`
      + (r.swept ? ` · ${r.swept} since deleted by the retention period (counted, no longer listed)` : '')
      + (r.tried ? ` · ${r.tried} ${r.tried === 1 ? 'try' : 'tries'} in the live preview not counted` : ''),
      { name: 'started', href: `#/conversations?${range}` }),
    tile('Handled by the bot', percent(r.botOnly, r.started), `${r.botOnly} of ${r.started} never handed over`, { name: 'bot-only' }),
    tile('Handed over', String(r.handedOver),
      `${percent(r.handedOver, r.started)} of conversations${r.waiting ? ` · ${r.waiting} not answered yet` : ''}`, { name: 'handed-over' }),
    tile('First agent reply', r.firstReply ? formatWait(r.firstReply.median) : '—',
      r.firstReply ? firstReplyNote(r.firstReply) : 'No agent has answered yet',
      { name: 'first-reply' }),
    tile('Unanswered', String(r.unanswered), 'handed over, then closed without an agent’s message',
      { name: 'unanswered', tone: r.unanswered > 0 ? 'warning' : null, href: r.unanswered > 0 ? `#/conversations?unanswered=true&${range}` : null }),
    tile('Rated good', rated ? percent(r.ratings.good, rated) : '—',
      rated ? `${r.ratings.good} good · ${r.ratings.bad} bad` : 'No ratings yet', { name: 'rating' }));
}

// "9 in 10 within" only where there are ten to speak of: from one reply it claimed a
// 90th percentile.
function firstReplyNote(waits) {
  if (waits.count === 1) return 'one reply so far';
  if (waits.count < 10) return `median of ${waits.count} · the longest ${formatWait(waits.longest)}`;
  return `median of ${waits.count} · 9 in 10 within ${formatWait(waits.p90)}`;
}

function dayChart(r) {
  const most = Math.max(1, ...r.days.map((d) => d.started));
  const bars = h('div', { class: 'day-bars', role: 'img',
    'aria-label': `Conversations per day, ${dayText(r.from)} to ${dayText(r.to)}: at most ${most} a day.` },
  r.days.map((d) => h('div', {
    class: 'day-bar', title: `${dayText(d.date)}: ${plural(d.started, 'conversation')}, ${d.handedOver} handed over`,
    style: { height: `${(100 * d.started) / most}%` }, dataset: { date: d.date },
  }, h('span', { class: 'day-bar-handed', style: { height: `${d.started ? (100 * d.handedOver) / d.started : 0}%` } }))));
  const middle = r.days[Math.floor(r.days.length / 2)];
  const table = h('table', { class: 'table day-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Conversations'), h('th', { scope: 'col' }, 'Handed over'))),
    h('tbody', {}, r.days.map((d) => h('tr', {}, h('td', { 'data-label': 'Day' }, dayText(d.date)),
      h('td', { 'data-label': 'Conversations' }, String(d.started)), h('td', { 'data-label': 'Handed over' }, String(d.handedOver))))));
  return h('section', { class: 'card card-padded insight-card' },
    h('div', { class: 'insight-head' }, h('h2', { class: 'section-title' }, 'Conversations per day'),
      h('span', { class: 'legend' }, h('span', { class: 'swatch swatch-all' }), 'All',
        h('span', { class: 'swatch swatch-handed' }), 'Handed over')),
    h('div', { class: 'day-chart' }, h('span', { class: 'chart-top' }, String(most)), bars),
    h('div', { class: 'day-axis', 'aria-hidden': 'true' },
      h('span', {}, dayText(r.from, shortDay)), h('span', {}, dayText(middle.date, shortDay)), h('span', {}, dayText(r.to, shortDay))),
    h('details', { class: 'chart-table' }, h('summary', {}, 'Show as a table'), table));
}

function agentTable(r) {
  const card = h('section', { class: 'card card-padded insight-card agents-card' }, h('h2', { class: 'section-title' }, 'Agents'));
  if (r.agents.length === 0) {
    card.append(h('p', { class: 'muted' }, r.handedOver ? 'No agent has written in these chats yet.' : 'No chat was handed over in these days.'));
    return card;
  }
  card.append(h('p', { class: 'muted insight-note' }, 'Who wrote in these chats; a first reply is the first agent’s message a visitor got after the handover.'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'table agent-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Agent'), h('th', { scope: 'col', class: 'num' }, 'Chats'), h('th', { scope: 'col', class: 'num' }, 'Messages'),
        h('th', { scope: 'col', class: 'num' }, 'First replies'), h('th', { scope: 'col', class: 'num' }, 'Median first reply'))),
      h('tbody', {}, r.agents.map((a) => h('tr', {},
        h('td', { class: 'agent-name', 'data-label': 'Agent' }, a.name),
        h('td', { class: 'num', 'data-label': 'Chats' }, String(a.chats)),
        h('td', { class: 'num', 'data-label': 'Messages' }, String(a.messages)),
        h('td', { class: 'num', 'data-label': 'First replies' }, String(a.firstReplies ? a.firstReplies.count : 0)),
        h('td', { class: 'num', 'data-label': 'Median first reply' }, a.firstReplies ? formatWait(a.firstReplies.median) : '—')))))));
  return card;
}

// Why the handed-over chats went to the agents, each cause with its share.
const CAUSES = [
  ['asked', 'The visitor asked for a person'],
  ['notUnderstood', 'The bot did not understand, too many times in a row'],
  ['byDesign', 'The bot’s definition hands over there (an intent or a flow step)'],
  ['unansweredQuestion', 'The visitor could not answer one of the bot’s questions'],
];

function handoverCauses(r) {
  const card = h('section', { class: 'card card-padded insight-card causes-card' }, h('h2', { class: 'section-title' }, 'Why chats were handed over'));
  if (!r.handedOver) {
    card.append(h('p', { class: 'muted' }, 'No chat was handed over in these days.'));
    return card;
  }
  const causes = r.handoverCauses || {};
  const known = CAUSES.reduce((n, [key]) => n + (causes[key] || 0), 0);
  const share = (n) => `${Math.round((100 * n) / r.handedOver)} %`;
  card.append(h('dl', { class: 'causes' }, CAUSES.flatMap(([key, label]) => [
    h('dt', {}, label), h('dd', { dataset: { cause: key } }, h('strong', {}, String(causes[key] || 0)), ` · ${share(causes[key] || 0)}`)])));
  if (known < r.handedOver) card.append(h('p', { class: 'field-hint' }, `${r.handedOver - known} handed over before this was kept.`));
  return card;
}

// What visitors wrote that the bot did not understand: the list to teach it from. Each
// links to the newest such chat and, for one bot, to its Bot tab's Try a sentence.
function notUnderstoodList(r, bot) {
  const card = h('section', { class: 'card card-padded insight-card not-understood-card' },
    h('h2', { class: 'section-title' }, 'Not understood by the bot'));
  const items = r.notUnderstood || [];
  if (items.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No message of these chats was marked as not understood.'));
    return card;
  }
  card.append(h('p', { class: 'muted insight-note' },
    'What visitors wrote that the bot answered with its fallback, or handed over after too many: examples or keywords to add to its intents. Alike messages are counted together.'),
  h('ol', { class: 'not-understood' }, items.map((m) => h('li', {},
    h('q', { class: 'said' }, m.text),
    h('span', { class: 'muted' }, m.count > 1 ? ` ${m.count} times · ` : ' · '),
    // Named by what was said, so that a list of links read out alone tells them apart.
    h('a', { href: conversationHref(m.conversationId), 'aria-label': `${m.count > 1 ? 'Latest chat' : 'The chat'} with “${m.text}”` },
      m.count > 1 ? 'latest chat' : 'the chat'),
    // With one bot chosen: the sentence in its Bot tab's Try a sentence.
    bot ? [h('span', { class: 'muted' }, ' · '),
      h('a', { href: `${botHref(bot)}?try=${encodeURIComponent(m.text)}`, 'aria-label': `Try it: “${m.text}”` }, 'try it')] : null))));
  if (!bot) card.append(h('p', { class: 'field-hint' }, 'Choose a bot above to try each one against it.'));
  // The other cards count the chats the retention period deleted; this one cannot (what
  // visitors wrote went with them).
  if (r.retentionDays) {
    card.append(h('p', { class: 'field-hint' },
      `Only from chats of about the last ${plural(r.retentionDays, 'day')}: older ones were deleted by the retention period, with what visitors wrote. The other cards still count them.`));
  }
  return card;
}

function hourGrid(r) {
  const most = Math.max(1, ...r.hours.flat());
  const head = h('div', { class: 'hour-row', 'aria-hidden': 'true' }, h('span', { class: 'hour-day' }),
    Array.from({ length: 24 }, (_, hour) => h('span', { class: 'hour-label' }, hour % 3 === 0 ? String(hour) : '')));
  const rows = r.hours.map((counts, day) => h('div', { class: 'hour-row', role: 'row' },
    h('span', { class: 'hour-day', role: 'rowheader' }, WEEKDAYS[day].slice(0, 3)),
    counts.map((count, hour) => h('span', {
      class: 'hour-cell', role: 'cell', style: { '--level': count / most }, dataset: { count: String(count) },
      title: `${WEEKDAYS[day]} ${String(hour).padStart(2, '0')}:00–${String(hour + 1).padStart(2, '0')}:00: ${plural(count, 'conversation')}`,
    }, h('span', { class: 'visually-hidden' }, `${String(hour).padStart(2, '0')}:00 ${count}`)))));
  return h('section', { class: 'card card-padded insight-card' },
    h('h2', { class: 'section-title' }, 'When chats start'),
    h('p', { class: 'muted insight-note' }, `By weekday and hour (${r.timeZone} time); the darker, the more.`),
    h('div', { class: 'hour-grid', role: 'table', 'aria-label': 'Conversations started by weekday and hour' }, head, rows));
}
