// "Try a sentence": how the definition in the editor (saved or not) reads what a visitor
// might write while the bot is in charge: which intent answers, a handover, or the
// fallback, with how well each intent matched.

import { h, uid } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { busy } from '/dashboard/ui.js';

export function sentenceTryout({ key, source, initial = null }) {
  const inputId = uid('try');
  const hintId = uid('try-hint');
  const input = h('input', {
    class: 'input', id: inputId, type: 'text', maxlength: '500', autocomplete: 'off',
    placeholder: 'What a visitor might write…', 'aria-describedby': hintId,
  });
  const tryButton = h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Try');
  const result = h('div', { class: 'tryout-result', role: 'status' });
  const form = h('form', { class: 'tryout field', novalidate: true },
    h('label', { class: 'label', for: inputId }, 'Try a sentence'),
    h('div', { class: 'tryout-row' }, input, tryButton),
    h('p', { class: 'field-hint', id: hintId }, 'How the definition above, saved or not, reads it when no question waits for an answer.'),
    result);
  form.addEventListener('submit', (event) => { event.preventDefault(); run(); });

  async function run() {
    const text = input.value.trim();
    if (!text) { input.focus(); return; }
    try {
      show(await busy(tryButton, 'Trying…', () => api.tryBot(key, source(), text)));
    } catch (error) {
      result.replaceChildren(h('p', { class: 'field-error' }, error.message));
    }
  }

  const score = (value) => value.toFixed(2);

  function show(answer) {
    if (!answer.ok) {
      result.replaceChildren(h('p', { class: 'field-error' }, 'The definition has problems (listed above): fix them first.'));
      return;
    }
    const needed = `${score(answer.threshold)} needed`;
    const best = answer.scores[0];
    const verdict = answer.outcome === 'handover'
      ? ['Hands over to a person: the phrases that ask for one score ', h('strong', {}, score(answer.handoverScore)), ` (${needed}).`]
      : answer.outcome === 'intent'
        ? ['Answers with ', h('code', {}, answer.intent), ': ', h('strong', {}, score(best.score)), ` (${needed}).`]
        : ['Not understood: the bot says its fallback (',
          best ? [h('code', {}, best.intent), ` scores ${score(best.score)}`] : 'no intent matches at all', `; ${needed}).`];
    const others = answer.scores.slice(0, 5).map((s) => h('li', {}, h('code', {}, s.intent), ` ${score(s.score)}`));
    // (replaceChildren would write out a null as the text "null".)
    result.replaceChildren(h('p', { class: 'tryout-verdict' }, verdict),
      ...(others.length ? [h('ol', { class: 'tryout-scores', 'aria-label': 'Best-matching intents' }, others)] : []));
  }

  if (initial) {
    input.value = initial;
    queueMicrotask(run);
  }

  return { root: form };
}
