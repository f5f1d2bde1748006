// A plain <textarea> made into a small code editor: a line-number gutter that scrolls
// with it, lines with problems marked, Tab / Shift+Tab indent by two spaces (Escape then
// Tab leaves the editor), Enter keeps the indentation, and "go to line and column".

import { h } from '/dashboard/dom.js';

const INDENT = '  ';

export function codeEditor({ value = '', labelledBy, describedBy = null, onInput = () => {}, onSave = null }) {
  const numbers = h('div', { class: 'editor-numbers' });
  const gutter = h('div', { class: 'editor-gutter', 'aria-hidden': 'true' }, numbers);
  const marks = h('div', { class: 'editor-marks', 'aria-hidden': 'true' });
  const textarea = h('textarea', {
    class: 'editor-text', wrap: 'off', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', autocorrect: 'off',
    'aria-labelledby': labelledBy, 'aria-describedby': describedBy, 'aria-multiline': 'true',
  });
  textarea.value = value;
  const root = h('div', { class: 'editor' }, gutter, h('div', { class: 'editor-area' }, marks, textarea));

  let lineCount = 0;
  let issueLines = new Map();   // line → [messages]
  let escaped = false;          // Escape was pressed: the next Tab moves focus instead
  let metrics = null;

  function measure() {
    if (metrics) return metrics;
    const style = getComputedStyle(textarea);
    const probe = h('span', { class: 'editor-probe' }, 'x'.repeat(100));
    root.append(probe);
    const charWidth = probe.getBoundingClientRect().width / 100 || 8;
    probe.remove();
    metrics = { line: Number.parseFloat(style.lineHeight) || 20, top: Number.parseFloat(style.paddingTop) || 0, left: Number.parseFloat(style.paddingLeft) || 0, charWidth };
    return metrics;
  }

  function countLines(text) {
    let n = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
    return n;
  }

  function drawGutter(force = false) {
    const n = countLines(textarea.value);
    if (n === lineCount && !force) return;
    lineCount = n;
    const fragment = document.createDocumentFragment();
    for (let i = 1; i <= n; i += 1) {
      const messages = issueLines.get(i);
      const line = h('div', { class: messages ? 'editor-number has-issue' : 'editor-number' }, String(i));
      if (messages) line.title = messages.join('\n');
      fragment.append(line);
    }
    numbers.replaceChildren(fragment);
    // The numbers are positioned absolutely (so they never stretch the editor): size the
    // gutter for the widest one.
    gutter.style.width = `calc(${String(n).length}ch + 24px)`;
    syncScroll();
  }

  function drawMarks() {
    const m = measure();
    marks.replaceChildren(...[...issueLines.keys()].map((line) => {
      const band = h('div', { class: 'editor-mark' });
      band.style.top = `${m.top + (line - 1) * m.line}px`;
      band.style.height = `${m.line}px`;
      return band;
    }));
  }

  function syncScroll() {
    const y = `translateY(${-textarea.scrollTop}px)`;
    numbers.style.transform = y;
    marks.style.transform = y;
  }

  function lineStart(text, index) { return text.lastIndexOf('\n', index - 1) + 1; }

  // Replaces [from, to) with `text` through the browser's editing commands, so Undo works.
  function replaceRange(from, to, text) {
    textarea.setSelectionRange(from, to);
    const done = document.queryCommandSupported && document.queryCommandSupported('insertText') && document.execCommand('insertText', false, text);
    if (!done) {
      textarea.setRangeText(text, from, to, 'end');
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }

  function indent(outdent) {
    const text = textarea.value;
    const { selectionStart: start, selectionEnd: end } = textarea;
    const multiLine = text.slice(start, end).includes('\n');
    if (!outdent && !multiLine) { replaceRange(start, end, INDENT); return; }
    const from = lineStart(text, start);
    const to = end > start && text[end - 1] === '\n' ? end - 1 : end;
    const block = text.slice(from, to);
    const lines = block.split('\n');
    let firstShift = 0;
    const changed = lines.map((line, i) => {
      if (!outdent) { if (i === 0) firstShift = INDENT.length; return INDENT + line; }
      const remove = line.startsWith(INDENT) ? 2 : line.startsWith(' ') ? 1 : 0;
      if (i === 0) firstShift = -remove;
      return line.slice(remove);
    }).join('\n');
    if (changed === block) return;
    replaceRange(from, to, changed);
    if (multiLine) textarea.setSelectionRange(from, from + changed.length);
    else textarea.setSelectionRange(Math.max(from, start + firstShift), Math.max(from, start + firstShift));
  }

  function newline() {
    const text = textarea.value;
    const start = textarea.selectionStart;
    const from = lineStart(text, start);
    const before = text.slice(from, start);
    // Keep the indentation; inside a list item ("- ask: …") line up with its first key;
    // after "key:" indent one more level.
    const item = /^( *)- +(?=[A-Za-z_][\w-]*:(\s|$))/.exec(before);
    let spaces = item ? ' '.repeat(item[0].length) : /^ */.exec(before)[0];
    if (before.trimEnd().endsWith(':')) spaces += INDENT;
    replaceRange(start, textarea.selectionEnd, `\n${spaces}`);
  }

  textarea.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's' && onSave) {
      event.preventDefault();
      onSave();
      return;
    }
    if (event.key === 'Escape') { escaped = true; return; }
    if (event.key === 'Tab' && !event.ctrlKey && !event.altKey && !event.metaKey) {
      if (escaped) { escaped = false; return; }   // let the browser move focus
      event.preventDefault();
      indent(event.shiftKey);
      return;
    }
    escaped = false;
    if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey && !event.isComposing) {
      event.preventDefault();
      newline();
    }
  });
  textarea.addEventListener('input', () => { drawGutter(); onInput(textarea.value); });
  textarea.addEventListener('scroll', syncScroll, { passive: true });
  textarea.addEventListener('blur', () => { escaped = false; });

  drawGutter(true);

  return {
    root,
    textarea,
    get value() { return textarea.value; },
    set value(text) { textarea.value = text; drawGutter(true); },
    /** Marks the lines of `issues` ({line, message}) in the gutter and the text. */
    setIssues(issues) {
      issueLines = new Map();
      for (const issue of issues) {
        if (!issue.line) continue;
        const list = issueLines.get(issue.line) || [];
        list.push(issue.message);
        issueLines.set(issue.line, list);
      }
      drawGutter(true);
      drawMarks();
    },
    /** Puts the caret at line/column (1-based), scrolls there and focuses the editor. */
    goTo(line, column = 1) {
      const text = textarea.value;
      let offset = 0;
      for (let i = 1; i < line; i += 1) {
        const next = text.indexOf('\n', offset);
        if (next === -1) break;
        offset = next + 1;
      }
      const end = text.indexOf('\n', offset);
      const lineEnd = end === -1 ? text.length : end;
      const caret = Math.min(offset + Math.max(0, (column || 1) - 1), lineEnd);
      textarea.focus({ preventScroll: true });
      textarea.setSelectionRange(caret, caret);
      const m = measure();
      const y = m.top + (line - 1) * m.line;
      if (y < textarea.scrollTop || y + m.line > textarea.scrollTop + textarea.clientHeight) {
        textarea.scrollTop = Math.max(0, y - textarea.clientHeight / 3);
      }
      const x = m.left + (caret - offset) * m.charWidth;
      if (x < textarea.scrollLeft || x > textarea.scrollLeft + textarea.clientWidth - 40) {
        textarea.scrollLeft = Math.max(0, x - textarea.clientWidth / 2);
      }
      syncScroll();
      root.scrollIntoView({ block: 'nearest' });
    },
    focus() { textarea.focus(); },
  };
}
