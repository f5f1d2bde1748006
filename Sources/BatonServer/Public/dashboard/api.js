// The admin API (/api/openapi.yaml): JSON in and out, the session cookie sent by the
// browser, the CSRF token on every change, errors turned into ApiError with the server's
// message (written for people).

/** An error answer, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, { issues = [], retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
    this.retryAfter = retryAfter;
  }
}

let csrfToken = null;
let onSignedOut = () => {};

export function setCsrfToken(token) { csrfToken = token; }

/** Called when a request finds the session gone (a 401 that GET /session confirms). */
export function onSessionLost(handler) { onSignedOut = handler; }

const enc = encodeURIComponent;

async function request(method, path, body, { signal, sessionCall = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Cannot reach the Baton server. Check your connection and try again.');
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return data;

  const problem = data && data.error ? data.error : {};
  const retry = Number.parseInt(response.headers.get('Retry-After') || '', 10);
  const error = new ApiError(
    response.status,
    problem.code || `http_${response.status}`,
    problem.message || `The server answered with an error (HTTP ${response.status}).`,
    { issues: Array.isArray(problem.issues) ? problem.issues : [], retryAfter: Number.isFinite(retry) ? retry : null },
  );
  if (response.status === 401 && !sessionCall && !(await stillSignedIn())) {
    onSignedOut();
  }
  throw error;
}

// A 401 may come from elsewhere than our session (e.g. a Mattermost refusing the relay
// user's password): only a 401 on GET /session itself means we are signed out.
async function stillSignedIn() {
  try {
    await request('GET', '/api/v1/session', undefined, { sessionCall: true });
    return true;
  } catch (error) {
    return error.status !== 401;
  }
}

export const api = {
  session: () => request('GET', '/api/v1/session', undefined, { sessionCall: true }),
  signIn: (email, password) => request('POST', '/api/v1/session', { email, password }, { sessionCall: true }),
  signOut: () => request('DELETE', '/api/v1/session', undefined, { sessionCall: true }),
  changePassword: (currentPassword, newPassword) => request('PUT', '/api/v1/session/password', { currentPassword, newPassword }),
  setup: () => request('GET', '/api/v1/setup', undefined, { sessionCall: true }),
  createFirstAdmin: (body) => request('POST', '/api/v1/setup', body, { sessionCall: true }),
  admins: () => request('GET', '/api/v1/admins'),
  addAdmin: (email, password) => request('POST', '/api/v1/admins', { email, password }),
  removeAdmin: (id) => request('DELETE', `/api/v1/admins/${enc(id)}`),

  bots: () => request('GET', '/api/v1/bots'),
  createBot: (body) => request('POST', '/api/v1/bots', body),
  bot: (key) => request('GET', `/api/v1/bots/${enc(key)}`),
  updateBot: (key, body) => request('PUT', `/api/v1/bots/${enc(key)}`, body),
  deleteBot: (key) => request('DELETE', `/api/v1/bots/${enc(key)}`),
  makeIdentitySecret: (key) => request('POST', `/api/v1/bots/${enc(key)}/identity-secret`),
  deleteIdentitySecret: (key) => request('DELETE', `/api/v1/bots/${enc(key)}/identity-secret`),
  checkBot: (key, source, signal) => request('POST', `/api/v1/bots/${enc(key)}/check`, { source }, { signal }),
  tryBot: (key, source, text) => request('POST', `/api/v1/bots/${enc(key)}/try`, { source, text }),

  mattermost: (key, signal) => request('GET', `/api/v1/bots/${enc(key)}/mattermost`, undefined, { signal }),
  connectMattermost: (key, body) => request('PUT', `/api/v1/bots/${enc(key)}/mattermost`, body),
  disconnectMattermost: (key) => request('DELETE', `/api/v1/bots/${enc(key)}/mattermost`),
  mattermostServer: (key, server) => request('POST', `/api/v1/bots/${enc(key)}/mattermost/server`, { server }),
  mattermostTeam: (key, server, team) => request('POST', `/api/v1/bots/${enc(key)}/mattermost/team`, { server, team }),
  mattermostUsers: (key, server, team, prefix, signal) =>
    request('POST', `/api/v1/bots/${enc(key)}/mattermost/users`, { server, team, prefix }, { signal }),

  conversations: (query = {}, signal) => request('GET', `/api/v1/conversations${queryString(query)}`, undefined, { signal }),
  conversation: (id, signal) => request('GET', `/api/v1/conversations/${enc(id)}`, undefined, { signal }),
  closeConversation: (id) => request('POST', `/api/v1/conversations/${enc(id)}/close`),
  deleteConversation: (id, inMattermost = false) => request('DELETE', `/api/v1/conversations/${enc(id)}${inMattermost ? '?mattermost=erase' : ''}`),
  insights: (query = {}, signal) => request('GET', `/api/v1/insights${queryString(query)}`, undefined, { signal }),
  deleteVisitor: (id, inMattermost = false) => request('DELETE', `/api/v1/visitors/${enc(id)}${inMattermost ? '?mattermost=erase' : ''}`),
};

/** "?a=1&b=2" of the values that are set, or "". */
function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}
