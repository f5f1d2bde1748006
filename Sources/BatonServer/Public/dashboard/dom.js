// Building DOM without innerHTML: every string becomes a text node, so text from the
// server (names, messages, errors) can never turn into markup.

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'readOnly', 'required', 'multiple', 'open']);

/**
 * h('button', {class: 'btn', onclick: fn, 'aria-label': 'Close'}, 'text', child, [more])
 * Attributes whose value is null, undefined or false are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (PROPS.has(name)) {
      el[name] = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'style') {
      // Through the CSS object model: the dashboard's Content-Security-Policy refuses style
      // attributes ({height: '40%', '--level': '0.5'}).
      for (const [property, v] of Object.entries(value)) el.style.setProperty(property, String(v));
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends strings (as text), nodes and nested arrays; skips null, undefined and false. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/**
 * Replaces everything inside `parent`. A control that had the focus and is drawn again (a
 * page that refreshes itself, a form drawn anew after a save) gets it back, so that the
 * keyboard's place is not lost to the top of the page.
 */
export function replace(parent, ...children) {
  const active = document.activeElement;
  const had = active && active !== document.body && parent.contains(active) ? active : null;
  parent.replaceChildren();
  append(parent, children);
  if (had && !had.isConnected) {
    const again = sameControl(had, parent);
    if (again) again.focus({ preventScroll: true });
  } else if (had && document.activeElement !== had) {
    had.focus({ preventScroll: true });
  }
  return parent;
}

/**
 * The control in `root` that stands where `old` stood: the same id, or the same kind,
 * name, label and address (and text, for buttons and links). Null when there is none.
 */
export function sameControl(old, root = document) {
  const key = controlKey(old);
  return [...root.querySelectorAll(old.tagName)].find((el) => el !== old && controlKey(el) === key) || null;
}

function controlKey(el) {
  // Ids made by uid() differ at each drawing; others name the control.
  if (el.id && !/-\d+$/.test(el.id)) return `#${el.id}`;
  const text = /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) ? '' : el.textContent.trim();
  return [el.tagName, el.getAttribute('name'), el.getAttribute('aria-label'), el.getAttribute('href'), text].join('|');
}

let idCounter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Calls `fn` once `ms` have passed without another call; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  wrapped.cancel = () => { clearTimeout(timer); timer = null; };
  wrapped.flush = (...args) => { wrapped.cancel(); fn(...args); };
  return wrapped;
}

/**
 * An address that breaks, in a narrow place, before its @ and its dots rather than anywhere
 * in a word ("grace.hopper@" / "example.com", not "grace.hopp" / "er@…"): its parts, with
 * <wbr> between them.
 */
export function breakable(text) {
  return String(text).split(/(?=[@.])/).flatMap((part, i) => (i ? [h('wbr'), part] : [part]));
}

/** The elements inside `root` that Tab can reach, in order. */
export function focusables(root) {
  const selector = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), ' +
    'textarea:not([disabled]), summary, iframe, [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll(selector)].filter((el) => !el.closest('[hidden]') && el.getClientRects().length > 0);
}
