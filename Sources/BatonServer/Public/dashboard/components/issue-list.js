// Problems in a bot definition, each "Line 12 · flows.contact[1].type — message"; picking
// one with a line puts the caret there.

import { h, uid } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';

export function issueList({ onPick }) {
  const headingId = uid('problems');
  const heading = h('h2', { class: 'section-title', id: headingId, tabindex: '-1' }, 'Problems');
  const list = h('ul', { class: 'issues-list', 'aria-labelledby': headingId });
  const root = h('div', { class: 'issues', hidden: true }, heading, list);

  function describe(issue) {
    return [
      h('span', { class: 'issue-where' }, issue.line ? `Line ${issue.line}` : null, issue.line && issue.path ? ' · ' : null,
        issue.path ? h('code', {}, issue.path) : null),
      issue.line || issue.path ? ' — ' : null,
      h('span', { class: 'issue-message' }, issue.message),
    ];
  }

  return {
    root,
    show(issues) {
      root.hidden = issues.length === 0;
      heading.textContent = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
      list.replaceChildren(...issues.map((issue) => h('li', {},
        issue.line
          ? h('button', { type: 'button', class: 'issue', onclick: () => onPick(issue) }, icon('alert'), h('span', {}, describe(issue)))
          : h('div', { class: 'issue issue-static' }, icon('alert'), h('span', {}, describe(issue))))));
    },
    /** Moves focus to the first problem (after a refused save). */
    focus() {
      const first = list.querySelector('button');
      (first || heading).focus();
    },
  };
}
