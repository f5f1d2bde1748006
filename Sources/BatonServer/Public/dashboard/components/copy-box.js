// A code box with a Copy button: the clipboard API when the browser allows it, otherwise
// the text is selected so Ctrl+C copies it.

import { h } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';

export function copyBox(text, { label }) {
  const code = h('code', {}, text);
  const pre = h('pre', { class: 'code-block copy-code', tabindex: '0', 'aria-label': label }, code);
  const feedback = h('span', { class: 'copy-feedback', role: 'status' });
  const copyButton = h('button', { type: 'button', class: 'btn btn-secondary', 'aria-label': `Copy ${label.toLowerCase()}`, onclick: copy }, icon('copy'), 'Copy');
  const root = h('div', { class: 'copy-box' }, pre, h('div', { class: 'copy-actions' }, copyButton, feedback));
  let timer = null;

  function selectText() {
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  async function copy() {
    let copied = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(code.textContent);
        copied = true;
      }
    } catch { copied = false; }
    if (!copied) {
      selectText();
      try { copied = document.execCommand('copy'); } catch { copied = false; }
    }
    clearTimeout(timer);
    feedback.replaceChildren(...(copied ? [icon('check'), 'Copied'] : ['Selected — press Ctrl+C (⌘C) to copy']));
    feedback.className = copied ? 'copy-feedback ok' : 'copy-feedback';
    timer = setTimeout(() => feedback.replaceChildren(), 2500);
  }

  return { root, setText(next) { code.textContent = next; } };
}
