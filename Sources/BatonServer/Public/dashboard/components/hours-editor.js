// Working hours of a widget: a time zone, opening hours per weekday, and what visitors
// are told when they ask for a person outside them. Part of the Widget tab's form.

import { h } from '/dashboard/dom.js';
import { field } from '/dashboard/ui.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const RANGE = /^\s*([01]?\d|2[0-3]):[0-5]\d\s*[-–]\s*(([01]?\d|2[0-3]):[0-5]\d|24:00)\s*$/;

// The checks Baton makes when the settings are saved (AdminAPI+Bots), made here first so
// that every problem shows at once, not some now and the rest after the save.
function zoneProblem(zone) {
  let known = true;
  try { new Intl.DateTimeFormat('en', { timeZone: zone }); } catch (e) { known = false; }
  if (known && (zone.includes('/') || zone === 'UTC' || zone === 'GMT')) return null;
  return `"${zone}" is not a time zone's name: use one like Europe/Berlin, America/New_York or UTC (abbreviations such as BST or IST name several zones).`;
}

// A range's minutes, [from, to] (to up to 1440), or null; one past midnight (22:00-06:00)
// is [from, to] with to before from.
function rangeMinutes(text) {
  if (!RANGE.test(text)) return null;
  const [from, to] = text.split(/[-–]/).map((t) => { const [h, m] = t.trim().split(':').map(Number); return h * 60 + m; });
  return from === to ? null : [from, to];
}

// Ranges of the week that overlap, as [day index, message]: a night's part after midnight
// counts on the next day, named as written ("Monday's 22:00-06:00").
function overlaps(week) {
  const parts = DAYS.map(() => []);
  week.forEach((ranges, day) => {
    for (const text of ranges) {
      const m = rangeMinutes(text);
      if (!m) continue;
      if (m[1] > m[0]) { parts[day].push([m[0], m[1], text]); continue; }
      parts[day].push([m[0], 1440, text]);
      if (m[1] > 0) parts[(day + 1) % 7].push([0, m[1], `${DAYS[day][1]}'s ${text}`]);
    }
  });
  const found = [];
  parts.forEach((list, day) => {
    list.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; i++) {
      if (list[i][0] < list[i - 1][1]) found.push([day, `${list[i - 1][2]} and ${list[i][2]} overlap.`]);
    }
  });
  return found;
}

// A day of the calendar written YYYY-MM-DD (not 2026-13-45, nor 2026-02-30).
function isDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return day.getUTCFullYear() === +m[1] && day.getUTCMonth() === +m[2] - 1 && day.getUTCDate() === +m[3];
}

function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; }
}

export function hoursEditor() {
  const enabled = h('input', { type: 'checkbox' });
  const zones = h('datalist', { id: 'time-zones' });
  try { for (const zone of Intl.supportedValuesOf('timeZone')) zones.append(h('option', { value: zone })); } catch (e) { /* old browser: type it */ }
  const timeZone = field('Time zone', h('input', { class: 'input', type: 'text', list: 'time-zones', maxlength: '64', autocomplete: 'off', spellcheck: 'false' }),
    { hint: 'Where your team is, e.g. Europe/Berlin. Visitors see the times in their own.' });
  const days = DAYS.map(([key, name]) => [key, field(name, h('input', { class: 'input mono', type: 'text', maxlength: '120', autocomplete: 'off', spellcheck: 'false', placeholder: 'closed' }))]);
  const closed = field('Closed on', h('textarea', { class: 'input mono', rows: '2', spellcheck: 'false', placeholder: '2026-12-25' }),
    { optional: true, hint: 'Holidays: whole days closed whatever their weekday, one per line (or separated by commas), like 2026-12-25.' });
  const away = field('Away message', h('textarea', { class: 'input', rows: '2', maxlength: '1000' }),
    { optional: true, hint: 'Said when a visitor asks for a person outside these hours; {{opens}} becomes when you open next. The chat still reaches Mattermost.' });
  const details = h('div', { class: 'stack hours-details' },
    timeZone.root, zones,
    h('div', { class: 'hours-grid' }, days.map(([, f]) => f.root)),
    h('p', { class: 'field-hint' }, 'Hours like 09:00-17:00; several separated by commas (09:00-12:00, 13:00-17:00); 22:00-06:00 runs past midnight into the next day; empty is closed.'),
    closed.root, away.root);
  const root = h('fieldset', { class: 'stack hours' },
    h('legend', { class: 'label' }, 'Working hours'),
    h('label', { class: 'check' }, enabled, ' Answer only at certain hours'),
    details);
  const sync = () => { details.hidden = !enabled.checked; };
  enabled.addEventListener('change', sync);

  // Error paths of the API (settings.workingHours…) to the inputs they concern.
  const fields = { 'workingHours.timeZone': timeZone, 'workingHours.awayMessage': away, 'workingHours.closedDates': closed };
  for (const [key, f] of days) fields[`workingHours.days.${key}`] = f;

  return {
    root,
    fields,
    fill(hours) {
      enabled.checked = Boolean(hours);
      timeZone.input.value = hours ? hours.timeZone : browserZone();
      for (const [key, f] of days) {
        const ranges = hours ? (hours.days[key] || []) : (key === 'sat' || key === 'sun' ? [] : ['09:00-17:00']);
        f.input.value = ranges.join(', ');
      }
      away.input.value = hours && hours.awayMessage ? hours.awayMessage : '';
      closed.input.value = hours && hours.closedDates ? hours.closedDates.join('\n') : '';
      sync();
    },
    read() {
      if (!enabled.checked) return null;
      const result = {
        timeZone: timeZone.input.value.trim(), days: {}, awayMessage: away.input.value.trim() || null,
        closedDates: closed.input.value.split(/[\n,]/).map((d) => d.trim()).filter(Boolean),
      };
      for (const [key, f] of days) {
        result.days[key] = f.input.value.split(',').map((part) => part.trim()).filter(Boolean);
      }
      return result;
    },
    // [field, message] pairs, like the tab's own checks.
    validate(hours) {
      if (!hours) return [];
      const problems = [];
      if (!hours.timeZone) problems.push([timeZone, 'Choose a time zone, e.g. Europe/Berlin.']);
      else if (zoneProblem(hours.timeZone)) problems.push([timeZone, zoneProblem(hours.timeZone)]);
      // One message a field: its problems together.
      const byDay = new Map();
      const add = (f, message) => byDay.set(f, (byDay.get(f) || []).concat(message));
      for (const [key, f] of days) {
        const bad = hours.days[key].filter((range) => !rangeMinutes(range));
        if (bad.length) add(f, `Not a range of hours: ${bad.join(', ')}. Write it like 09:00-17:00 (24:00 ends the day; 22:00-06:00 runs past midnight).`);
      }
      for (const [day, message] of overlaps(days.map(([key]) => hours.days[key]))) add(days[day][1], message);
      for (const [f, messages] of byDay) problems.push([f, messages.join(' ')]);
      const badDates = hours.closedDates.filter((d) => !isDate(d));
      if (badDates.length) problems.push([closed, `${badDates.map((d) => `"${d}"`).join(', ')} ${badDates.length > 1 ? 'are not dates' : 'is not a date'}: write it like 2026-12-25.`]);
      if (!problems.length && DAYS.every(([key]) => !hours.days[key].length)) problems.push([days[0][1], 'Give at least one day opening hours, or turn working hours off.']);
      const unknown = (hours.awayMessage || '').match(/\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g) || [];
      const others = [...new Set(unknown.map((p) => p.replace(/[{}\s]/g, '')).filter((name) => name !== 'opens'))];
      if (others.length) {
        problems.push([away, `${others.map((o) => `{{${o}}}`).join(', ')} ${others.length > 1 ? 'mean' : 'means'} nothing here: the away message knows only {{opens}} (when people are back).`]);
      }
      return problems;
    },
  };
}
