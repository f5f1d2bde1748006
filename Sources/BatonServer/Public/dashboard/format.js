// Times and states in words.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayOnly = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
/** "5 Dec", in the browser's zone. */
export const shortDay = shortDate;

/** "12 s ago", "3 min ago", "2 h ago", "yesterday", "4 Mar". */
export function relativeTime(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return 'never';
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 0) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return shortDate.format(new Date(ms));
}

export const formatDateTime = (ms) => dateTime.format(new Date(ms));
export const formatTime = (ms) => timeOnly.format(new Date(ms));
export const formatDay = (ms) => dayOnly.format(new Date(ms));
export const isoTime = (ms) => new Date(ms).toISOString();

export const CONVERSATION_STATES = [
  ['bot', 'Bot'],
  ['collecting', 'Collecting'],
  ['waiting_for_agent', 'Waiting for agent'],
  ['with_agent', 'With agent'],
  ['closed', 'Closed'],
];
const conversationLabels = Object.fromEntries(CONVERSATION_STATES);

export const conversationStateLabel = (state) => conversationLabels[state] || state;

const mattermostLabels = {
  none: 'Not connected',
  connecting: 'Connecting',
  connected: 'Connected',
  disconnected: 'Disconnected',
  error: 'Error',
  stopped: 'Stopped',
};

export const mattermostStateLabel = (state) => mattermostLabels[state] || state;

/** "Grace <grace@example.com>", "Grace", "grace@example.com" or "Anonymous visitor". */
export function visitorLabel(visitor) {
  const name = visitor && visitor.name ? visitor.name.trim() : '';
  const email = visitor && visitor.email ? visitor.email.trim() : '';
  if (name && email) return `${name} <${email}>`;
  return name || email || 'Anonymous visitor';
}

// A file size as people read it: "12 KB", "3.4 MB" (decimal units, as browsers show downloads).
export function formatBytes(n) {
  if (!(n >= 0)) return '';
  if (n < 1000) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1000, u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v < 10 ? Math.round(v * 10) / 10 : Math.round(v)} ${units[u]}`;
}

/** A wait in words: "< 1 s", "45 s", "3 min", "1 h 20 min", "2 d 4 h". */
export function formatWait(ms) {
  if (ms < 1000) return '< 1 s';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}
