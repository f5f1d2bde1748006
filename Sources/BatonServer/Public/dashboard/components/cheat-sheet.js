// A short reminder of the bot format (docs/bot-format.md has it all), folded away.

import { h } from '/dashboard/dom.js';

const EXAMPLE = `name: Ada
language: en                  # en, ar, de, es, fr, it, nl or pt
greeting:
  text: Hi, I'm Ada. How can I help?
  buttons:
    - What is Baton?
    - title: Talk to a person
      action: handover        # or flow:NAME, intent:NAME

intents:
  - name: pricing
    examples: [how much does it cost]
    keywords: [price, cost]
    answer: Plans start at 10 € a month.
    then: contact             # run a flow afterwards (optional)

flows:
  contact:
    - say: A few quick questions first.
    - ask: What's your name?
      save: name
    - ask: Your email?
      save: email
      type: email             # text, email, phone or choice
    - goto: goodbye           # continue with another flow
  goodbye:
    - handover: Thanks {{name}}, a person will join shortly.

settings:
  threshold: 0.6              # lowest match score that counts
  maxMisunderstandings: 2     # then hand over
  fallback: Sorry, I didn't get that.
  handoverFlow: contact       # questions before every handover
  handoverMessage: Connecting you with a person…`;

const KEYS = [
  ['language', 'the language the bot speaks (en, ar, de, es, fa, fr, he, id, it, ja, ko, nl, pl, pt, ru, tr, uk, zh, zh-Hant): the texts it leaves out come in it, and the widget speaks it.'],
  ['greeting', 'the first message: a text, or text + buttons.'],
  ['intents', 'what the bot understands: examples and keywords, and an answer, a flow (then) or handover: true.'],
  ['flows', 'named lists of steps; each step is one of say, ask (with save, type, choices, retry, pattern), handover or goto.'],
  ['settings', 'threshold, maxMisunderstandings, fallback, fileReceived, handoverTriggers, handoverFlow, handoverMessage, noAgentsMessage, cancelTriggers, cancelMessage.'],
  ['{{name}}', 'in any text, the answer saved under that variable.'],
];

export function cheatSheet() {
  return h('details', { class: 'cheatsheet' },
    h('summary', {}, 'Bot format cheat sheet'),
    h('div', { class: 'cheatsheet-body' },
      h('dl', { class: 'cheatsheet-keys' }, KEYS.map(([key, text]) => [h('dt', {}, h('code', {}, key)), h('dd', {}, text)])),
      h('pre', { class: 'code-block' }, h('code', {}, EXAMPLE)),
      h('p', { class: 'field-hint' }, 'The full reference is docs/bot-format.md in the Baton source.')));
}
