// The Bot tab: the bot's name and its definition, checked while typing, saved whole.

import { h, uid, debounce } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { button, busy, errorBox, field, toast } from '/dashboard/ui.js';
import { codeEditor } from '/dashboard/components/code-editor.js';
import { widgetPreview } from '/dashboard/components/preview.js';
import { issueList } from '/dashboard/components/issue-list.js';
import { cheatSheet } from '/dashboard/components/cheat-sheet.js';
import { sentenceTryout } from '/dashboard/components/sentence-tryout.js';

export function mountBotTab(panel, ctx) {
  let saved = ctx.bot();
  let alive = true;
  let checking = null;          // AbortController of the check in flight

  const name = field('Name', h('input', { class: 'input', type: 'text', maxlength: '100', autocomplete: 'off', value: saved.name }),
    { hint: 'For you, in this dashboard. The bot introduces itself with the name in its definition.' });
  const labelId = uid('def');
  const hintId = uid('def-hint');
  const statusId = uid('def-status');
  const checkStatus = h('span', { class: 'check-status', role: 'status', id: statusId });
  const problems = issueList({ onPick: (issue) => editor.goTo(issue.line, issue.column) });
  const editor = codeEditor({
    value: saved.source, labelledBy: labelId, describedBy: hintId,
    onInput: () => { dirtyChanged(); check(); },
    onSave: () => save(),
  });
  const saveError = errorBox();
  const saveButton = button('Save', { variant: 'primary', onclick: () => save() });
  const unsaved = h('span', { class: 'unsaved', hidden: true }, 'Unsaved changes');
  const preview = widgetPreview(saved.previewURL);

  name.input.addEventListener('input', dirtyChanged);

  panel.append(h('div', { class: 'split' },
    h('div', { class: 'split-main stack' },
      name.root,
      h('div', { class: 'field' },
        h('div', { class: 'editor-label-row' },
          h('span', { class: 'label', id: labelId }, 'Definition (YAML)'),
          checkStatus),
        editor.root,
        h('p', { class: 'field-hint', id: hintId },
          'Tab indents by two spaces; press Esc then Tab to leave the editor. ', h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'S'), ' saves.')),
      problems.root,
      sentenceTryout({ key: ctx.key, source: () => editor.value, initial: ctx.tryText }).root,
      cheatSheet(),
      h('div', { class: 'save-area' }, saveError.root, h('div', { class: 'save-bar' }, saveButton, unsaved))),
    h('div', { class: 'split-side' }, preview.root)));

  const check = debounce(runCheck, 500);
  runCheck();

  async function runCheck() {
    if (checking) checking.abort();
    const controller = new AbortController();
    checking = controller;
    checkStatus.className = 'check-status checking';
    checkStatus.textContent = 'Checking…';
    try {
      const result = await api.checkBot(ctx.key, editor.value, controller.signal);
      if (!alive || checking !== controller) return;
      showIssues(result.issues || []);
    } catch (error) {
      if (error.name === 'AbortError' || !alive) return;
      checkStatus.className = 'check-status check-failed';
      checkStatus.textContent = `Could not check: ${error.message}`;
    } finally {
      if (checking === controller) checking = null;
    }
  }

  function showIssues(issues) {
    editor.setIssues(issues);
    // A screen reader hears, at the editor, that it holds problems and how many.
    const area = editor.root.querySelector('textarea');
    if (issues.length) area.setAttribute('aria-invalid', 'true'); else area.removeAttribute('aria-invalid');
    area.setAttribute('aria-describedby', issues.length ? `${hintId} ${statusId}` : hintId);
    problems.show(issues);
    checkStatus.className = issues.length ? 'check-status check-bad' : 'check-status check-ok';
    checkStatus.textContent = issues.length === 0 ? 'No problems' : issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  }

  function isDirty() {
    return name.input.value.trim() !== saved.name || editor.value !== saved.source;
  }

  function dirtyChanged() {
    unsaved.hidden = !isDirty();
  }

  async function save() {
    if (saveButton.disabled) return;
    saveError.clear();
    name.setError(null);
    const newName = name.input.value.trim();
    if (!newName) { name.setError('Give the bot a name.'); name.input.focus(); return; }
    check.cancel();
    if (checking) checking.abort();
    try {
      const bot = await busy(saveButton, 'Saving…', () => api.updateBot(ctx.key, {
        name: newName, source: editor.value, settings: ctx.bot().settings, updatedAt: ctx.bot().updatedAt,
      }));
      if (!alive) return;
      saved = bot;
      name.input.value = bot.name;
      showIssues([]);
      dirtyChanged();
      ctx.saved(bot, 'bot');
      // A new chat with the bot as saved: the chat before went on with the old greeting.
      preview.reload(bot.previewURL, { newChat: true });
      toast('Saved. The bot is live now.');
    } catch (error) {
      if (!alive) return;
      const sourceIssues = error.issues.filter((i) => i.path !== 'name');
      const nameIssue = error.issues.find((i) => i.path === 'name');
      if (nameIssue) name.setError(nameIssue.message);
      if (error.code === 'edited_meanwhile') {
        ctx.offerChoice(saveError, { saveMine: save, takeTheirs: showSaved });
      } else if (error.status === 422 && sourceIssues.length) {
        showIssues(sourceIssues);
        saveError.show(`Not saved: ${error.message}`);
        problems.focus();
      } else {
        saveError.show(`Not saved: ${error.message}`);
      }
    }
  }

  // Shows `bot` as saved, dropping what was typed here.
  function showSaved(bot) {
    saved = bot;
    name.input.value = bot.name;
    editor.value = bot.source;
    dirtyChanged();
    runCheck();
  }

  return {
    isDirty,
    botSaved(bot) {
      if (!isDirty()) {
        saved = bot;
        name.input.value = bot.name;
        if (editor.value !== bot.source) editor.value = bot.source;
      } else {
        saved = { ...saved, settings: bot.settings, previewURL: bot.previewURL };
      }
      preview.reload(bot.previewURL);
    },
    unmount() {
      alive = false;
      check.cancel();
      if (checking) checking.abort();
    },
  };
}
