/*!
 * Baton chat widget. Embed with
 *   <script src="https://HOST/widget.js" data-widget="KEY" async></script>
 * Optional: data-open="true" (or the page hash #baton-open) opens the panel at load;
 * data-new-visitor="true" starts as a new visitor at every load (a kiosk, the dashboard's preview);
 * data-page="path" (the default: the address without query or fragment), "full" or "off",
 * and data-page-title="off", choose what the agents learn of the page the visitor is on.
 * Signed-in users (identity verification): data-user-id, data-user-hash (HMAC-SHA256 of the
 * id with the widget's identity secret, made on the website's server), data-user-name and
 * data-user-email; or later BatonChat.identify({id, hash, name, email}) and BatonChat.logout().
 * Files: the paperclip, dropping files on the panel, or pasting them; they wait above the text
 * box and go with the next message (docs/widget-protocol.md, "Files").
 * Protocol: docs/widget-protocol.md (version 1). No dependencies, no build step.
 */
(() => {
  'use strict';

  // ---------------------------------------------------------------- configuration

  const script = document.currentScript || document.querySelector('script[data-widget][src*="widget.js"]');
  const KEY = script && script.getAttribute('data-widget');
  if (!KEY) {
    console.warn('Baton: the widget script needs a data-widget="KEY" attribute.');
    return;
  }
  // A site that pastes the snippet twice still gets one widget per key.
  const registry = (window.__batonWidgets = window.__batonWidgets || {});
  if (registry[KEY]) return;
  registry[KEY] = true;
  // What the widgets of one page share (their places, their chats, the page's API).
  const shared = (window.BatonChat = window.BatonChat || {});
  // Another widget on the page (a sales bot and a support bot): its launcher goes beside
  // the others', not on top of one, in the order of their tags in the page where it can
  // (not the order their scripts happened to run in), else in the first place free (a
  // loader that removed its tag, a tag put before one that ran already).
  const SLOT = (() => {
    const slots = (shared._slots = shared._slots || {});
    const taken = new Set(Object.keys(slots).map((key) => slots[key]));
    const keys = [];
    for (const tag of document.querySelectorAll('script[data-widget]')) {
      const key = tag.getAttribute('data-widget');
      if (/widget\.js/.test(tag.src || '') && keys.indexOf(key) === -1) keys.push(key);
    }
    let slot = keys.indexOf(KEY);
    if (slot < 0 || taken.has(slot)) for (slot = 0; taken.has(slot); slot++);
    slots[KEY] = slot;
    return slot;
  })();

  const SRC = new URL(script.src, location.href);
  // The socket lives next to widget.js, so a Baton behind a path prefix keeps working.
  const SOCKET_URL = (SRC.protocol === 'https:' ? 'wss://' : 'ws://') + SRC.host +
    SRC.pathname.replace(/[^/]*$/, '') + 'widget/v1/socket';
  // Where Baton's HTTP routes are (files), next to widget.js as well.
  const BASE = SRC.protocol + '//' + SRC.host + SRC.pathname.replace(/[^/]*$/, '');
  // The code of a link emailed to the visitor (`#baton-chat=KEY:CODE`): this widget opens
  // that chat, in whatever browser. The code leaves the address bar at once (no bookmark or
  // copied address carries it); the server gives this browser a token of its own.
  function takeEmailLink() {
    const m = /^#baton-chat=([^:&]+):([A-Za-z0-9_-]{16,200})$/.exec(location.hash || '');
    let key = null;
    try { key = m && decodeURIComponent(m[1]); } catch (e) { key = null; }
    if (key !== KEY) return null;
    try { history.replaceState(history.state, '', location.pathname + location.search); } catch (e) { /* a sandboxed frame */ }
    return m[2];
  }
  let emailLink = takeEmailLink();
  let relinking = false; // the socket is closed to open the chat of a link followed on this page
  const STORAGE_KEY = 'baton:' + KEY;
  // Open on the page before, in this tab (a reload, the next page of the site): open again.
  // Per tab, so that a visitor back another day finds it as the page has it.
  const OPEN_KEY = STORAGE_KEY + ':open';
  const WAS_OPEN = (() => { try { return window.sessionStorage.getItem(OPEN_KEY) === '1'; } catch (e) { return false; } })();
  const OPEN_AT_LOAD = script.getAttribute('data-open') === 'true' || location.hash === '#baton-open' || !!emailLink || WAS_OPEN;

  function rememberOpen(open) {
    try { window.sessionStorage.setItem(OPEN_KEY, open ? '1' : '0'); } catch (e) { /* not kept: it only reopens the panel */ }
  }

  const DEFAULT_COLOR = '#3b5bdb';
  const INK = '#1f2430';
  const BACKOFF_MIN = 500, BACKOFF_MAX = 30000;
  const TYPING_EVERY = 3000, TYPING_IDLE = 5000, REMOTE_TYPING_TIMEOUT = 6000;
  const PING_EVERY = 25000, PONG_TIMEOUT = 10000;
  // A message sent and not acknowledged this long: is the connection still there? (A
  // network gone without a word is otherwise noticed at the next ping, up to 35 s.)
  const ACK_WAIT = 4000, ACK_PONG_TIMEOUT = 5000;
  const FATAL_CODES = { unknown_widget: 4404, origin_not_allowed: 4403, identity_invalid: 4407, invalid_identity: 4407, identity_required: 4407 };
  // Errors about a message that mean "not stored, try again"; any other error with a
  // clientId means the server will never take that message.
  const RETRYABLE = { rate_limited: true, unavailable: true, hello_required: true };

  // ---------------------------------------------------------------- persisted state

  // localStorage can throw (Safari private mode, blocked storage in iframes): then the chat
  // still works, it just does not survive a reload.
  const storage = (() => {
    try { window.localStorage.getItem(STORAGE_KEY); return window.localStorage; } catch (e) { return null; }
  })();
  // A new visitor at every load of this page: the chat of the load before is forgotten.
  if (script.getAttribute('data-new-visitor') === 'true' && storage) {
    try { storage.removeItem(STORAGE_KEY); } catch (e) { /* kept: the chat goes on */ }
  }

  function load() {
    try {
      const data = JSON.parse((storage && storage.getItem(STORAGE_KEY)) || '{}') || {};
      return {
        token: typeof data.token === 'string' ? data.token : null,
        lastSeen: Number(data.lastSeen) > 0 ? Number(data.lastSeen) : 0,
        signedIn: data.signedIn === true,
        // Whose the signed-in chat is: another user on a later page starts over.
        userId: typeof data.userId === 'string' ? data.userId : null,
        pending: Array.isArray(data.pending)
          ? data.pending.filter((p) => p && typeof p.clientId === 'string' && typeof p.text === 'string' &&
            (p.files === undefined || (Array.isArray(p.files) && p.files.every(isFile))))
          : [],
        staged: Array.isArray(data.staged) ? data.staged.filter(isFile) : [],
        language: typeof data.language === 'string' ? data.language : null,
      };
    } catch (e) {
      return { token: null, lastSeen: 0, signedIn: false, userId: null, pending: [], staged: [], language: null };
    }
  }

  // token, lastSeen, signedIn, pending [{clientId, text, action, files}], staged [file]:
  // uploaded files waiting for the next message, language: the one set in the dashboard
  const state = load();
  // The widget's colour, title and language as its settings give them
  // (`widget/v1/config/KEY`), for a visitor new here, before a welcome gives them.
  let look = {};
  const settled = new Set(); // clientIds this tab saw stored or refused

  function save() {
    if (!storage) return;
    try {
      // Other tabs of the same visitor write here too: keep the unacknowledged messages
      // this tab never knew of, so one tab cannot erase another's (another person's are
      // not kept: they would be sent as this one's).
      const mine = new Set(state.pending.map((p) => p.clientId));
      const stored = load();
      const same = stored.signedIn === state.signedIn && stored.userId === state.userId;
      const others = same ? stored.pending.filter((p) => !mine.has(p.clientId) && !settled.has(p.clientId)) : [];
      // Files waiting for a message are the last tab's that touched them.
      const staged = stagedHere ? state.staged : stored.staged;
      storage.setItem(STORAGE_KEY, JSON.stringify({
        token: state.token, lastSeen: state.lastSeen, signedIn: state.signedIn, userId: state.userId,
        pending: state.pending.concat(others), staged: staged,
        language: state.language,
      }));
    } catch (e) { /* storage full or blocked: keep going in memory */ }
  }

  // The website's signed-in user, if the page says who (identity verification), else null.
  let user = readUser({
    id: script.getAttribute('data-user-id'), hash: script.getAttribute('data-user-hash'),
    name: script.getAttribute('data-user-name'), email: script.getAttribute('data-user-email'),
  });

  function readUser(u) {
    if (!u || typeof u !== 'object') return null;
    const id = u.id === undefined || u.id === null ? '' : String(u.id);
    if (!id || typeof u.hash !== 'string' || !u.hash) return null;
    const out = { id: id, hash: u.hash };
    if (typeof u.name === 'string' && u.name.trim()) out.name = u.name;
    if (typeof u.email === 'string' && u.email.trim()) out.email = u.email;
    return out;
  }

  // A file as the server describes it; its id is all that makes its address.
  function isFile(f) {
    return !!f && typeof f.id === 'string' && /^[a-z2-7]{26}$/.test(f.id) && typeof f.name === 'string';
  }
  function fileURL(f) {
    return BASE + 'widget/v1/files/' + f.id + '/' + encodeURIComponent(f.name);
  }
  const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);
  function sizeText(n) {
    if (!(n >= 0)) return '';
    const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];
    let v = n, u = 0;
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    v = u && v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
    try {
      return new Intl.NumberFormat(lang, { style: 'unit', unit: units[u], unitDisplay: u ? 'short' : 'long' }).format(v);
    } catch (e) { // a browser without unit formatting
      return v + ' ' + ['bytes', 'KB', 'MB', 'GB'][u];
    }
  }

  // ---------------------------------------------------------------- language

  // English is built in; Baton writes it here (Public/languages/en.json) with the version
  // of each other language the widget speaks, which it fetches from Baton when it is to
  // speak one: `widget/v1/languages/CODE.json?v=VERSION` (a new version, a new address,
  // so browsers may keep one for good).
  // @include languages
  const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
  const LANGUAGE_WAIT = 5000; // then the widget speaks another language (for this page)
  const fetches = {}; // code: the fetch of its words, settled once they are in or not
  const unfetched = {}; // code: true when its words could not be fetched
  // The widget's words are in the first language it speaks of: the embed tag's
  // `data-language`, the one set in the dashboard (known from the last welcome), the
  // page's `lang`, the visitor's browser languages; else English. A language whose words
  // could not be fetched is passed over. The bot's own texts are whatever the bot
  // definition says.
  function pickLanguage() {
    const wanted = [script.getAttribute('data-language'), state.language, look.language, document.documentElement.lang]
      .concat(Array.from(navigator.languages || [navigator.language]));
    for (const tag of wanted) {
      const code = typeof tag === 'string' ? languageOf(tag) : '';
      if (code && (own(LANGUAGES, code) || (own(LANGUAGE_VERSIONS, code) && !unfetched[code]))) return code;
    }
    return 'en';
  }
  // A tag's language: its primary subtag (`pt-BR` is `pt`), but Chinese in traditional
  // characters (`zh-Hant`, or Taiwan's, Hong Kong's or Macau's without `Hans`) is
  // `zh-Hant`, as Baton reads tags (`WidgetSettings.language(forTag:)`).
  // The old codes of Hebrew and Indonesian (`iw`, `in`, still in some pages) are theirs.
  function languageOf(tag) {
    const parts = tag.trim().toLowerCase().split(/[-_]/);
    const traditional = parts.includes('hant') || parts.some((p) => p === 'tw' || p === 'hk' || p === 'mo');
    if (parts[0] === 'zh' && traditional && !parts.includes('hans')) return 'zh-Hant';
    return { iw: 'he', in: 'id' }[parts[0]] || parts[0];
  }
  // Runs `then` once the widget has the words of the language it should speak: at once,
  // or once they are fetched (or could not be: then of the next language it should). Nothing
  // is drawn in words before, so nothing is drawn in one language and then another.
  function withLanguage(then) {
    const code = pickLanguage();
    if (own(LANGUAGES, code)) then();
    else fetchLanguage(code).then(() => withLanguage(then));
  }
  function fetchLanguage(code) {
    if (fetches[code]) return fetches[code];
    const abort = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = abort && setTimeout(() => abort.abort(), LANGUAGE_WAIT);
    const url = BASE + 'widget/v1/languages/' + code + '.json?v=' + encodeURIComponent(LANGUAGE_VERSIONS[code]);
    fetches[code] = fetch(url, { credentials: 'omit', signal: abort ? abort.signal : undefined })
      .then((response) => {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then((words) => {
        if (!words || typeof words !== 'object' || !words.strings || typeof words.strings !== 'object') throw new Error('not a language');
        LANGUAGES[code] = words;
      })
      .catch((e) => {
        unfetched[code] = true;
        console.warn('Baton: the widget\'s words in "' + code + '" could not be fetched (' + (e && (e.name === 'AbortError' ? 'no answer within '
          + LANGUAGE_WAIT / 1000 + ' s' : e.message)) + '); it speaks another language on this page. A page with a Content Security Policy'
          + ' needs ' + SRC.origin + ' in its connect-src.');
      })
      .then(() => clearTimeout(timer));
    return fetches[code];
  }
  let lang = 'en';
  // `t('typing', { name: 'Alice' })`: the string of the widget's language, its
  // `{placeholders}` filled in one pass (a value is never read as a placeholder).
  function t(key, params) {
    const text = LANGUAGES[lang].strings[key] || LANGUAGES.en.strings[key] || key;
    return params ? text.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined || params[name] === null ? whole : String(params[name]))) : text;
  }
  // A refusal's reason: English widgets show the server's own words, which say more;
  // the others say it in their language, by the error's code.
  const REASONS = {
    text_too_long: 'errorTextTooLong', unknown_file: 'errorFiles', too_many_files: 'errorFiles', file_too_large: 'errorFiles',
    empty_file: 'errorFiles', files_disabled: 'errorFilesDisabled', origin_not_allowed: 'notOnThisSite', unknown_widget: 'noSuchChat',
    identity_required: 'signInRequired',
  };
  // An upload's refusal says more than a message's would.
  const UPLOAD_REASONS = { file_too_large: 'fileTooLarge', empty_file: 'fileEmpty' };
  function reason(error, fallbackKey, keys = REASONS, params) {
    if (lang === 'en' && error && typeof error.message === 'string' && error.message) return error.message;
    return t((error && keys[error.code]) || fallbackKey, params);
  }
  // A notice the server sent with its meaning, in the widget's language; null when the
  // widget does not know it (then the server's text is shown).
  function noticeText(m) {
    const n = m.notice;
    if (!n || typeof n !== 'object') return null;
    const name = typeof n.name === 'string' && n.name ? n.name : null;
    switch (n.kind) {
      case 'agent_joined': return name ? t('noticeAgentJoined', { name: name }) : null;
      case 'still_waiting': return t('noticeStillWaiting');
      case 'closed': return name ? t('noticeClosedBy', { name: name }) : t('noticeClosed');
      case 'visitor_ended': return t('noticeVisitorEnded');
      case 'visitor_rated': return n.rating === 'good' ? t('noticeRatedGood') : n.rating === 'bad' ? t('noticeRatedBad') : null;
      case 'replies_emailed': return t('noticeRepliesEmailed');
      default: return null;
    }
  }
  // Puts the widget's fixed words in `lang`: text, labels, titles and placeholders named in
  // the skeleton (`data-t`, `data-t-label`, `data-t-title`), then what depends on state.
  // (Called once the words are here: `withLanguage`.)
  function applyLanguage() {
    const next = pickLanguage();
    if (!own(LANGUAGES, next)) return withLanguage(applyLanguage);
    if (next === lang && ui.root.lang === next) return;
    lang = next;
    ui.root.lang = lang;
    ui.root.dir = LANGUAGES[lang].dir === 'rtl' ? 'rtl' : 'ltr';
    for (const node of ui.root.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
    for (const node of ui.root.querySelectorAll('[data-t-label]')) node.setAttribute('aria-label', t(node.dataset.tLabel));
    for (const node of ui.root.querySelectorAll('[data-t-title]')) node.title = t(node.dataset.tTitle);
    ui.panel.dataset.drop = t('dropFiles');
    if (!botName) { // no welcome yet: the title the widget's settings gave, if any
      ui.title.textContent = look.title || t('chat');
      ui.panel.setAttribute('aria-label', look.title || t('chat'));
    }
    updateStatus();
    updateBadge();
    updateSendState();
    for (const entry of staged) updateChip(entry);
    if (!ui.bar.hidden) showBar();
  }

  let counter = 0;
  function newClientId() {
    const random = Math.random().toString(36).slice(2, 8) || '0';
    return 'c-' + Date.now() + '-' + (++counter) + '-' + random;
  }

  // ---------------------------------------------------------------- DOM

  const CSS = `
/* all: initial leaves direction alone: on a right-to-left page the widget would be
   mirrored whatever language it speaks. Its direction is its language's (the root's dir attribute),
   and every side below is logical (start, end), so a right-to-left language mirrors it
   all; each message, name and button takes its own direction. */
:host { all: initial; direction: ltr; unicode-bidi: isolate; color-scheme: light; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.root { --c: ${DEFAULT_COLOR}; --on-c: #fff; --c-ink: ${DEFAULT_COLOR}; --focus: #1864ab;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: ${INK}; -webkit-font-smoothing: antialiased; }
button { font: inherit; }
button:focus-visible, textarea:focus-visible, .log:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
/* The highest z-index there is: added last to the page, the widget stays above a site's
   header or banner that uses it too. */
.launcher { position: fixed; inset-inline-end: calc(20px + var(--slot, 0) * 68px); bottom: 20px; z-index: 2147483647; width: 56px; height: 56px;
  border: 0; border-radius: 50%; padding: 0; background: var(--c); color: var(--on-c); cursor: pointer;
  display: grid; place-items: center; box-shadow: 0 4px 14px rgba(0,0,0,.25); transition: transform .15s; }
.launcher:hover { transform: scale(1.06); }
.launcher svg { width: 26px; height: 26px; }
.launcher .i-close, .open .launcher .i-chat { display: none; }
.covered .launcher { display: none; }
.open .launcher .i-close { display: block; }
.badge { position: absolute; top: -3px; inset-inline-end: -3px; min-width: 20px; height: 20px; padding: 0 5px; border-radius: 10px;
  background: #c92a2a; color: #fff; font-size: 12px; font-weight: 600; line-height: 20px; text-align: center; }
.panel { position: fixed; inset-inline-end: calc(20px + var(--slot, 0) * 68px); bottom: 88px; z-index: 2147483647; width: 370px; height: 560px;
  max-width: calc(100vw - 40px); max-height: calc(100vh - 108px); display: flex; flex-direction: column;
  background: #fff; border-radius: 14px; overflow: hidden; box-shadow: 0 12px 40px rgba(0,0,0,.22);
  animation: baton-in .18s ease-out; }
@keyframes baton-in { from { opacity: 0; transform: translateY(12px); } }
.header { display: flex; align-items: center; gap: 8px; padding: 12px 8px; padding-inline-start: 16px; background: var(--c); color: var(--on-c); }
.header button:focus-visible { outline-color: currentColor; outline-offset: -3px; }
.titles { flex: 1; min-width: 0; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 50%; object-fit: cover; background: rgba(255,255,255,.2); }
.title { margin: 0; font-size: 16px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.status { min-height: 18px; font-size: 12.5px; overflow-wrap: anywhere; }
/* Title and status keep their words' direction but line up with the widget's side. */
[dir=rtl] .title, [dir=rtl] .status { text-align: right; }
.icon-btn { flex: none; width: 36px; height: 36px; border: 0; border-radius: 8px; padding: 0; background: transparent;
  color: inherit; cursor: pointer; display: grid; place-items: center; }
.icon-btn:hover { background: rgba(0,0,0,.14); }
.icon-btn svg { width: 20px; height: 20px; }
.end-chat { flex: none; height: 30px; padding: 0 11px; border: 1px solid currentColor; border-radius: 15px; background: transparent;
  color: inherit; font: inherit; font-size: 12.5px; cursor: pointer; white-space: nowrap; }
.end-chat:hover { background: rgba(0,0,0,.14); }
.confirm { display: flex; align-items: center; flex-wrap: wrap; gap: 8px; padding: 9px 14px; background: #f1f3f5;
  border-bottom: 1px solid #e3e6ea; font-size: 13px; }
.confirm-text { flex: 1 1 100%; }
.confirm-keep { margin-inline-start: auto; }
.confirm button { border: 1px solid var(--c-ink); border-radius: 15px; padding: 5px 11px; background: #fff; color: var(--c-ink);
  font: inherit; cursor: pointer; }
.confirm .confirm-end { background: var(--c); color: var(--on-c); border-color: transparent; }
.rate { display: flex; align-items: center; flex-wrap: wrap; gap: 8px; padding: 9px 14px; border-top: 1px solid #e3e6ea;
  background: #f6f7f9; font-size: 13px; }
.rate-text { flex: 1; min-width: 120px; }
.rate button { display: inline-flex; align-items: center; gap: 5px; border: 1px solid var(--c-ink); border-radius: 15px;
  padding: 4px 11px; padding-inline-start: 8px; background: #fff; color: var(--c-ink); font: inherit; cursor: pointer; }
.rate svg { width: 18px; height: 18px; }
.rate button:hover { background: #eef1ff; }
.bar { padding: 5px 16px; background: #fff4e6; color: #7a3e00; font-size: 12.5px; text-align: center;
  animation: baton-later .6s step-end both; }
@keyframes baton-later { from { visibility: hidden; } }
/* Only the messages give way when the panel is short: the header and the text box stay whole,
   and suggested replies or attached files scroll within their share. */
.panel > :not(.log) { flex-shrink: 0; }
.panel > .quick, .panel > .tray { max-height: 35%; overflow-y: auto; }
.log { flex: 1; overflow-y: auto; overscroll-behavior: contain; display: flex; flex-direction: column;
  padding: 14px 14px 8px; background: #f6f7f9; scrollbar-width: thin; }
.row { display: flex; flex-direction: column; align-items: flex-start; max-width: 85%; margin-top: 3px; }
.row.first { margin-top: 12px; }
.row.visitor { align-self: flex-end; align-items: flex-end; }
.name { margin: 0 0 3px; margin-inline-start: 4px; font-size: 12px; color: #495057; }
.row:not(.first) .name, .visitor .name, .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.bubble, .notice { white-space: pre-wrap; overflow-wrap: anywhere; }
.bubble { padding: 8px 12px; border-radius: 16px; background: #fff; border: 1px solid #e3e6ea; }
.visitor .bubble { background: var(--c); color: var(--on-c); border-color: transparent; }
/* On its way: outlined, its text as readable as when it is stored ("Sending…" says so too). */
.pending .bubble { outline: 1.5px dashed var(--c); outline-offset: 2px; }
.failed .bubble { background: #fff; color: ${INK}; border: 1px dashed #c92a2a; }
.meta { margin: 3px 4px 0; font-size: 11.5px; color: #495057; }
.deleted .bubble { font-style: italic; color: #6c757d; background: #f8f9fa; }
.visitor .meta { text-align: end; }
.failed .meta, .retrying .meta { color: #b02525; }
.notice { align-self: center; max-width: 90%; margin: 12px 0 2px; font-size: 12px; color: #495057; text-align: center; }
.notice.error { padding: 8px 12px; border-radius: 8px; background: #fff5f5; color: #a61e1e; font-size: 13px; }
.divider { display: flex; align-items: center; gap: 8px; margin: 16px 0 2px; font-size: 12px; color: #495057; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid #d5d9de; }
.typing { display: flex; align-items: center; gap: 6px; padding: 4px 18px 6px; background: #f6f7f9; font-size: 12.5px; color: #495057; }
.dots { display: inline-flex; gap: 3px; }
.dots i { width: 5px; height: 5px; border-radius: 50%; background: currentColor; animation: baton-dot 1.2s infinite ease-in-out both; }
.dots i:nth-child(2) { animation-delay: .15s; } .dots i:nth-child(3) { animation-delay: .3s; }
@keyframes baton-dot { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
.quick { display: flex; flex-wrap: wrap; justify-content: flex-end; gap: 6px; padding: 4px 14px 10px; background: #f6f7f9; }
.quick button { border: 1px solid var(--c-ink); border-radius: 16px; padding: 5px 12px; background: #fff; color: var(--c-ink); cursor: pointer; }
.quick button:hover { background: #eef1ff; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px; padding-inline-start: 14px; border-top: 1px solid #e3e6ea; background: #fff; }
.field { flex: 1; min-width: 0; }
textarea { display: block; width: 100%; min-height: 40px; max-height: 120px; margin: 0; padding: 9px 10px; resize: none;
  border: 1px solid #b8bfc8; border-radius: 10px; background: #fff; color: ${INK}; font: inherit; line-height: 1.4; }
/* One line, whatever the language: a longer hint ends in an ellipsis rather than a cut second line. */
textarea::placeholder { color: #6c737d; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
/* Empty, the text box starts on the widget's side (dir=auto reads no words yet). */
[dir=rtl] textarea:placeholder-shown { direction: rtl; unicode-bidi: isolate; }
textarea:disabled { background: #f1f3f5; }
.counter { margin-top: 3px; font-size: 11.5px; color: #495057; text-align: end; }
.counter.full { color: #b02525; }
.send { flex: none; width: 40px; height: 40px; border: 0; border-radius: 10px; padding: 0; background: var(--c);
  color: var(--on-c); cursor: pointer; display: grid; place-items: center; }
.send:disabled { opacity: .45; cursor: default; }
.attach { color: #495057; width: 40px; height: 40px; }
.attach:hover { background: #f1f3f5; }
.attach:disabled { opacity: .45; cursor: default; }
.files { display: flex; flex-direction: column; gap: 4px; }
.bubble .files:not(:first-child) { margin-top: 6px; }
.bubble a.link { color: inherit; text-decoration: underline; }
.bubble code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em;
  padding: 1px 4px; border-radius: 4px; background: rgba(0,0,0,.07); }
/* A fenced block keeps its lines as they are and scrolls sideways rather than wrap. */
.bubble pre.code-block { margin: 4px 0; padding: 6px 8px; border-radius: 6px; background: rgba(0,0,0,.07);
  white-space: pre; overflow-x: auto; max-width: 100%; overflow-wrap: normal; }
.bubble pre.code-block code { padding: 0; background: none; font-size: 12.5px; line-height: 1.45; }
.file { display: inline-flex; align-items: center; gap: 6px; max-width: 100%; padding: 6px 10px; border-radius: 10px;
  background: rgba(0,0,0,.06); color: inherit; text-decoration: none; white-space: normal; }
.file:hover { text-decoration: underline; }
.file svg { flex: none; width: 16px; height: 16px; }
.file .fname { overflow-wrap: anywhere; }
.file .fsize { flex: none; opacity: .75; font-size: 12px; }
.bubble.bare { padding: 0; background: none; border-color: transparent; }
.file.image { padding: 0; background: none; border-radius: 10px; overflow: hidden; }
.file.image img { display: block; max-width: 220px; max-height: 220px; border-radius: 10px; background: #e9ecef; }
.tray { display: flex; flex-wrap: wrap; gap: 6px; padding: 10px 10px 0; padding-inline-start: 14px; border-top: 1px solid #e3e6ea; background: #fff; }
.tray:not([hidden]) + .composer { border-top: 0; }
.chip { display: flex; align-items: center; gap: 8px; max-width: 100%; padding: 4px 2px; padding-inline-start: 8px; border-radius: 10px;
  background: #f1f3f5; font-size: 12.5px; line-height: 1.3; }
.chip > svg { flex: none; width: 16px; height: 16px; }
.chip img { flex: none; width: 32px; height: 32px; object-fit: cover; border-radius: 6px; background: #e9ecef; }
.chip-text { display: flex; flex-direction: column; min-width: 0; }
.chip .fname { max-width: 190px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chip-meta { color: #495057; font-size: 11.5px; }
.chip.failed { background: #fff5f5; border: 1px dashed #c92a2a; }
.chip.failed .chip-meta { color: #b02525; }
.chip-remove, .chip-retry { width: 28px; height: 28px; }
.chip-remove svg, .chip-retry svg { width: 14px; height: 14px; }
.panel.dropping::after { content: attr(data-drop); position: absolute; inset: 0; display: grid; place-items: center;
  background: rgba(255,255,255,.92); border: 3px dashed var(--c-ink); border-radius: 14px; color: var(--c-ink); font-size: 16px; font-weight: 600; }
.send svg { width: 20px; height: 20px; }
/* The paper plane flies towards the end of the line. */
[dir=rtl] .send svg { transform: scaleX(-1); }
/* On a short screen too (a phone held sideways, a page zoomed in), the panel fills it. */
@media (max-width: 480px), (max-height: 520px) {
  .panel { inset: 0; width: auto; height: auto; max-width: none; max-height: none; border-radius: 0; }
  .open .launcher { display: none; }
  textarea { font-size: 16px; } /* below 16px iOS zooms into the page on focus */
}
/* Very short (zoomed in to 400%, a phone held sideways with its keyboard up): the header
   takes one line, suggested replies one row that scrolls sideways, and the panel scrolls as
   a whole, so that a few lines of the chat and the whole text box stay within reach. */
@media (max-height: 320px) {
  .panel { overflow-y: auto; }
  .log { flex: 1 0 4.5em; min-height: 4.5em; }
  .header { padding-block: 4px; }
  .avatar { display: none; }
  .panel > .quick { flex-wrap: nowrap; overflow-x: auto; max-height: none; justify-content: flex-start; }
  .quick button { flex: none; }
}
/* High contrast (forced colours) drops backgrounds: the launcher, the panel, its header and
   the send button keep an outline of the system's colour instead. */
@media (forced-colors: active) {
  .launcher, .send { border: 2px solid ButtonText; }
  .panel { border: 2px solid CanvasText; }
  .header { border-bottom: 1px solid CanvasText; }
}
@media (prefers-reduced-motion: reduce) { .panel, .dots i, .launcher { animation: none; transition: none; } }
@media print { .root { display: none; } }
`;

  const ICON_CHAT = '<svg class="i-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>';
  const ICON_X = (cls) => '<svg class="' + cls + '" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  const ICON_SAVE = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 4v11M7 10.5l5 5 5-5"/><path d="M5 19.5h14"/></svg>';
  const ICON_CLIP = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>';
  const ICON_RETRY = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M20 12a8 8 0 1 1-2.34-5.66"/><path d="M20 4v5h-5"/></svg>';
  const ICON_FILE = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/><path d="M14 3v6h6"/></svg>';
  const FACE = (mouth) => '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><circle cx="12" cy="12" r="9"/><path d="M9 10h.01M15 10h.01"/><path d="' + mouth + '"/></svg>';
  const ICON_GOOD = FACE('M8.5 14.5a4 4 0 0 0 7 0');
  const ICON_BAD = FACE('M8.5 16.5a4 4 0 0 1 7 0');
  const ICON_SEND = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 12l16-8-6 16-2.5-6.5z"/><path d="M11.5 13.5L20 4"/></svg>';

  // The skeleton is a constant: nothing from the server or the visitor is ever parsed as
  // HTML. All message content goes in with textContent.
  const SKELETON = `
<div class="root">
  <section class="panel" id="baton-panel" role="dialog" aria-modal="false" hidden>
    <header class="header">
      <img class="avatar" alt="" referrerpolicy="no-referrer" hidden>
      <div class="titles"><h2 class="title" dir="auto"></h2><div class="status" role="status" dir="auto"></div></div>
      <button type="button" class="end-chat" data-t="endChat" hidden></button>
      <button type="button" class="icon-btn save" data-t-label="saveChat" data-t-title="saveChatShort" hidden>${ICON_SAVE}</button>
      <button type="button" class="icon-btn close" data-t-label="closeChat">${ICON_X('')}</button>
    </header>
    <div class="confirm" role="group" data-t-label="endTheChat" hidden>
      <span class="confirm-text" data-t="endConfirm"></span>
      <button type="button" class="confirm-keep" data-t="keepChatting"></button>
      <button type="button" class="confirm-end" data-t="endChat"></button>
    </div>
    <div class="bar" role="status" hidden></div>
    <div class="log" role="log" aria-live="polite" aria-relevant="additions" data-t-label="messages" tabindex="0"></div>
    <div class="typing" hidden><span class="typing-text"></span><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span></div>
    <div class="quick" role="group" data-t-label="suggestedReplies" hidden></div>
    <div class="tray" role="list" data-t-label="filesToSend" hidden></div>
    <div class="sr tray-status" role="status"></div>
    <div class="rate" role="group" data-t-label="rateThisChat" hidden>
      <span class="rate-text" data-t="rateQuestion"></span>
      <button type="button" class="rate-good">${ICON_GOOD}<span data-t="good"></span></button>
      <button type="button" class="rate-bad">${ICON_BAD}<span data-t="bad"></span></button>
    </div>
    <div class="composer">
      <button type="button" class="icon-btn attach" data-t-label="attachFiles" data-t-title="attachFiles" hidden>${ICON_CLIP}</button>
      <input type="file" class="file-input" multiple hidden tabindex="-1" aria-hidden="true">
      <div class="field">
        <textarea rows="1" dir="auto" data-t-label="message"></textarea>
        <div class="counter" hidden></div>
      </div>
      <button type="button" class="send" data-t-label="send">${ICON_SEND}</button>
    </div>
  </section>
  <button type="button" class="launcher" aria-expanded="false" aria-controls="baton-panel">${ICON_CHAT}${ICON_X('i-close')}<span class="badge" aria-hidden="true" hidden></span></button>
</div>`;

  let ui = null; // the elements, once built
  let host = null; // the element on the page holding them
  let started = false; // once it speaks its language: shown, and connecting when it should

  // Pages with a strict Content Security Policy: the styles go in through the CSS object
  // model (a constructed style sheet, properties set one by one), which `style-src` does
  // not govern, so no `'unsafe-inline'` is needed; and the constant markup above goes in
  // through a Trusted Types policy named `baton-chat` where the page enforces them
  // (`require-trusted-types-for 'script'`; the page's `trusted-types` must allow the name).
  // One policy for every Baton widget on the page (a name may be created only once).
  let htmlPolicy = null;
  try {
    if (!shared._htmlPolicy && window.trustedTypes && window.trustedTypes.createPolicy) {
      shared._htmlPolicy = window.trustedTypes.createPolicy('baton-chat', { createHTML: (constant) => constant });
    }
    htmlPolicy = shared._htmlPolicy || null;
  } catch (e) { /* the page allows no policy of that name: if it enforces Trusted Types, `build` says so */ }
  const markup = (constant) => (htmlPolicy ? htmlPolicy.createHTML(constant) : constant);

  // Whether the widget could be built: the page may have taken its element's name, or
  // refuse its markup (Trusted Types without `baton-chat` allowed).
  function build() {
    host = document.createElement('baton-chat');
    host.setAttribute('data-baton-slot', String(SLOT));
    // Page rules such as `body > * { transform: … }` or `display: none` must not reach us.
    host.style.setProperty('all', 'initial', 'important');
    let shadow;
    try {
      shadow = host.attachShadow({ mode: 'open' });
    } catch (e) {
      console.error('Baton: the chat cannot be shown: this page already uses the element name <baton-chat> (' + e.message + ').');
      return false;
    }
    let sheet = null;
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch (e) {
      sheet = null; // an older browser: a style element (which a strict `style-src` refuses)
    }
    if (!sheet) {
      const style = document.createElement('style');
      style.textContent = CSS;
      shadow.append(style);
    }
    const tpl = document.createElement('template');
    try {
      tpl.innerHTML = markup(SKELETON);
    } catch (e) {
      console.error('Baton: the chat cannot be shown: this page enforces Trusted Types and does not allow the policy "baton-chat"; '
        + 'add baton-chat to its trusted-types directive (' + e.message + ').');
      return false;
    }
    shadow.append(tpl.content);
    // Hidden until it can speak its language (`start`).
    host.style.setProperty('visibility', 'hidden', 'important');
    mount();
    // A page that takes it out (its whole content replaced, or its root element) has it
    // put back.
    if (typeof MutationObserver === 'function') {
      const keeper = new MutationObserver(() => {
        if (host.isConnected || !document.documentElement) return;
        mount();
        keeper.observe(document.documentElement, { childList: true });
      });
      keeper.observe(document, { childList: true });
      keeper.observe(document.documentElement, { childList: true });
    }
    const $ = (sel) => shadow.querySelector(sel);
    ui = {
      root: $('.root'), panel: $('.panel'), title: $('.title'), status: $('.status'), close: $('.close'), avatar: $('.avatar'),
      bar: $('.bar'), log: $('.log'), typing: $('.typing'), typingText: $('.typing-text'), quick: $('.quick'),
      input: $('textarea'), counter: $('.counter'), send: $('.send'), launcher: $('.launcher'), badge: $('.badge'),
      attach: $('.attach'), fileInput: $('.file-input'), tray: $('.tray'), trayStatus: $('.tray-status'),
      endChat: $('.end-chat'), confirm: $('.confirm'), confirmEnd: $('.confirm-end'), confirmKeep: $('.confirm-keep'),
      rate: $('.rate'), rateGood: $('.rate-good'), rateBad: $('.rate-bad'), save: $('.save'),
    };
    ui.root.style.setProperty('--slot', String(SLOT));
    peers.join({ close: () => closePanel(false), cover: (on) => ui.root.classList.toggle('covered', on), relabel: () => { if (started) updateBadge(); } });
    ui.save.addEventListener('click', saveTranscript);
    // A phone turned sideways, a window resized: modal or not follows.
    if (FILLS_SCREEN && FILLS_SCREEN.addEventListener) FILLS_SCREEN.addEventListener('change', updateModal);
    // A chat with the agents that ended may be rated, once.
    const rate = (rating) => {
      if (!send({ type: 'rate', conversation: lastConversation, rating: rating })) return;
      rated = true;
      updateStatus();
      ui.input.focus();
    };
    ui.rateGood.addEventListener('click', () => rate('good'));
    ui.rateBad.addEventListener('click', () => rate('bad'));
    // Ending a chat with the agents asks first: one stray click must not end it.
    ui.endChat.addEventListener('click', () => {
      keepingScroll(() => { ui.confirm.hidden = false; });
      ui.confirmKeep.focus();
    });
    ui.confirmKeep.addEventListener('click', () => { ui.confirm.hidden = true; ui.endChat.focus(); });
    ui.confirmEnd.addEventListener('click', () => {
      if (send({ type: 'end' })) { ui.confirm.hidden = true; ui.input.focus(); }
    });
    ui.attach.addEventListener('click', () => ui.fileInput.click());
    ui.fileInput.addEventListener('change', () => {
      const chosen = Array.from(ui.fileInput.files || []);
      ui.fileInput.value = ''; // the same file may be chosen again
      stageFiles(chosen);
    });
    ui.input.addEventListener('paste', (e) => {
      const pasted = e.clipboardData ? Array.from(e.clipboardData.files || []) : [];
      if (pasted.length && fileLimits) { e.preventDefault(); stageFiles(pasted); }
    });
    // Dropping files anywhere on the panel attaches them.
    let depth = 0;
    const dragging = (e) => fileLimits && !fatal && e.dataTransfer && Array.from(e.dataTransfer.types || []).indexOf('Files') >= 0;
    ui.panel.addEventListener('dragenter', (e) => { if (dragging(e)) { e.preventDefault(); depth++; ui.panel.classList.add('dropping'); } });
    ui.panel.addEventListener('dragover', (e) => { if (dragging(e)) e.preventDefault(); });
    ui.panel.addEventListener('dragleave', () => { if (depth > 0 && --depth === 0) ui.panel.classList.remove('dropping'); });
    ui.panel.addEventListener('drop', (e) => {
      depth = 0;
      ui.panel.classList.remove('dropping');
      if (!dragging(e)) return;
      e.preventDefault();
      stageFiles(Array.from(e.dataTransfer.files || []));
    });
    ui.launcher.addEventListener('click', () => { primeSound(); isOpen ? closePanel(false) : openPanel(true); });
    ui.panel.addEventListener('pointerdown', primeSound);
    ui.panel.addEventListener('pointerup', primeSound);
    ui.panel.addEventListener('keydown', primeSound);
    ui.close.addEventListener('click', () => closePanel(true));
    ui.send.addEventListener('click', submit);
    ui.input.addEventListener('input', onInput);
    ui.input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a newline; never send half-composed IME text.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit();
      }
    });
    ui.root.addEventListener('keydown', (e) => {
      if (e.key === 'Tab') { keepFocusIn(e); return; }
      if (e.key !== 'Escape' || !isOpen) return;
      // The page's own menu open (a popover): Escape closes that, not the chat too.
      try { if (document.querySelector(':popover-open')) return; } catch (err) { /* a browser without popovers */ }
      e.stopPropagation();
      // A question open in the panel is answered "no" first; the panel closes on the next.
      if (!ui.confirm.hidden) { ui.confirm.hidden = true; ui.endChat.focus(); } else closePanel(true);
    });
    return true;
  }

  // While the panel fills the screen (a phone, a short or zoomed-in window) the page behind
  // it cannot be seen: Tab goes round the panel's controls instead of on to the page, and
  // the panel says it is modal. (Escape closes it, as ever.)
  const FILLS_SCREEN = window.matchMedia ? window.matchMedia('(max-width: 480px), (max-height: 520px)') : null;

  function fillsScreen() { return !!(FILLS_SCREEN && FILLS_SCREEN.matches); }

  // Nor does the page scroll under it: a swipe on its header or text box moved the page,
  // and the visitor came back to another place on it. The page's own setting is put back.
  let pageOverflow = null;
  let pageScroll = null;

  // The widgets of one page (another key's: a sales bot beside a support bot) keep out of
  // each other's way: one chat open at a time, and one that fills the screen hides the
  // others' launchers, which would be drawn over its text box.
  const peers = (() => {
    const all = (shared._peers = shared._peers || {});
    return {
      join(handlers) {
        all[KEY] = handlers;
        for (const key of Object.keys(all)) if (key !== KEY && all[key].relabel) all[key].relabel();
        // A widget added while another's chat fills the screen keeps out of sight too.
        if (shared._coveredBy && shared._coveredBy !== KEY) handlers.cover(true);
      },
      count() { return Object.keys(all).length; },
      opened() { for (const key of Object.keys(all)) if (key !== KEY) all[key].close(); },
      covering(on) {
        if (on) shared._coveredBy = KEY; else if (shared._coveredBy === KEY) shared._coveredBy = null;
        for (const key of Object.keys(all)) if (key !== KEY) all[key].cover(on);
      },
    };
  })();

  // Several widgets asked to open at load (data-open on more than one, #baton-open): the
  // first in the page's order does, whichever script ran first; before it, one that opens a
  // chat from an emailed link, then one the visitor had open on the page before (a reload).
  function mayOpenAtLoad() {
    const rank = emailLink ? 2 : WAS_OPEN ? 1 : 0;
    const before = shared._openedAtLoad;
    if (before && (before.rank > rank || (before.rank === rank && before.slot < SLOT))) return false;
    shared._openedAtLoad = { slot: SLOT, rank };
    return true;
  }

  function updateModal() {
    const modal = isOpen && fillsScreen();
    ui.panel.setAttribute('aria-modal', modal ? 'true' : 'false');
    const page = document.documentElement;
    if (modal && pageOverflow === null) {
      pageOverflow = page.style.overflow;
      // Where the page was: a page whose body scrolls (html and body 100 % high) starts
      // over at the top once the root's overflow is hidden.
      pageScroll = [window.scrollX, window.scrollY, document.body ? document.body.scrollTop : 0];
      page.style.overflow = 'hidden';
    } else if (!modal && pageOverflow !== null) {
      page.style.overflow = pageOverflow;
      pageOverflow = null;
      if (pageScroll) {
        if (document.body && pageScroll[2]) document.body.scrollTop = pageScroll[2];
        if (window.scrollY !== pageScroll[1] || window.scrollX !== pageScroll[0]) window.scrollTo(pageScroll[0], pageScroll[1]);
        pageScroll = null;
      }
    }
    // Filling the screen, it hides the other widgets' launchers, which would be drawn over it.
    peers.covering(modal);
  }

  function keepFocusIn(e) {
    if (!isOpen || !fillsScreen()) return;
    const focusable = Array.from(ui.panel.querySelectorAll('button, textarea, input, a[href], [tabindex]:not([tabindex="-1"])'))
      .filter((n) => !n.disabled && n.getClientRects().length > 0 && !(n.type === 'file'));
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = ui.root.getRootNode().activeElement;
    const inside = active && ui.panel.contains(active);
    if (e.shiftKey && (!inside || active === first)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (!inside || active === last)) { e.preventDefault(); first.focus(); }
  }

  // A file's name in its own direction: "notes ملاحظات.txt" is not reordered by the panel's.
  function fileName(name) {
    // As the server keeps it: a direction override would show "evil‮gnp.exe" as a picture.
    const span = el('span', 'fname', name.replace(/[\p{Cc}\p{Cf}]/gu, ''));
    span.dir = 'auto';
    return span;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  // ---------------------------------------------------------------- colours

  function luminance(hex) {
    const h = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&').slice(1) : hex.slice(1);
    const [r, g, b] = [0, 2, 4].map((i) => {
      const v = parseInt(h.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

  // Any widget colour stays readable: text on it is white or dark, whichever contrasts more,
  // and a colour too light for text on white is not used for text.
  function applyColor(color) {
    const c = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(color || '') ? color : DEFAULT_COLOR;
    const l = luminance(c);
    ui.root.style.setProperty('--c', c);
    ui.root.style.setProperty('--on-c', contrast(l, 1) >= contrast(l, luminance(INK)) ? '#fff' : INK);
    ui.root.style.setProperty('--c-ink', contrast(l, 1) >= 4.5 ? c : INK);
  }

  // ---------------------------------------------------------------- chat view state

  let limits = { maxTextLength: 4000, messagesPerSecond: 5, burst: 10 };
  let botName = null;
  let subtitle = null;     // the widget's line under the title, shown while the bot answers
  let convState = null;
  let handedOver = false;   // the conversation went to the agents
  let answeredIn = null;    // the conversation an agent took part in (joined, wrote): one to rate
  let rated = false;        // the visitor rated it
  let askForRating = false; // the widget's setting
  let agentName = null;
  let lastConversation = null; // conversation of the last thing drawn: a change draws a divider
  let maxShown = 0;            // highest id drawn on this page: the lastSeen of the next hello
  const shown = new Set();     // message ids drawn (history and live frames overlap)
  const rows = new Map();      // message id -> its row, for agents' corrections
  const bubbles = new Map();   // clientId -> row of a message this page sent
  let isOpen = false;
  let unread = 0;

  // Outside the widget's working hours: when people are back (from the welcome), and the
  // next times the hours close and open, which the header follows while the chat stays open.
  let awayUntil = 0, awayTimer = 0, hoursChanges = [];

  function setAway(until, changes) {
    hoursChanges = Array.isArray(changes)
      ? changes.filter((c) => c && Number(c.at) > Date.now()).map((c) => ({ at: Number(c.at), open: c.open === true }))
      : [];
    awayUntil = Number(until) > Date.now() ? Number(until) : 0;
    followHours();
  }

  // Waits for the next change of the hours (or, without the list, for awayUntil).
  function followHours() {
    clearTimeout(awayTimer);
    const next = hoursChanges.length ? hoursChanges[0].at : awayUntil;
    if (!next) return;
    awayTimer = setTimeout(() => {
      const change = hoursChanges.shift();
      if (!change || change.open) {
        awayUntil = 0;
      } else {
        // Closed now: away until the next opening named (not shown as away without one).
        const reopening = hoursChanges.find((c) => c.open);
        awayUntil = reopening ? reopening.at : 0;
      }
      updateStatus();
      followHours();
    }, Math.max(0, Math.min(next - Date.now(), 2147483647)));
  }

  // "back 09:00" today, "back Mon 09:00" within the week, "back Mon, Jan 3, 09:00" (the
  // date: a weekday alone would read as this week's) later; in the visitor's own time and
  // language.
  function awayText() {
    if (!awayUntil || awayUntil <= Date.now()) return null;
    const back = new Date(awayUntil);
    const today = back.toDateString() === new Date().toDateString();
    const withinWeek = awayUntil - Date.now() < 6 * 86400000;
    let when;
    try {
      when = new Intl.DateTimeFormat(lang, today ? { hour: 'numeric', minute: '2-digit' }
        : withinWeek ? { weekday: 'short', hour: 'numeric', minute: '2-digit' }
        : { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }).format(back);
    } catch (e) { when = back.toLocaleString(lang); }
    return t('statusAway', { time: when });
  }

  function updateStatus() {
    let text = '';
    const away = awayText();
    if (fatal) text = t('statusUnavailable');
    else if (convState === 'waiting_for_agent') text = away || t('statusWaiting');
    else if (convState === 'with_agent') text = agentName ? t('statusWithAgentNamed', { name: agentName }) : t('statusWithAgent');
    else if (convState === 'closed') text = t('statusEnded');
    else if (convState) text = away || subtitle || t('bot');
    ui.status.textContent = text;
    // The visitor may end a chat with the agents (only over a live connection: the frame
    // is not queued).
    const canEnd = !fatal && ready && (convState === 'waiting_for_agent' || convState === 'with_agent');
    ui.endChat.hidden = !canEnd;
    if (!canEnd) ui.confirm.hidden = true;
    if (convState === 'waiting_for_agent' || convState === 'with_agent') handedOver = true;
    if (convState === 'with_agent' && lastConversation) answeredIn = lastConversation;
    // A chat nobody answered (the visitor ended it while waiting) is not one to rate.
    const canRate = !fatal && ready && askForRating && convState === 'closed' && handedOver && !rated
      && answeredIn !== null && answeredIn === lastConversation;
    if (canRate !== !ui.rate.hidden) keepingScroll(() => { ui.rate.hidden = !canRate; });
    ui.save.hidden = !ui.log.querySelector('.row:not(.pending):not(.failed)');
    ui.input.placeholder = t(fatal ? 'placeholderUnavailable' : convState === 'closed' ? 'placeholderClosed' : 'placeholder');
  }

  function nearBottom() {
    const log = ui.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }
  // On a very short screen the panel scrolls as a whole (the CSS's max-height: 320px): its
  // end, the text box, is kept in sight too.
  const VERY_SHORT = window.matchMedia ? window.matchMedia('(max-height: 320px)') : null;
  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
    if (VERY_SHORT && VERY_SHORT.matches) ui.panel.scrollTop = ui.panel.scrollHeight;
  }
  // Follow new content only when the visitor is not reading further up.
  function keepingScroll(change) {
    const stick = nearBottom();
    change();
    if (stick) scrollToEnd();
  }

  // Unacknowledged visitor messages stay at the end of the log: everything the server sends
  // was stored before them, so it goes in above them.
  // `id`: a stored message's. It stands by its id: one that comes late (another server's,
  // or sent again after that server lost what it was told) goes before the later ones
  // already shown, not under them.
  function place(row, id = 0) {
    let before = ui.log.querySelector('.row.pending');
    if (id) {
      let node = before ? before.previousElementSibling : ui.log.lastElementChild;
      while (node && node !== row && Number(node.dataset.id || 0) > id) { before = node; node = node.previousElementSibling; }
      row.dataset.id = String(id);
    }
    if (row.parentNode === ui.log && row.nextElementSibling === before && row !== before) return;
    keepingScroll(() => ui.log.insertBefore(row, before));
    markRun(row);
    if (row.nextElementSibling) markRun(row.nextElementSibling);
  }

  // The author's name shows above the first bubble of a run of messages by the same author.
  function markRun(row) {
    const prev = row.previousElementSibling;
    row.classList.toggle('first', !prev || prev.dataset.author !== row.dataset.author);
  }

  function makeRow(role, name, text, at, files) {
    const row = el('div', 'row ' + (role === 'visitor' ? 'visitor' : 'them'));
    row.dataset.author = role === 'visitor' ? 'visitor' : role + ':' + (name || '');
    const author = el('div', 'name', role === 'visitor' ? t('you') : name || botName || t('bot'));
    author.dir = 'auto';
    row.append(author);
    // Each message in its own direction: Arabic, Hebrew or Persian right to left, whatever the page.
    const bubble = el('div', 'bubble');
    bubble.dir = 'auto';
    if (at) { bubble.title = new Date(at).toLocaleString(lang); row.dataset.at = String(at); }
    fillBubble(bubble, text, files, null, role !== 'visitor');
    row.append(bubble);
    return row;
  }

  // Baton puts Public/shared/rich-text.js here when it loads this file.
  // @include shared/rich-text.js
  const appendText = batonRichText(el);

  // A message's text and files. Images show as pictures, other files as links that
  // download them; names and sizes go in as text, addresses are made from the ids.
  function fillBubble(bubble, text, files, previews, rich) {
    bubble.textContent = '';
    bubble.dataset.text = text || '';
    if (text) appendText(bubble, text, rich);
    const list = Array.isArray(files) ? files.filter(isFile) : [];
    // A picture alone needs no bubble around it.
    bubble.classList.toggle('bare', !text && list.length > 0 && list.every((f) => IMAGE_TYPES.has(f.type) || (previews && previews[f.id])));
    if (!list.length) return;
    const box = el('div', 'files');
    for (const f of list) {
      const link = el('a', 'file');
      link.href = fileURL(f);
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      const preview = previews && previews[f.id];
      if (IMAGE_TYPES.has(f.type) || preview) {
        link.classList.add('image');
        const img = el('img');
        img.alt = f.name;
        img.loading = 'lazy';
        // A picture gets its height when it loads: follow it down if the log was at its end.
        img.addEventListener('load', () => {
          const log = ui.log;
          if (log.scrollHeight - log.scrollTop - log.clientHeight - img.offsetHeight < 80) scrollToEnd();
        });
        // A picture of ours asked for before its message was stored (no local preview: a
        // file kept over a reload) gets nothing yet: ask once more when it is stored.
        img.addEventListener('error', () => {
          img.dataset.failed = '1';
          if (!img.closest('.row.pending')) retryPicture(img);
        });
        img.src = preview || link.href;
        link.append(img);
        link.title = f.name + (f.size >= 0 ? ' (' + sizeText(f.size) + ')' : '');
        link.dataset.file = link.title;
      } else {
        link.href += '?download';
        link.setAttribute('download', f.name);
        link.insertAdjacentHTML('afterbegin', markup(ICON_FILE)); // a constant
        link.append(fileName(f.name));
        if (f.size >= 0) link.append(el('span', 'fsize', sizeText(f.size)));
        link.dataset.file = f.name + (f.size >= 0 ? ' (' + sizeText(f.size) + ')' : '');
      }
      box.append(link);
    }
    bubble.append(box);
  }

  // A notice in the widget's own words, laid out in its language's direction ("Alice
  // Archer به گفتگو پیوست." reads right to left, the name in it left to right); one in the
  // server's words (`own` false) takes the direction of its text.
  function makeNotice(text, extra, own = true) {
    const row = el('div', 'notice' + (extra ? ' ' + extra : ''), text);
    if (!own) row.dir = 'auto';
    row.dataset.author = 'system';
    return row;
  }

  function setMeta(row, text, kind) {
    if (!row) return;
    let meta = row.querySelector('.meta');
    if (!text) { if (meta) meta.remove(); row.classList.remove('retrying', 'edited'); return; }
    if (!meta) row.append((meta = el('div', 'meta')));
    meta.textContent = text;
    row.classList.toggle('retrying', kind === 'retrying');
    row.classList.toggle('edited', kind === 'edited');
  }

  function noteConversation(id) {
    if (!id) return;
    if (lastConversation && lastConversation !== id) {
      const divider = el('div', 'divider', t('newConversation'));
      divider.dataset.author = 'system';
      place(divider);
      agentName = null;
    }
    lastConversation = id;
  }

  // The chat as the visitor keeps it: a text file of what this page shows (messages the
  // server stored, notices, and corrections as they now read), with times in the
  // visitor's own zone and language. Made here: nothing is asked of the server.
  function transcriptText() {
    const title = ui.title.textContent || t('chat');
    const lines = [title + ' · ' + location.host, t('transcriptSaved', { time: new Date().toLocaleString(lang) }), ''];
    for (const row of ui.log.children) {
      if (row.classList.contains('pending') || row.classList.contains('failed')) continue;
      if (!row.classList.contains('row')) { // a notice, or the line between two conversations
        lines.push('— ' + row.textContent.trim() + ' —', '');
        continue;
      }
      const bubble = row.querySelector('.bubble');
      const at = Number(row.dataset.at);
      let head = row.querySelector('.name').textContent;
      if (at) head += ' · ' + new Date(at).toLocaleString(lang);
      if (row.classList.contains('edited')) head += ' ' + t('transcriptEdited');
      let text = row.classList.contains('deleted') ? bubble.textContent : bubble.dataset.text || '';
      // The bot's Markdown escapes (a visitor's name in its words) are not part of the text.
      if (row.dataset.author.startsWith('bot:')) text = text.replace(/\\([\\`*_{}\[\]()#+\-.!~|>])/g, '$1');
      const files = Array.from(bubble.querySelectorAll('.file')).map((a) => t('transcriptFile') + ' ' + (a.dataset.file || ''));
      lines.push(head, ...[text, ...files].filter((t) => t).map((t) => '  ' + t.replace(/\n/g, '\n  ')), '');
    }
    return lines.join('\n');
  }

  function saveTranscript() {
    const now = new Date();
    const day = now.getFullYear() + '-' + String(now.getMonth() + 1).padStart(2, '0') + '-' + String(now.getDate()).padStart(2, '0');
    const url = URL.createObjectURL(new Blob([transcriptText() + '\n'], { type: 'text/plain;charset=utf-8' }));
    const link = el('a');
    link.href = url;
    link.download = 'chat-' + day + '.txt';
    link.hidden = true;
    ui.root.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  function markSeen(id) {
    if (typeof id !== 'number') return;
    shown.add(id);
    maxShown = Math.max(maxShown, id);
    state.lastSeen = Math.max(state.lastSeen, id);
  }

  // Draws a message of the conversation once, whether it comes from history or live.
  function renderMessage(m) {
    if (!m || typeof m.id !== 'number' || shown.has(m.id)) return;
    const text = typeof m.text === 'string' ? m.text : '';
    if (typeof m.replaces === 'number') {
      // An agent corrected (or deleted, when there is no text and no file) an earlier
      // message: also one of a chat that closed, which may no longer be the one shown.
      correct(rows.get(m.replaces), text, m.files);
      markSeen(m.id);
      return;
    }
    noteConversation(m.conversation);
    if (m.role === 'visitor' && m.clientId && bubbles.has(m.clientId)) {
      // One of ours, stored although its ack was lost: this is its ack.
      markStored(m.clientId, m.id);
    } else if (m.role === 'system') {
      const own = noticeText(m);
      place(own === null ? makeNotice(typeof m.text === 'string' ? m.text : '', undefined, false) : makeNotice(own), m.id);
      // Who joined is who the visitor is chatting with, before they write.
      if (m.notice && m.notice.kind === 'agent_joined' && typeof m.notice.name === 'string' && m.notice.name) agentName = m.notice.name;
      if (m.notice && m.notice.kind === 'agent_joined') answeredIn = lastConversation;
      // Rated in another tab or browser of the visitor's: no asking here any more.
      if (m.notice && m.notice.kind === 'visitor_rated' && !rated) { rated = true; updateStatus(); }
    } else {
      const row = makeRow(m.role, m.name, text, m.at, m.files);
      if (m.role === 'agent') { rows.set(m.id, row); answeredIn = lastConversation; }
      place(row, m.id);
    }
    if (!isOpen && m.role !== 'visitor' && m.id > state.lastSeen) { unread++; updateBadge(); }
    if (m.role === 'agent' && m.id > state.lastSeen) alertAway(m.name);
    markSeen(m.id);
    if (m.role === 'agent' && m.name) agentName = m.name;
    if (m.role === 'agent') { newestReply = Math.max(newestReply, m.id); tellSeen(); }
    if (m.role !== 'system') setQuickReplies(m.role === 'bot' ? m.buttons : null);
    if (remoteTypingRole === m.role) hideRemoteTyping();
    updateStatus();
  }

  // The newest agent reply drawn, and the newest the server was told the visitor saw
  // (the panel open on a visible page): Baton emails a visitor who left only the replies
  // they did not see (docs/widget-protocol.md, `seen`).
  let newestReply = 0;
  let toldSeen = 0;
  function tellSeen() {
    if (!ready || !isOpen || pageHidden() || newestReply <= toldSeen) return;
    if (send({ type: 'seen', upTo: newestReply })) toldSeen = newestReply;
  }

  function correct(row, text, files) {
    if (!row) return; // not on this page (left out of a long history)
    const bubble = row.querySelector('.bubble');
    const deleted = !text && !(Array.isArray(files) && files.length);
    keepingScroll(() => {
      row.classList.toggle('deleted', deleted);
      if (deleted) { bubble.textContent = t('messageDeleted'); bubble.classList.remove('bare'); }
      else fillBubble(bubble, text, files, null, true);
      setMeta(row, deleted ? null : t('edited'), 'edited');
    });
  }

  // Quick replies belong to the latest bot message, and only until the visitor says anything.
  function setQuickReplies(buttons) {
    const list = Array.isArray(buttons) && !state.pending.length && !fatal
      ? buttons.filter((b) => b && typeof b.title === 'string' && b.title.trim()) : [];
    keepingScroll(() => {
      ui.quick.textContent = '';
      for (const b of list) {
        const button = el('button', '', b.title);
        button.type = 'button';
        button.dir = 'auto';
        button.addEventListener('click', () => {
          sendMessage(b.title, typeof b.action === 'string' ? b.action : null);
          ui.input.focus(); // the button is gone; keep focus somewhere useful
        });
        ui.quick.append(button);
      }
      ui.quick.hidden = !list.length;
    });
  }

  let remoteTypingRole = null, remoteTypingTimer = 0;
  function onRemoteTyping(f) {
    if (!f.active) {
      if (remoteTypingRole === f.role) hideRemoteTyping();
      return;
    }
    if (f.role === 'agent' && f.name) { agentName = f.name; updateStatus(); }
    remoteTypingRole = f.role;
    ui.typingText.textContent = t('typing', { name: f.name || (f.role === 'bot' ? botName : null) || t('someone') });
    keepingScroll(() => { ui.typing.hidden = false; });
    clearTimeout(remoteTypingTimer);
    remoteTypingTimer = setTimeout(hideRemoteTyping, REMOTE_TYPING_TIMEOUT);
  }
  function hideRemoteTyping() {
    clearTimeout(remoteTypingTimer);
    remoteTypingRole = null;
    ui.typing.hidden = true;
  }

  function updateBadge() {
    ui.badge.hidden = !unread;
    ui.badge.textContent = unread > 9 ? '9+' : String(unread);
    // With other widgets on the page, each launcher says whose chat it is.
    const label = t(isOpen ? 'closeChat' : 'openChat') + (peers.count() > 1 && ui.title.textContent ? ': ' + ui.title.textContent : '');
    ui.launcher.setAttribute('aria-label', unread ? t('unread', { label: label, count: unread }) : label);
  }

  // ---------------------------------------------------------------- the visitor's messages

  function addPendingBubble(item, previews) {
    const row = makeRow('visitor', null, item.text);
    fillBubble(row.querySelector('.bubble'), item.text, item.files, previews);
    row.classList.add('pending');
    setMeta(row, t('sending'));
    bubbles.set(item.clientId, row);
    ui.log.append(row);
    markRun(row);
  }

  function removePending(clientId) {
    state.pending = state.pending.filter((p) => p.clientId !== clientId);
    settled.add(clientId);
  }

  // The server stored a message of ours (ack, or seen in history/live frames).
  function retryPicture(img) {
    if (img.dataset.failed !== '1' || img.dataset.retried === '1' || img.src.startsWith('blob:')) return;
    img.dataset.retried = '1';
    img.src = img.src.split('?')[0] + '?stored';
  }

  function markStored(clientId, id) {
    removePending(clientId);
    const row = bubbles.get(clientId);
    if (row && row.classList.contains('pending')) {
      row.classList.remove('pending');
      row.dataset.at = String(Date.now());
      setMeta(row, null);
      place(row, id); // in case later messages of ours were stored first
      for (const img of row.querySelectorAll('img')) retryPicture(img);
    }
    markSeen(id);
    unavailableDelay = 0;
    save();
  }

  function fail(clientId, reason) {
    removePending(clientId);
    const row = bubbles.get(clientId);
    if (row) {
      row.classList.remove('pending');
      row.classList.add('failed');
      setMeta(row, t('notSent', { reason: reason }));
    }
    save();
  }

  function sendMessage(text, action, files, previews) {
    const item = { clientId: newClientId(), text };
    if (action) item.action = action;
    if (files && files.length) item.files = files;
    state.pending.push(item);
    save();
    addPendingBubble(item, previews);
    setQuickReplies(null);
    stopTyping();
    scrollToEnd();
    if (!ws && !reconnectTimer) connect();
    flush();
  }

  // What the server keeps of a message (ChatService.clean): without control, direction
  // override and invisible characters, so that the visitor's own bubble shows what the
  // agents read (an override would show it reversed here only).
  const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u034F\u115F\u1160\u180E\u200B\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]/g;

  function cleanText(text) {
    return text.replace(/[\u2028\u2029]/g, '\n').replace(INVISIBLE, '').trim();
  }

  // Sends the text with the files waiting above it (the text is their caption). While a
  // file is still uploading the Send button waits for it. Text of invisible characters
  // alone is nothing to send: the box is emptied.
  function submit() {
    const text = cleanText(ui.input.value);
    const files = staged.filter((f) => f.status === 'ready');
    if (!text && !files.length && ui.input.value && !fatal && !isUploading()) { ui.input.value = ''; onInput(); return; }
    if (fatal || (!text && !files.length) || isUploading()) return;
    ui.input.value = '';
    onInput();
    const previews = {};
    for (const f of files) if (f.preview) previews[f.id] = f.preview;
    const described = files.map(uploaded);
    // More files than a message may carry go on in messages of their own.
    const per = Math.max(1, (fileLimits && fileLimits.maxPerMessage) || 10);
    sendMessage(text, null, described.slice(0, per), previews);
    for (let i = per; i < described.length; i += per) sendMessage('', null, described.slice(i, i + per), previews);
    if (files.length) {
      staged = staged.filter((f) => f.status !== 'ready');
      saveStaged();
      renderTray();
    }
    ui.input.focus();
  }

  // The start of `text` of at most `max` code points, ending between two characters as a
  // person sees them: a flag, a family emoji or a letter with its accent is kept whole or
  // left out (Intl.Segmenter where the browser has it, else between code points).
  function prefixBetweenCharacters(text, max) {
    if (typeof Intl === 'undefined' || !Intl.Segmenter) return Array.from(text).slice(0, max).join('');
    let kept = '', count = 0;
    for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
      count += Array.from(segment).length;
      if (count > max) break;
      kept += segment;
    }
    return kept;
  }

  function onInput() {
    const input = ui.input, max = limits.maxTextLength;
    // The limit counts code points, which the textarea's own maxlength (UTF-16) cannot do.
    const chars = Array.from(input.value);
    const cut = chars.length > max;
    if (cut) {
      const caret = input.selectionStart;
      input.value = prefixBetweenCharacters(input.value, max);
      input.setSelectionRange(Math.min(caret, input.value.length), Math.min(caret, input.value.length));
    }
    const left = max - Math.min(chars.length, max);
    ui.counter.hidden = !cut && left > Math.min(200, Math.ceil(max * 0.2));
    // A paste past the limit says its end was left out, not only that nothing is left.
    ui.counter.textContent = cut ? t('textCut', { count: max.toLocaleString(lang) })
      : left === 1 ? t('charactersLeftOne') : t('charactersLeft', { count: left.toLocaleString(lang) });
    ui.counter.classList.toggle('full', left === 0);
    // Grow with the text up to the CSS max-height.
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 2 + 'px';
    if (input.value.trim()) noteTyping(); else stopTyping();
  }

  let typingSentAt = 0, typingActive = false, typingIdleTimer = 0;
  function noteTyping() {
    if (!ready) return;
    const now = Date.now();
    if (now - typingSentAt >= TYPING_EVERY) {
      send({ type: 'typing', active: true });
      typingSentAt = now;
      typingActive = true;
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
  }
  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (typingActive && ready) send({ type: 'typing', active: false });
    typingActive = false;
    typingSentAt = 0;
  }

  // ---------------------------------------------------------------- the socket

  let ws = null;          // the current socket (handlers of older ones are ignored)
  let ready = false;      // welcome received on ws
  let wanted = false;     // the chat has been started on this page: keep a connection
  let fatal = false;      // unknown widget / origin refused: never reconnect
  let everReady = false;
  let attempt = 0, reconnectTimer = 0, welcomedAt = 0, helloHadToken = false;
  let pingTimer = 0, pongTimer = 0;
  let lastError = null;
  let sentHere = new Set(); // clientIds sent on this connection: each goes out once per connection
  let bucket = { tokens: 0, at: 0 };
  let holdUntil = 0, holdTimer = 0, unavailableDelay = 0;

  function send(frame) {
    // (1 is OPEN: a page's own wrapper of WebSocket may not carry the constants.)
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  // The page the visitor is on, for the agents: sent with the hello, and again when a
  // single-page site moves on without loading a new page. By default only the address's
  // origin and path: a query or a fragment may hold what agents must not see (a password
  // reset token). `data-page="full"` sends the whole address, `data-page="off"` nothing.
  // `data-page-title="off"` leaves the page's title out (a title may name the signed-in
  // user: "Grace Hopper · My account").
  // Addresses Baton would refuse (over 2,048 characters) are not sent.
  const PAGE_MODE = (script.getAttribute('data-page') || 'path').toLowerCase();
  const PAGE_TITLE = (script.getAttribute('data-page-title') || 'on').toLowerCase() !== 'off';
  let pageSent = '';
  function pageURL() {
    if (PAGE_MODE === 'off') return '';
    // An emailed link's code is never sent as part of the page (`popstate` comes before the
    // `hashchange` that takes it out of the address).
    return PAGE_MODE === 'full' ? String(location.href).replace(/#baton-chat=.*$/, '') : location.origin + location.pathname;
  }
  function currentPage() {
    const url = pageURL();
    if (url.length > 2048 || !/^https?:/i.test(url)) return null;
    return PAGE_TITLE ? { url, title: String(document.title || '').slice(0, 300) } : { url };
  }
  function notePage() {
    if (!ready || pageURL() === pageSent) return;
    pageSent = pageURL();
    const page = currentPage();
    if (page) send({ type: 'page', ...page });
  }

  function connect() {
    if (fatal || ws) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    wanted = true;
    if (!state.token) state.token = load().token; // another tab may have started this visitor
    let socket;
    try {
      socket = new WebSocket(SOCKET_URL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = socket;
    ready = false;
    lastError = null;
    showBar();
    socket.onopen = () => {
      if (ws !== socket) return;
      const hello = { type: 'hello', widget: KEY };
      if (state.token) hello.token = state.token;
      if (emailLink) hello.link = emailLink;
      if (user) hello.user = user;
      const page = currentPage();
      if (page) hello.page = page;
      // The language the visitor reads best, for the agents.
      const spoken = (navigator.languages && navigator.languages[0]) || navigator.language;
      if (typeof spoken === 'string' && spoken) hello.language = spoken;
      // And the one it shows its words in (or will, once they are fetched), for what Baton
      // writes to the visitor.
      hello.widgetLanguage = pickLanguage();
      pageSent = pageURL();
      // A fresh page has drawn nothing and asks for the whole conversation.
      if (maxShown > 0) hello.lastSeen = maxShown;
      helloHadToken = !!state.token;
      send(hello);
    };
    socket.onmessage = (ev) => { if (ws === socket) onFrame(ev.data); };
    socket.onclose = (ev) => onClose(socket, ev.code);
    socket.onerror = () => {}; // a close event follows and decides what to do
  }

  function onClose(socket, code) {
    if (ws !== socket) return;
    const lasted = ready && Date.now() - welcomedAt > 10000;
    ws = null;
    ready = false;
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    clearTimeout(holdTimer);
    clearTimeout(ackTimer);
    pongTimer = 0;
    ackTimer = 0;
    hideRemoteTyping();
    typingActive = false;
    updateStatus(); // no ending a chat while disconnected
    // A connection that held resets the backoff; one dropped right after welcome does not.
    if (lasted) attempt = 0;
    // A frame too large for the server (1009): the first message sent and not taken would
    // be sent again at each reconnect, for ever, holding up the ones after it.
    if (code === 1009) {
      const refused = state.pending.find((p) => sentHere.has(p.clientId));
      if (refused) fail(refused.clientId, t('errorTextTooLong', { max: limits.maxTextLength }));
    }
    const fatalCode = lastError && FATAL_CODES[lastError.code];
    if (code === 4407 && lastError && (lastError.code === 'identity_invalid' || lastError.code === 'invalid_identity')) {
      // The website's signature is wrong: tell its developers, not the visitor.
      console.error('Baton:', lastError.message);
      failFatally(t('identityFailed'));
      return;
    }
    if (code === 4403 || code === 4404 || code === 4407 || fatalCode) {
      failFatally(reason(lastError, code === 4403 ? 'notOnThisSite' : 'noSuchChat'));
      return;
    }
    if (code === 4410 || relinking) {
      // The conversation shown was deleted on the server, or a link to another was followed:
      // draw the chat again from the welcome.
      relinking = false;
      clearLog();
      connect();
      return;
    }
    if (code === 4401 || (lastError && lastError.code === 'unknown_visitor')) {
      forgetVisitor();
      // Start the new visitor now, unless the server refuses even without a token.
      if (helloHadToken) { connect(); return; }
    }
    // "Try again later" (too many chats from this network): not before the server says.
    const later = code === 1013 && lastError ? Number(lastError.retryAfter) || 0 : 0;
    scheduleReconnect(later);
  }

  function scheduleReconnect(atLeast = 0) {
    if (fatal || reconnectTimer) return;
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt);
    attempt++;
    // Jitter spreads a server restart's reconnects.
    const delay = Math.max(Math.min(BACKOFF_MAX, base * (0.8 + 0.4 * Math.random())), Math.min(atLeast, 5 * 60000));
    reconnectTimer = setTimeout(() => { reconnectTimer = 0; connect(); }, delay);
    showBar();
  }

  // Network back or tab visible again: do not wait for the backoff.
  function reconnectNow() {
    if (fatal || !wanted) return;
    if (ws) { if (ready) checkAlive(); return; }
    connect();
  }

  // Browsers notice a dead connection (sleep, Wi-Fi change) late: ping, and give up on a
  // socket that stays silent.
  function checkAlive(timeout = PONG_TIMEOUT) {
    if (!ready || pongTimer) return;
    send({ type: 'ping' });
    const socket = ws;
    pongTimer = setTimeout(() => {
      pongTimer = 0;
      onClose(socket, 1006);
      try { socket.close(); } catch (e) { /* already closing */ }
    }, timeout);
  }

  // After a message goes out: unacknowledged a while later, the connection is checked.
  let ackTimer = 0;
  function awaitAck() {
    if (ackTimer) return;
    ackTimer = setTimeout(() => {
      ackTimer = 0;
      if (state.pending.some((p) => sentHere.has(p.clientId))) checkAlive(ACK_PONG_TIMEOUT);
    }, ACK_WAIT);
  }

  function showBar() {
    if (fatal || ready) return;
    ui.bar.textContent = t(everReady ? 'reconnecting' : 'connecting');
    ui.bar.hidden = false;
  }

  function failFatally(message) {
    fatal = true;
    clearTimeout(reconnectTimer);
    ui.bar.hidden = true;
    place(makeNotice(message, 'error'));
    ui.input.disabled = true;
    ui.send.disabled = true;
    setQuickReplies(null);
    hideRemoteTyping();
    updateStatus();
  }

  // The server does not know our token (a reset database, a token of another widget): start
  // a new visitor, but keep the unsent messages: they go out in the new chat.
  function forgetVisitor() {
    state.token = null;
    clearStaged(); // uploaded by the visitor that was
    clearLog();
    save();
  }

  // Forgets what this page shows of the chat (the unsent messages stay): the next welcome
  // draws the whole current conversation.
  function clearLog() {
    state.lastSeen = 0;
    maxShown = 0;
    shown.clear();
    rows.clear();
    lastConversation = null;
    convState = null;
    agentName = null;
    for (const row of Array.from(ui.log.children)) {
      if (!row.classList.contains('pending')) row.remove();
    }
    for (const [clientId, row] of bubbles) if (!row.isConnected) bubbles.delete(clientId);
    setQuickReplies(null);
    updateStatus();
  }

  // Forgets the messages waiting to be sent (but those `keep` says), here and in the other
  // tabs' shared copy.
  function dropPending(keep = () => false) {
    for (const p of state.pending.concat(load().pending)) {
      if (keep(p)) continue;
      settled.add(p.clientId);
      const row = bubbles.get(p.clientId);
      if (row) { row.remove(); bubbles.delete(p.clientId); }
    }
    state.pending = state.pending.filter(keep);
  }

  // Another tab of this browser opened another chat (an emailed link): this one follows it,
  // without the messages waiting here that the other tab dropped.
  function followOtherTab(e) {
    if (e.key !== STORAGE_KEY || state.signedIn || fatal || !state.token) return;
    const stored = load();
    if (!stored.token || stored.token === state.token) return;
    state.token = stored.token;
    const kept = new Set(stored.pending.map((p) => p.clientId));
    dropPending((p) => kept.has(p.clientId));
    if (ws) { relinking = true; ws.close(); } else { clearLog(); connect(); }
  }

  // Another person now (signed out, or someone else signed in): nothing of the last one's
  // chat stays on this page or in this browser, not even unsent messages.
  function startOver() {
    forgetVisitor();
    state.pending = [];
    state.signedIn = false;
    state.userId = null;
    for (const row of Array.from(ui.log.children)) row.remove();
    bubbles.clear();
    if (storage) { try { storage.removeItem(STORAGE_KEY); } catch (e) { /* blocked */ } }
    updateStatus();
  }

  // A refusal about who the visitor is (or was) no longer holds: the chat may try again.
  function revive() {
    if (!fatal) return;
    fatal = false;
    ui.input.disabled = false;
    updateSendState();
    for (const row of Array.from(ui.log.querySelectorAll('.notice.error'))) row.remove();
    updateStatus();
  }

  // The page says who is signed in now (BatonChat.identify / logout).
  function identifyAs(next) {
    next = readUser(next);
    if (JSON.stringify(next) === JSON.stringify(user)) return;
    if (!started) { user = next; return; } // before the widget started: start() takes it from here
    // Signing in goes on with this browser's chat (the server makes it the user's);
    // anything else is another person.
    const signingIn = !user && !state.signedIn && next;
    user = next;
    // The user's chat may be another one than this browser's (from another device).
    if (signingIn) clearLog();
    else startOver();
    revive();
    const old = ws;
    if (old) {
      onClose(old, 1000);
      try { old.close(); } catch (e) { /* already closing */ }
    }
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    attempt = 0;
    if (wanted || isOpen) connect();
  }

  // Frames held while the words of the language a welcome named are fetched, each with its
  // socket (those of a socket since replaced are dropped).
  let held = null;
  function onFrame(data) {
    let f;
    try { f = JSON.parse(data); } catch (e) { return; }
    if (!f || typeof f !== 'object') return;
    clearTimeout(pongTimer); // any frame proves the connection alive
    pongTimer = 0;
    if (held) {
      held.push([ws, f]);
      return;
    }
    if (f.type === 'welcome') {
      state.language = welcomeLanguage(f);
      if (!own(LANGUAGES, pickLanguage())) {
        held = [[ws, f]];
        withLanguage(() => {
          const frames = held;
          held = null;
          for (const [socket, frame] of frames) if (socket === ws) handleFrame(frame);
        });
        return;
      }
    }
    handleFrame(f);
  }

  function handleFrame(f) {
    switch (f.type) {
      case 'welcome': onWelcome(f); break;
      case 'message': renderMessage(f.message); save(); break;
      case 'ack':
        if (typeof f.clientId === 'string' && bubbles.has(f.clientId)) markStored(f.clientId, f.id);
        break;
      case 'state':
        if (typeof f.state === 'string') convState = f.state;
        updateStatus();
        break;
      case 'conversation':
        if (f.conversation && f.conversation.id) {
          noteConversation(f.conversation.id);
          convState = f.conversation.state || 'bot';
          handedOver = f.conversation.handedOver === true;
          rated = typeof f.conversation.rating === 'string';
          agentName = null;
          updateStatus();
        }
        break;
      case 'typing': onRemoteTyping(f); break;
      case 'error': onError(f); break;
      // The admin changed the working hours while the chat was open.
      case 'hours': setAway(f.awayUntil, f.hours); updateStatus(); break;
      default: break; // 'pong' only proves the connection alive
    }
  }

  function welcomeLanguage(f) {
    const w = f.widget || {};
    return typeof w.language === 'string' && w.language ? w.language : null;
  }

  function onWelcome(f) {
    ready = true;
    everReady = true;
    welcomedAt = Date.now();
    ui.bar.hidden = true;
    if (typeof f.token === 'string' && f.token) state.token = f.token;
    // A signed-in user is recognised by who they are, in any browser: no token to keep
    // (one kept would only be refused once they sign out).
    state.signedIn = f.identified === true;
    state.userId = state.signedIn && user ? user.id : null;
    if (state.signedIn) state.token = null;
    if (emailLink) {
      emailLink = null;
      // A link to another chat than this browser's: the messages and files waiting to be
      // sent were written to the chat it leaves, not to this one.
      if (typeof f.token === 'string' && f.token) { clearStaged(); dropPending(); }
    }
    const w = f.widget || {};
    // The language set in the dashboard, if any, before anything is drawn in words (its
    // words are here: `onFrame`).
    state.language = welcomeLanguage(f);
    applyLanguage();
    botName = w.botName || botName;
    subtitle = typeof w.subtitle === 'string' && w.subtitle ? w.subtitle : null;
    setAway(w.awayUntil, w.hours);
    // Only an https image, set as a property: never markup from the server.
    if (typeof w.avatarURL === 'string' && /^https:\/\//.test(w.avatarURL)) {
      ui.avatar.src = w.avatarURL;
      ui.avatar.hidden = false;
    } else {
      ui.avatar.hidden = true;
    }
    const title = w.title || w.botName || t('chat');
    ui.title.textContent = title;
    ui.panel.setAttribute('aria-label', title);
    updateBadge(); // (the launcher's name holds the title when other widgets are on the page)
    applyColor(w.color);
    if (f.limits && f.limits.maxTextLength > 0) limits = Object.assign({}, limits, f.limits);
    fileLimits = f.files && typeof f.files.ticket === 'string' && typeof f.files.upload === 'string' ? f.files : null;
    ui.attach.hidden = !fileLimits;
    if (!fileLimits) clearStaged(); // files were turned off meanwhile
    ui.log.setAttribute('aria-busy', 'true'); // announce the history once, not message by message
    if (f.truncated) place(makeNotice(t('earlierNotShown')));
    const conversation = f.conversation || {};
    noteConversation(conversation.id);
    // Its start not shown, whether an agent took part is not known: a chat that long was
    // most likely answered.
    if (f.truncated && conversation.handedOver === true) answeredIn = conversation.id;
    // After a reconnect only what is newer than what this page shows is appended.
    const since = maxShown;
    for (const m of Array.isArray(f.messages) ? f.messages : []) if (m && m.id > since) renderMessage(m);
    // The emailed link was too old (or of a chat erased since): say why this is not that chat.
    if (f.linkExpired === true) place(makeNotice(t('linkExpired')));
    ui.log.setAttribute('aria-busy', 'false');
    if (conversation.state) convState = conversation.state;
    handedOver = conversation.handedOver === true;
    rated = typeof conversation.rating === 'string';
    askForRating = w.askForRating === true;
    updateStatus();
    save();
    if (isOpen) scrollToEnd();
    sentHere = new Set();
    bucket = { tokens: limits.burst || 10, at: Date.now() };
    holdUntil = 0;
    clearInterval(pingTimer);
    pingTimer = setInterval(checkAlive, PING_EVERY);
    flush();
    // A reply seen while the socket was down is said now.
    tellSeen();
  }

  function onError(f) {
    lastError = f;
    // The close that follows (4401, 4410) starts over.
    if (f.code === 'unknown_visitor' || f.code === 'conversation_deleted') return;
    const clientId = typeof f.clientId === 'string' ? f.clientId : null;
    if (!clientId || !state.pending.some((p) => p.clientId === clientId)) {
      if (!FATAL_CODES[f.code]) console.warn('Baton:', f.code, f.message);
      return;
    }
    if (f.code === 'rate_limited') {
      bucket = { tokens: 0, at: Date.now() }; // the server's bucket is empty: pace from there
      hold(clientId, Math.max(Number(f.retryAfter) || 1000, 50));
    } else if (RETRYABLE[f.code]) {
      unavailableDelay = Math.min(BACKOFF_MAX, (unavailableDelay || 1000) * 2);
      hold(clientId, unavailableDelay);
    } else {
      fail(clientId, reason(f, 'refused'));
    }
  }

  // Pause sending, then send this message and every later one again, in order: the server
  // may have dropped the later ones without a word while it was refusing.
  function hold(clientId, ms) {
    const from = Math.max(0, state.pending.findIndex((p) => p.clientId === clientId));
    for (const p of state.pending.slice(from)) sentHere.delete(p.clientId);
    setMeta(bubbles.get(clientId), t('notSentRetrying'), 'retrying');
    holdUntil = Date.now() + ms;
    clearTimeout(holdTimer);
    holdTimer = setTimeout(flush, ms);
  }

  // Sends the pending messages not yet sent on this connection, in order, paced like the
  // server's token bucket so that a long offline queue is not refused.
  function flush() {
    if (!ready) return;
    const now = Date.now();
    if (now < holdUntil) { // still waiting after a refusal: come back when the wait is over
      clearTimeout(holdTimer);
      holdTimer = setTimeout(flush, holdUntil - now);
      return;
    }
    const rate = limits.messagesPerSecond || 5;
    bucket.tokens = Math.min(limits.burst || 10, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    for (const p of state.pending) {
      if (sentHere.has(p.clientId)) continue;
      if (bucket.tokens < 1) {
        clearTimeout(holdTimer);
        holdTimer = setTimeout(flush, Math.ceil(((1 - bucket.tokens) / rate) * 1000) + 20);
        return;
      }
      const frame = { type: 'message', clientId: p.clientId, text: p.text };
      if (p.action) frame.action = p.action;
      if (p.files && p.files.length) frame.files = p.files.map((f) => f.id);
      if (!send(frame)) return;
      bucket.tokens -= 1;
      sentHere.add(p.clientId);
      awaitAck();
      const row = bubbles.get(p.clientId);
      if (row && row.classList.contains('retrying')) setMeta(row, t('sending'));
    }
  }

  // ---------------------------------------------------------------- files

  let fileLimits = null; // {upload, ticket, maxBytes, maxPerMessage} from the welcome; null: no files

  // Files picked for the next message wait above the text box: each is uploaded at once and
  // goes with the message the visitor sends next (its caption), or alone. Entries:
  // {name, type, size, status: 'uploading' | 'ready' | 'failed', id, progress, reason,
  // preview (a local picture), xhr, chip}. Uploaded ones are kept in storage, so that a
  // reload does not lose them (the server keeps an unsent upload a day).
  let staged = state.staged.map((f) => ({ name: f.name, type: f.type, size: f.size, id: f.id, status: 'ready' }));
  let stagedHere = false; // this tab changed the staged files: its list is the one to keep

  // A staged file as a message (and storage) names it.
  function uploaded(f) { return { id: f.id, name: f.name, type: f.type, size: f.size }; }

  function isUploading() { return staged.some((f) => f.status === 'uploading'); }

  function saveStaged() {
    stagedHere = true;
    state.staged = staged.filter((f) => f.status === 'ready').map(uploaded);
    save();
  }

  function stageFiles(list) {
    if (!list.length || fatal || !fileLimits) return;
    for (const file of list) stageFile(file);
    renderTray();
  }

  function stageFile(file) {
    const entry = { name: file.name || 'file', type: file.type || '', size: file.size, status: 'uploading', progress: 0 };
    if (IMAGE_TYPES.has(file.type) && window.URL && URL.createObjectURL) entry.preview = URL.createObjectURL(file);
    staged.push(entry);
    if (file.size > fileLimits.maxBytes) return failStaged(entry, t('fileTooLarge', { size: sizeText(fileLimits.maxBytes) }));
    if (!file.size) return failStaged(entry, t('fileEmpty'));
    upload(entry, file);
  }

  // An upload that failed on the way (the network, the server busy or restarting, an
  // expired ticket) may be tried again from its chip; one refused for what it is may not.
  function retryable(status) { return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500; }

  function retryStaged(entry) {
    if (!entry.file || entry.status !== 'failed' || fatal) return;
    Object.assign(entry, { status: 'uploading', progress: 0, reason: null });
    renderTray();
    upload(entry, entry.file);
  }

  function upload(entry, file) {
    entry.file = null;
    const failed = (reason, status) => {
      if (retryable(status)) entry.file = file;
      failStaged(entry, reason);
      renderTray();
    };
    const xhr = new XMLHttpRequest();
    entry.xhr = xhr;
    xhr.open('POST', BASE + fileLimits.upload + '?name=' + encodeURIComponent(entry.name));
    xhr.setRequestHeader('Authorization', 'Bearer ' + fileLimits.ticket);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total) { entry.progress = Math.floor((e.loaded / e.total) * 100); updateChip(entry); }
    };
    xhr.onerror = () => failed(t('uploadFailed'), 0);
    xhr.onload = () => {
      let answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status !== 201 || !isFile(answer)) {
        const error = answer && answer.error;
        // An expired ticket: the next connection brings a new one.
        if (xhr.status === 401 && ws) { try { ws.close(); } catch (e) { /* closing */ } }
        const why = reason(error, 'uploadFailedStatus', UPLOAD_REASONS, { status: xhr.status, size: sizeText(fileLimits.maxBytes) });
        failed(why.replace(/\.$/, ''), xhr.status);
        return;
      }
      Object.assign(entry, { id: answer.id, name: answer.name, type: answer.type || entry.type, size: answer.size, status: 'ready', xhr: null });
      saveStaged();
      updateChip(entry);
      updateSendState();
      ui.trayStatus.textContent = t('fileAttached', { name: entry.name });
    };
    xhr.send(file);
  }

  function failStaged(entry, reason) {
    entry.status = 'failed';
    entry.reason = reason;
    entry.xhr = null;
    updateChip(entry);
    updateSendState();
    ui.trayStatus.textContent = t('fileNotAttached', { name: entry.name, reason });
  }

  function unstage(entry) {
    if (entry.xhr) { try { entry.xhr.abort(); } catch (e) { /* done already */ } }
    if (entry.preview && window.URL && URL.revokeObjectURL) URL.revokeObjectURL(entry.preview);
    staged = staged.filter((f) => f !== entry);
    saveStaged();
    renderTray();
    ui.input.focus();
  }

  function clearStaged() {
    if (!staged.length) return;
    for (const entry of staged) if (entry.xhr) { try { entry.xhr.abort(); } catch (e) { /* done already */ } }
    staged = [];
    saveStaged();
    if (ui) renderTray();
  }

  function renderTray() {
    ui.tray.textContent = '';
    for (const entry of staged) {
      const chip = el('div', 'chip');
      chip.setAttribute('role', 'listitem');
      if (entry.preview) {
        const img = el('img');
        img.alt = '';
        img.src = entry.preview;
        chip.append(img);
      } else {
        chip.insertAdjacentHTML('afterbegin', markup(ICON_FILE)); // a constant
      }
      const text = el('div', 'chip-text');
      text.append(fileName(entry.name), el('span', 'chip-meta'));
      chip.append(text);
      if (entry.status === 'failed' && entry.file) {
        const retry = el('button', 'icon-btn chip-retry');
        retry.type = 'button';
        retry.insertAdjacentHTML('afterbegin', markup(ICON_RETRY)); // a constant
        retry.addEventListener('click', () => retryStaged(entry));
        chip.append(retry);
      }
      const remove = el('button', 'icon-btn chip-remove');
      remove.type = 'button';
      remove.insertAdjacentHTML('afterbegin', markup(ICON_X(''))); // a constant
      remove.addEventListener('click', () => unstage(entry));
      chip.append(remove);
      entry.chip = chip;
      ui.tray.append(chip);
      updateChip(entry);
    }
    ui.tray.hidden = !staged.length;
    updateSendState();
  }

  function updateChip(entry) {
    const chip = entry.chip;
    if (!chip) return;
    chip.classList.toggle('failed', entry.status === 'failed');
    chip.classList.toggle('uploading', entry.status === 'uploading');
    chip.querySelector('.chip-meta').textContent = entry.status === 'uploading' ? t('uploading', { percent: entry.progress || 0 })
      : entry.status === 'failed' ? t('notSent', { reason: entry.reason }) + '.' : sizeText(entry.size);
    chip.title = entry.name;
    const remove = chip.querySelector('.chip-remove');
    remove.setAttribute('aria-label', t('removeFile', { name: entry.name }));
    remove.title = t('remove');
    const retry = chip.querySelector('.chip-retry');
    if (retry) {
      retry.setAttribute('aria-label', t('retryFile', { name: entry.name }));
      retry.title = t('retry');
    }
  }

  function updateSendState() {
    const waiting = isUploading();
    ui.send.disabled = fatal || waiting;
    ui.send.title = waiting ? t('waitingForUpload') : '';
    guardLeaving(waiting);
  }

  // Leaving the page while a file uploads would lose it (an uploaded one is kept), so the
  // browser asks first. Listened for only meanwhile: a page with the listener may be kept
  // out of the browser's back-forward cache.
  function onLeaving(event) { event.preventDefault(); event.returnValue = ''; }
  let guardingLeave = false;
  function guardLeaving(on) {
    if (on === guardingLeave) return;
    guardingLeave = on;
    if (on) window.addEventListener('beforeunload', onLeaving);
    else window.removeEventListener('beforeunload', onLeaving);
  }

  // ---------------------------------------------------------------- a reply while away

  // An agent may answer minutes later, when the visitor is on another tab or has closed
  // the panel: the page's title then alternates with "(1) Alice wrote" until the page is
  // seen again, and a short chime plays (once the visitor has used the widget: browsers
  // allow sound only after a gesture). `data-title-alert="off"` and `data-sound="off"`
  // turn either off.
  const TITLE_ALERT = (script.getAttribute('data-title-alert') || 'on').toLowerCase() !== 'off';
  const SOUND = (script.getAttribute('data-sound') || 'on').toLowerCase() !== 'off';
  let awayCount = 0;
  let awayTitle = null; // the page's own title while ours alternates with it
  let flashTimer = null;
  let audio = null;
  let lastChime = 0;

  const pageHidden = () => document.visibilityState === 'hidden';

  function alertAway(name) {
    if (!pageHidden() && isOpen) return;
    awayCount++;
    if (TITLE_ALERT && pageHidden()) flashTitle((awayCount > 1 ? '(' + awayCount + ') ' : '') + t('wrote', { name: name || t('someone') }));
    chime();
  }

  function flashTitle(text) {
    if (awayTitle === null) awayTitle = document.title;
    let ours = false;
    const flip = () => {
      // The page changed its own title meanwhile (a single-page app): that is the one to keep.
      if (!ours && document.title !== awayTitle) awayTitle = document.title;
      ours = !ours;
      document.title = ours ? text : awayTitle;
    };
    clearInterval(flashTimer);
    flip();
    flashTimer = setInterval(flip, 1500);
  }

  function endAway() {
    awayCount = 0;
    if (flashTimer === null) return;
    clearInterval(flashTimer);
    flashTimer = null;
    document.title = awayTitle;
    awayTitle = null;
  }

  // Called on the visitor's gestures: the audio context is made (or resumed) in one. Not
  // on a press the browser does not count as one (Tab, a touch before it ends): made
  // then, it could not start, and the browser said so in the page's console.
  function primeSound() {
    if (!SOUND) return;
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!audio && Context) audio = new Context();
      if (audio && audio.state === 'suspended') audio.resume();
    } catch (e) { audio = null; }
  }

  function chime() {
    if (!SOUND || !audio || audio.state !== 'running' || Date.now() - lastChime < 2000) return;
    lastChime = Date.now();
    try {
      const start = audio.currentTime;
      [[660, 0], [880, 0.12]].forEach(([frequency, offset]) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.type = 'sine';
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.08, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
        tone.connect(gain).connect(audio.destination);
        tone.start(start + offset);
        tone.stop(start + offset + 0.2);
      });
    } catch (e) { /* no sound, no harm */ }
  }

  // ---------------------------------------------------------------- panel

  function openPanel(focus) {
    if (isOpen) return;
    isOpen = true;
    ui.panel.hidden = false;
    ui.root.classList.add('open');
    ui.launcher.setAttribute('aria-expanded', 'true');
    peers.opened();
    updateModal();
    rememberOpen(true);
    unread = 0;
    updateBadge();
    if (!pageHidden()) endAway();
    tellSeen();
    if (!ws && !reconnectTimer) connect();
    scrollToEnd();
    // Opened by the page (data-open, a reload) rather than by the visitor: the text box is
    // not focused (on a phone that would bring the keyboard up), and nothing the visitor
    // is in is taken from them (a field they tapped, a page's autofocus, or a frame's
    // parent page: the dashboard's preview took the admin's typing at each save). Only
    // focus that nobody holds goes into a panel that fills the screen, to its messages:
    // modal over the page, it would otherwise leave Tab going through controls hidden
    // under it before reaching the chat.
    if (focus) (ui.input.disabled ? ui.close : ui.input).focus();
    else if (fillsScreen() && focusIsFree()) ui.log.focus({ preventScroll: true });
  }

  // The page has the keyboard (not another window, nor the page around this one's frame)
  // and nothing on it is focused.
  function focusIsFree() {
    try {
      const active = document.activeElement;
      return document.hasFocus() && (!active || active === document.body || active === document.documentElement);
    } catch (e) { return false; }
  }

  function closePanel(returnFocus) {
    if (!isOpen) return;
    isOpen = false;
    ui.panel.hidden = true;
    ui.root.classList.remove('open');
    ui.launcher.setAttribute('aria-expanded', 'false');
    updateModal();
    rememberOpen(false);
    updateBadge();
    if (returnFocus) ui.launcher.focus();
  }

  function init() {
    if (!build()) return;
    // A visitor new here, who has had no welcome yet, sees the launcher in the widget's
    // colour all the same (and its title, in its language when the browser's is not one
    // it speaks): asked for first, for at most 2 s.
    const waited = new Promise((resolve) => setTimeout(resolve, 2000));
    (state.token ? Promise.resolve() : Promise.race([fetchLook(), waited])).then(() => withLanguage(start));
  }

  // The widget's look from its settings; one that comes after the 2 s the widget waited
  // for it still colours the launcher and names the panel, unless a welcome did already.
  function fetchLook() {
    return fetch(BASE + 'widget/v1/config/' + encodeURIComponent(KEY), { credentials: 'omit' })
      .then((response) => (response.ok ? response.json() : null))
      .then((config) => {
        if (!config || typeof config !== 'object' || botName) return;
        look = {
          title: typeof config.title === 'string' && config.title ? config.title : null,
          language: typeof config.language === 'string' ? config.language : null,
        };
        applyColor(config.color);
        if (!started) return;
        applyLanguage();
        if (look.title) {
          ui.title.textContent = look.title;
          ui.panel.setAttribute('aria-label', look.title);
          updateBadge();
        }
      })
      .catch(() => { /* the welcome gives them */ });
  }

  function start() {
    started = true;
    applyLanguage();
    host.style.setProperty('visibility', 'visible', 'important');
    // Signed in when last here, and not now or as someone else: that person's chat and
    // unsent messages stay theirs (they were sent into the next user's chat).
    if (state.signedIn && (!user || state.userId !== user.id)) startOver();
    for (const p of state.pending) addPendingBubble(p);
    renderTray();
    updateStatus();
    updateBadge();
    // A returning visitor resumes at once (new replies show as a badge); a new one only
    // opens a chat when they open the panel.
    // A link from an email shows its chat from the start, not after what this page drew.
    if (emailLink) clearLog();
    if (state.token || state.pending.length || (state.signedIn && user) || emailLink) connect();
    if (OPEN_AT_LOAD && mayOpenAtLoad()) openPanel(false);
    window.addEventListener('online', reconnectNow);
    window.addEventListener('storage', followOtherTab);
    // A Content Security Policy that refuses the socket leaves the widget connecting for
    // ever, and the browser's own line does not say what to do: said once.
    let refusedSaid = false;
    document.addEventListener('securitypolicyviolation', (e) => {
      const blocked = String(e.blockedURI || '');
      if (refusedSaid || !/^wss?:/.test(blocked) || blocked.indexOf(SRC.host) === -1) return;
      refusedSaid = true;
      console.warn('Baton: this page\'s Content Security Policy (' + e.violatedDirective + ') refuses the chat\'s connection: add '
        + SOCKET_URL.replace(/^(wss?:\/\/[^/]+).*$/, '$1') + ' to its connect-src.');
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') { reconnectNow(); endAway(); tellSeen(); }
    });
    window.addEventListener('focus', endAway);
    window.addEventListener('hashchange', () => { if (location.hash === '#baton-open') openPanel(true); });
    // An emailed link followed on a page already open.
    window.addEventListener('hashchange', () => {
      const code = takeEmailLink();
      if (!code || fatal) return;
      emailLink = code;
      if (ws) { relinking = true; ws.close(); } else { clearLog(); connect(); }
      openPanel(true);
    });
    window.addEventListener('hashchange', notePage);
    window.addEventListener('popstate', notePage);
    // history.pushState fires no event: look now and then.
    setInterval(notePage, 2000);
  }

  // The widget hangs from the page's root element, after its body, not inside it: a body
  // with a transform, a filter, a zoom or `will-change` (which makes `position: fixed`
  // relative to the body, carrying the launcher off the screen), or one the site swaps for
  // the next page's (Turbo, pjax, `innerHTML +=`), leaves it where it is. (Not in the top
  // layer, as a popover: it would be drawn over a consent dialog or a fullscreen video that
  // was there first, without taking clicks, and a page's `::backdrop` rule would grey the
  // whole page.)
  function mount() {
    // (A page between taking its root element out and putting a new one in has none.)
    const root = document.documentElement;
    if (!root) return;
    // Several widgets: in the order of their places (their tags'), not the order their
    // scripts happened to run in, so that Tab goes from one to the next as they were put.
    const next = Array.from(root.children).find((e) => e !== host && e.hasAttribute('data-baton-slot')
      && Number(e.getAttribute('data-baton-slot')) > SLOT);
    if (next) root.insertBefore(host, next); else root.appendChild(host);
  }

  // The page's way to say who is signed in after the widget loaded (a single-page app):
  // every Baton widget on the page hears it.
  const api = shared;
  api._widgets = api._widgets || [];
  api._widgets.push({ identify: (u) => identifyAs(u), logout: () => identifyAs(null) });
  if (!api.identify) {
    api.identify = (u) => { for (const w of api._widgets) w.identify(u); };
    api.logout = () => { for (const w of api._widgets) w.logout(); };
  }

  if (document.body) init();
  else document.addEventListener('DOMContentLoaded', init);
})();
