// Shared pieces: badges, form fields, messages, toasts and modal dialogs.

import { h, uid, focusables, sameControl } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { conversationStateLabel, mattermostStateLabel } from '/dashboard/format.js';

/** A state badge: a coloured dot plus the state in words (never colour alone). */
export function badge(kind, state) {
  const label = kind === 'conversation' ? conversationStateLabel(state) : mattermostStateLabel(state);
  return h('span', { class: `badge badge-${kind}-${state}` }, h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), label);
}

/** A button; `variant` is primary, secondary, ghost or danger. */
export function button(label, { variant = 'secondary', iconName = null, type = 'button', ...attrs } = {}) {
  return h('button', { type, class: `btn btn-${variant}`, ...attrs }, iconName ? icon(iconName) : null, label);
}

/**
 * A labelled form field. Returns {root, input, setError(message)}; the error and the hint
 * are tied to the input with aria-describedby.
 */
export function field(label, input, { hint = null, optional = false } = {}) {
  const id = input.id || uid('f');
  input.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const root = h('div', { class: 'field' },
    h('label', { for: id }, label, optional ? h('span', { class: 'optional' }, ' (optional)') : null),
    input,
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null,
    error);
  const describe = () => {
    const ids = [hint ? hintId : null, error.hidden ? null : errorId].filter(Boolean);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  };
  describe();
  // A correction hides the old complaint; the next check brings it back if still needed.
  input.addEventListener('input', () => { if (!error.hidden) { error.hidden = true; input.removeAttribute('aria-invalid'); describe(); } });
  return {
    root, input,
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      describe();
    },
  };
}

/** What a new password must be, as the server checks it (AdminAuth.checkPassword). */
export const PASSWORD_RULES = 'At least 10 characters, 4 of them different, at most 72 bytes, and none of the commonest passwords.';

/**
 * Shows a refusal where it belongs: each issue the server tied to a field (`fields`, by
 * the request's field name) under that field, the focus on the first; anything else in
 * `box`. Returns whether a field got one.
 */
export function showRefusal(err, fields, box) {
  let first = null;
  for (const issue of err.issues || []) {
    const f = fields[issue.path];
    if (!f) continue;
    f.setError(issue.message);
    first = first || f;
  }
  if (first) { first.input.focus(); return true; }
  box.show(err.message, (err.issues || []).map((i) => `${i.path}: ${i.message}`));
  return false;
}

/**
 * A box for an error message (role=alert so it is announced), with its details and the
 * buttons that resolve it (`actions`) if any. Hidden while empty.
 */
export function errorBox() {
  const text = h('div', { class: 'message-text' });
  const list = h('ul', { class: 'message-list', hidden: true });
  const actions = h('div', { class: 'message-actions', hidden: true });
  const root = h('div', { class: 'message message-error', role: 'alert', hidden: true }, icon('alert'), h('div', {}, text, list, actions));
  return {
    root,
    show(message, details = [], buttons = []) {
      text.textContent = message;
      list.replaceChildren(...details.map((d) => h('li', {}, d)));
      list.hidden = details.length === 0;
      actions.replaceChildren(...buttons);
      actions.hidden = buttons.length === 0;
      root.hidden = false;
    },
    clear() { root.hidden = true; text.textContent = ''; list.replaceChildren(); actions.replaceChildren(); actions.hidden = true; },
  };
}

export function loading(label = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label);
}

/**
 * Fills `container` with what `fetch()` finds, through `show`; a failure shows its message
 * and "Try again" (with `label` while it loads again). Nothing is shown once `isAlive()`
 * is false (the page was left meanwhile).
 */
export async function loadInto(container, { fetch, show, label, isAlive }) {
  try {
    const data = await fetch();
    if (isAlive()) show(data);
  } catch (error) {
    if (!isAlive()) return;
    const box = errorBox();
    box.show(error.message);
    container.replaceChildren(box.root, button('Try again', { onclick: () => {
      container.replaceChildren(loading(label));
      loadInto(container, { fetch, show, label, isAlive });
    } }));
  } finally {
    container.setAttribute('aria-busy', 'false');
  }
}

export function emptyState(title, text = null, action = null) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), text ? h('p', {}, text) : null, action);
}

/** A short confirmation at the bottom of the screen, announced politely. */
export function toast(message) {
  const region = document.getElementById('toasts');
  const item = h('div', { class: 'toast' }, icon('check'), message);
  region.append(item);
  setTimeout(() => item.classList.add('toast-out'), 3200);
  setTimeout(() => item.remove(), 3600);
}

/** Puts a button in a busy state while `work` runs; returns what it returns. */
export async function busy(btn, label, work) {
  const before = [...btn.childNodes];
  // A disabled button loses the focus: it comes back to it (or to the control drawn in
  // its place) unless the work moved it somewhere on purpose.
  const hadFocus = document.activeElement === btn;
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  btn.replaceChildren(h('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), label);
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
    btn.replaceChildren(...before);
    if (hadFocus && (document.activeElement === document.body || document.activeElement === null)) {
      const target = btn.isConnected ? btn : sameControl(btn);
      if (target) target.focus({ preventScroll: true });
    }
  }
}

/**
 * A modal dialog: focus moves in, Tab stays inside, Escape closes, focus returns to where
 * it was. Returns {dialog, body, footer, close}.
 */
const openDialogs = new Set();

/** Closes every open dialog (e.g. when the session ends under them). */
export function closeAllDialogs() {
  for (const close of [...openDialogs]) close();
}

// `mayEscape`: asked before Escape closes the dialog (what was typed in it would be lost);
// false keeps it open.
export function openDialog({ title, description = null, className = '', onClose = () => {}, initialFocus = null, returnFocus = null,
  mayEscape = () => true }) {
  const opener = document.activeElement;
  const titleId = uid('dlg');
  const body = h('div', { class: 'dialog-body' });
  const footer = h('div', { class: 'dialog-footer' });
  const closeButton = h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': 'Close', onclick: () => close() }, icon('close'));
  const dialog = h('dialog', { class: `dialog ${className}`, 'aria-labelledby': titleId },
    h('div', { class: 'dialog-header' }, h('h2', { id: titleId, class: 'dialog-title' }, title), closeButton),
    description ? h('p', { class: 'dialog-description' }, description) : null,
    body, footer);
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    openDialogs.delete(close);
    if (dialog.open) dialog.close();
    dialog.remove();
    onClose();
    // The opener drawn anew meanwhile (a page that refreshes itself): its successor.
    const successor = opener && !opener.isConnected && opener !== document.body ? sameControl(opener) : null;
    const back = opener && opener.isConnected && opener !== document.body ? opener : successor || (returnFocus && returnFocus());
    if (back && typeof back.focus === 'function') back.focus();
  }
  // Another close request (a phone's back gesture): asked too, when the browser lets it be
  // refused; one it closes by itself is closed here as well.
  dialog.addEventListener('cancel', (event) => { event.preventDefault(); if (!event.cancelable || mayEscape()) close(); });
  dialog.addEventListener('close', () => close());
  dialog.addEventListener('keydown', (event) => {
    // Escape decided here, not by the browser's cancel (which it may not let be cancelled):
    // a control that used it (a list of suggestions closed) has prevented its default.
    if (event.key === 'Escape' && !event.defaultPrevented && !event.isComposing) {
      event.preventDefault();
      if (mayEscape()) close();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });
  document.body.append(dialog);
  openDialogs.add(close);
  dialog.showModal();
  queueMicrotask(() => {
    const target = typeof initialFocus === 'function' ? initialFocus() : initialFocus;
    (target || focusables(body)[0] || closeButton).focus();
  });
  return { dialog, body, footer, close, isOpen: () => !closed };
}

/**
 * Asks for confirmation. With `typeToConfirm`, the confirm button stays disabled until
 * that exact text is typed. Resolves after `action` succeeds (errors stay in the dialog).
 */
// `option` ({ label, hint }) adds a checkbox, unchecked; `action` gets whether it was checked.
export function confirmDialog({ title, text, confirmLabel, typeToConfirm = null, danger = true, action, returnFocus = null, option = null }) {
  const error = errorBox();
  const d = openDialog({ title, className: 'dialog-small', initialFocus: () => input || cancel, returnFocus });
  const confirm = button(confirmLabel, { variant: danger ? 'danger' : 'primary', type: 'submit', disabled: Boolean(typeToConfirm) });
  const cancel = button('Cancel', { onclick: () => d.close() });
  const form = h('form', { class: 'stack', novalidate: true });
  form.append(h('p', {}, text));
  const check = option ? h('input', { type: 'checkbox', class: 'confirm-option' }) : null;
  if (option) {
    form.append(h('div', { class: 'field' }, h('label', { class: 'check' }, check, ' ', option.label),
      option.hint ? h('p', { class: 'field-hint' }, option.hint) : null));
  }
  let input = null;
  // What was typed, as a person types it: spaces around it and capitals do not count.
  const typed = () => input && input.value.trim().toLowerCase() === String(typeToConfirm).toLowerCase();
  if (typeToConfirm) {
    input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', class: 'input mono',
      oninput: () => { confirm.disabled = !typed(); } });
    form.append(field(['Type ', h('code', {}, typeToConfirm), ' to confirm'], input).root);
  }
  form.append(error.root);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (typeToConfirm && !typed()) return;
    error.clear();
    try {
      await busy(confirm, confirmLabel, () => action(Boolean(check && check.checked)));
      d.close();
    } catch (err) {
      error.show(err.message);
    }
  });
  d.body.append(form);
  d.footer.append(cancel, confirm);
  confirm.setAttribute('form', form.id = uid('form'));
  return d;
}
