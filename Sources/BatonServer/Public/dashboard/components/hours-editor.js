// Working hours of a widget: a time zone, opening hours per weekday, and what visitors
// are told when they ask for a person outside them. Part of the Widget tab's form.

import { h } from '/dashboard/dom.js';
import { field } from '/dashboard/ui.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const RANGE = /^\s*([01]?\d|2[0-3]):[0-5]\d\s*[-–]\s*(([01]?\d|2[0-3]):[0-5]\d|24:00)\s*$/;

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
      for (const [key, f] of days) {
        const bad = hours.days[key].filter((range) => !RANGE.test(range));
        if (bad.length) problems.push([f, `Not a range of hours: ${bad.join(', ')}. Write it like 09:00-17:00.`]);
      }
      const badDates = hours.closedDates.filter((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d));
      if (badDates.length) problems.push([closed, `Not a date: ${badDates.join(', ')}. Write it like 2026-12-25.`]);
      if (!problems.length && DAYS.every(([key]) => !hours.days[key].length)) problems.push([days[0][1], 'Give at least one day opening hours, or turn working hours off.']);
      return problems;
    },
  };
}
