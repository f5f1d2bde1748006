// The Widget tab: how the chat looks and where it may run, and the snippet that embeds it.

import { h } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { button, busy, errorBox, field, toast } from '/dashboard/ui.js';
import { widgetPreview } from '/dashboard/components/preview.js';
import { copyBox } from '/dashboard/components/copy-box.js';
import { identityCard } from '/dashboard/components/identity-card.js';
import { hoursEditor } from '/dashboard/components/hours-editor.js';
import { batonWidgetLanguages } from '/dashboard/widget-languages.js';
import { formatDateTime } from '/dashboard/format.js';

const HEX = /^#[0-9a-fA-F]{6}$/;
// The shape only: the server saves it as browsers send it (lower case, a host in other
// letters in its ASCII form, the default port left out) or says why not.
const ORIGIN = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[^\s/?#@\\%:]+)(:\d{1,5})?\/?$/i;

export function mountWidgetTab(panel, ctx) {
  let saved = ctx.bot();
  let alive = true;

  const title = field('Title', h('input', { class: 'input', type: 'text', maxlength: '60', autocomplete: 'off' }),
    { optional: true, hint: 'At the top of the chat panel. The bot’s name when empty.' });
  const subtitle = field('Subtitle', h('input', { class: 'input', type: 'text', maxlength: '120', autocomplete: 'off' }),
    { optional: true, hint: 'A line under the title, e.g. “We reply in minutes”.' });
  const greeting = field('Greeting', h('textarea', { class: 'input', rows: '2', maxlength: '1000' }),
    { optional: true, hint: 'The first thing the bot says to a new visitor here; {{name}} and {{email}} are a returning visitor’s, left out for others. The greeting in the bot definition when empty.' });
  const colorPicker = h('input', { type: 'color', class: 'color-picker', 'aria-label': 'Pick the colour' });
  const colorText = h('input', { class: 'input mono color-text', type: 'text', maxlength: '7', autocomplete: 'off', spellcheck: 'false' });
  const color = field('Colour', colorText, { hint: 'The button and the visitor’s messages, as #RRGGBB.' });
  color.root.querySelector('label').after(h('div', { class: 'color-row' }, colorPicker, colorText));
  const avatar = field('Avatar URL', h('input', { class: 'input', type: 'url', maxlength: '2048', autocomplete: 'off', placeholder: 'https://…', spellcheck: 'false' }),
    { optional: true, hint: 'An https:// image shown next to the bot’s messages.' });
  const origins = field('Allowed origins', h('textarea', { class: 'input mono', rows: '4', spellcheck: 'false', placeholder: 'https://www.example.com' }),
    { optional: true, hint: 'One per line, e.g. https://www.example.com. Empty = any site may embed it; when you list sites, requests from other sites are refused.' });
  const languages = batonWidgetLanguages();
  const automatic = h('option', { value: '' }, 'The page’s or the visitor’s');
  const language = field('Language', h('select', { class: 'input language' },
    automatic,
    Object.entries(languages).map(([code, spoken]) => h('option', { value: code, lang: code }, spoken.name))),
  { hint: 'Of the widget’s own words: buttons, status lines, notices such as “Alice joined the chat.” By default the bot’s (its definition’s language field), else the language of the page it is on (its lang attribute), else the visitor’s browser’s, else English. It is also the language of the working hours’ default away message. The bot says what its definition says, in the language it is written in.' });
  const askForRating = h('input', { type: 'checkbox', class: 'ask-for-rating' });
  const rating = h('fieldset', { class: 'rating-setting' },
    h('legend', { class: 'label' }, 'Rating'),
    h('label', { class: 'check' }, askForRating, ' Ask visitors to rate a chat with the agents when it ends'),
    h('p', { class: 'field-hint' }, 'Good or bad, once; the agents see the answer in the chat’s room.'));
  const emailMissedReplies = h('input', { type: 'checkbox', class: 'email-missed-replies' });
  const noMailServer = h('p', { class: 'field-hint no-mail-server', hidden: true },
    'This Baton has no mail server, so no email goes out: set BATON_SMTP and --mail-from (docs/configuration.md, Email).');
  const email = h('fieldset', { class: 'email-setting' },
    h('legend', { class: 'label' }, 'Email'),
    h('label', { class: 'check' }, emailMissedReplies, ' Email visitors who left the replies they did not see'),
    h('p', { class: 'field-hint' }, 'To visitors who gave an email address, once the chat has been quiet for a few minutes; the agents are told in the chat’s room. '
      + 'The email links back to the chat on your site when Allowed origins name it (a widget allowed on every site sends no link).'),
    noMailServer);
  const mailStatus = h('p', { class: 'field-hint mail-status', hidden: true });
  email.append(mailStatus);
  const hours = hoursEditor();
  const fields = { title, subtitle, greeting, color, avatarURL: avatar, allowedOrigins: origins, language, ...hours.fields };

  const saveError = errorBox();
  const saveButton = button('Save', { variant: 'primary', type: 'submit' });
  const unsaved = h('span', { class: 'unsaved', hidden: true }, 'Unsaved changes');
  const snippet = copyBox(saved.embedSnippet, { label: 'Embed snippet' });
  const preview = widgetPreview(saved.previewURL);
  const identity = identityCard(ctx, {
    onSaved: (bot) => { saved = bot; ctx.saved(bot, 'widget'); preview.reload(bot.previewURL); },
  });

  const form = h('form', { class: 'stack', novalidate: true },
    title.root, subtitle.root, greeting.root, color.root, avatar.root, origins.root, language.root, rating, email, hours.root,
    // As on the Bot tab: the bar stays at the bottom of the window, and a refused save's
    // message (with "Save mine over it" when the bot was changed meanwhile) shows in it.
    h('div', { class: 'save-area' }, saveError.root, h('div', { class: 'save-bar' }, saveButton, unsaved)));

  panel.append(h('div', { class: 'split' },
    h('div', { class: 'split-main stack-lg' },
      h('section', { class: 'card card-padded', 'aria-labelledby': 'widget-look' },
        h('h2', { class: 'section-title', id: 'widget-look' }, 'Look and access'), form),
      h('section', { class: 'card card-padded', 'aria-labelledby': 'widget-embed' },
        h('h2', { class: 'section-title', id: 'widget-embed' }, 'Embed on your site'),
        h('p', { class: 'muted' }, 'Paste this before ', h('code', {}, '</body>'), ' on every page where the chat should appear.'),
        snippet.root,
        h('p', { class: 'field-hint snippet-options' }, 'The agents see the page the visitor is on, by its address without the query or fragment, and its title. Add ',
          h('code', {}, 'data-page="full"'), ' to the tag for the whole address, ', h('code', {}, 'data-page="off"'), ' for no page at all, or ',
          h('code', {}, 'data-page-title="off"'), ' to leave out titles (they may name a signed-in user). ',
          h('code', {}, 'data-open="true"'), ' opens the chat when the page loads; ', h('code', {}, 'data-language="de"'),
          ' sets the widget’s language on that page, over the Language setting. When an agent answers while the visitor is on another tab, the page title says so and a short chime plays: ',
          h('code', {}, 'data-title-alert="off"'), ' and ', h('code', {}, 'data-sound="off"'), ' turn them off.')),
      identity.root),
    h('div', { class: 'split-side' }, preview.root)));

  fill(saved.settings);

  colorPicker.addEventListener('input', () => { colorText.value = colorPicker.value; color.setError(null); dirtyChanged(); });
  colorText.addEventListener('input', () => {
    const v = colorText.value.trim();
    if (HEX.test(v)) { colorPicker.value = v.toLowerCase(); color.setError(null); }
    dirtyChanged();
  });
  colorText.addEventListener('blur', () => {
    const v = colorText.value.trim();
    if (/^[0-9a-fA-F]{6}$/.test(v)) { colorText.value = `#${v}`; colorPicker.value = colorText.value.toLowerCase(); }
    color.setError(HEX.test(colorText.value.trim()) ? null : 'Use a colour like #3b5bdb.');
  });
  form.addEventListener('input', dirtyChanged);
  form.addEventListener('submit', (event) => { event.preventDefault(); save(); });

  // The Automatic choice names the language the bot's definition says, if any.
  function showBotLanguage() {
    const botLanguage = languages[saved.botLanguage];
    automatic.textContent = botLanguage ? `The bot’s: ${botLanguage.name}` : 'The page’s or the visitor’s';
  }

  function fill(settings) {
    title.input.value = settings.title || '';
    title.input.placeholder = saved.botName || saved.name;
    subtitle.input.value = settings.subtitle || '';
    greeting.input.value = settings.greeting || '';
    colorText.value = settings.color || '#3b5bdb';
    colorPicker.value = HEX.test(colorText.value) ? colorText.value.toLowerCase() : '#3b5bdb';
    avatar.input.value = settings.avatarURL || '';
    origins.input.value = (settings.allowedOrigins || []).join('\n');
    askForRating.checked = settings.askForRating !== false;
    emailMissedReplies.checked = settings.emailMissedReplies !== false;
    noMailServer.hidden = saved.mailServer !== false;
    showMailStatus(saved.mail);
    showBotLanguage();
    language.input.value = settings.language || '';
    hours.fill(settings.workingHours || null);
  }

  // How the last emails went (this Baton's mail server): a failure after the last success
  // is shown as a warning, with the server's words.
  function showMailStatus(mail) {
    mailStatus.hidden = !mail;
    if (!mail) return;
    const failing = mail.lastFailureAt && (!mail.lastSentAt || mail.lastFailureAt > mail.lastSentAt);
    mailStatus.classList.toggle('mail-failing', !!failing);
    mailStatus.textContent = failing
      ? `The last email failed (${formatDateTime(mail.lastFailureAt)}): ${mail.lastFailure}. It is tried again; check ${mail.server}.`
      : mail.lastSentAt ? `Through ${mail.server}; the last email went ${formatDateTime(mail.lastSentAt)}.`
        : `Through ${mail.server}; none sent yet.`;
  }

  function read() {
    const text = (input) => input.value.trim() || null;
    return {
      title: text(title.input),
      subtitle: text(subtitle.input),
      greeting: text(greeting.input),
      color: colorText.value.trim(),
      avatarURL: text(avatar.input),
      allowedOrigins: origins.input.value.split('\n').map((line) => line.trim().replace(/\/+$/, '')).filter(Boolean),
      workingHours: hours.read(),
      askForRating: askForRating.checked,
      emailMissedReplies: emailMissedReplies.checked,
      language: language.input.value || null,
    };
  }

  function normalized(settings) {
    return JSON.stringify({
      title: settings.title || null, subtitle: settings.subtitle || null, greeting: settings.greeting || null, color: (settings.color || '').toLowerCase(),
      avatarURL: settings.avatarURL || null, allowedOrigins: settings.allowedOrigins || [],
      askForRating: settings.askForRating !== false,
      emailMissedReplies: settings.emailMissedReplies !== false,
      language: settings.language || null,
      workingHours: settings.workingHours ? {
        timeZone: settings.workingHours.timeZone,
        days: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, (settings.workingHours.days || {})[d] || []])),
        awayMessage: settings.workingHours.awayMessage || null,
        closedDates: settings.workingHours.closedDates || [],
      } : null,
    });
  }

  const isDirty = () => normalized(read()) !== normalized(saved.settings);
  function dirtyChanged() { unsaved.hidden = !isDirty(); }

  function validate(settings) {
    const problems = [];
    if (!HEX.test(settings.color)) problems.push([color, 'Use a colour like #3b5bdb.']);
    if (settings.avatarURL && !/^https:\/\/[^\s/]+/i.test(settings.avatarURL)) problems.push([avatar, 'Use an https:// address.']);
    const bad = settings.allowedOrigins.filter((o) => !ORIGIN.test(o));
    if (bad.length) problems.push([origins, `Not an origin: ${bad.join(', ')}. An origin is the scheme and host, like https://www.example.com (no path).`]);
    if (settings.allowedOrigins.length > 100) problems.push([origins, 'At most 100 origins.']);
    return problems.concat(hours.validate(settings.workingHours));
  }

  async function save() {
    saveError.clear();
    for (const f of Object.values(fields)) f.setError(null);
    const settings = read();
    const problems = validate(settings);
    if (problems.length) {
      for (const [f, message] of problems) f.setError(message);
      problems[0][0].input.focus();
      return;
    }
    const current = ctx.bot();
    try {
      const bot = await busy(saveButton, 'Saving…', () => api.updateBot(ctx.key, { name: current.name, source: current.source, settings, updatedAt: current.updatedAt }));
      if (!alive) return;
      // A greeting greets new chats only: the preview starts one to show it, as the Bot
      // tab's save does (other settings show in the chat it had).
      const newGreeting = (saved.settings.greeting || '') !== (bot.settings.greeting || '');
      saved = bot;
      fill(bot.settings);
      dirtyChanged();
      snippet.setText(bot.embedSnippet);
      identity.botSaved(bot);
      ctx.saved(bot, 'widget');
      preview.reload(bot.previewURL, { newChat: newGreeting });
      toast('Saved. The widget is updated everywhere it is embedded.');
    } catch (error) {
      if (!alive) return;
      if (error.code === 'edited_meanwhile') {
        ctx.offerChoice(saveError, { saveMine: save, takeTheirs: (bot) => { saved = bot; fill(bot.settings); dirtyChanged(); } });
        return;
      }
      // Each problem once: by its field where it has one, in the list otherwise.
      const fieldOf = (issue) => fields[issue.path.replace(/^settings\./, '').replace(/\[.*$/, '')];
      const placed = error.issues.filter(fieldOf), rest = error.issues.filter((i) => !fieldOf(i));
      for (const issue of placed) fieldOf(issue).setError(issue.message);
      saveError.show(placed.length ? 'Not saved: correct the marked fields.' : `Not saved: ${error.message}`,
        rest.length > (placed.length ? 0 : 1) ? rest.map((i) => `${i.path}: ${i.message}`) : []);
      if (placed.length) fieldOf(placed[0]).input.focus();
    }
  }

  return {
    isDirty,
    botSaved(bot) {
      const dirty = isDirty();
      saved = bot;
      if (!dirty) fill(bot.settings);
      showBotLanguage();
      snippet.setText(bot.embedSnippet);
      identity.botSaved(bot);
      preview.reload(bot.previewURL);
      dirtyChanged();
    },
    unmount() { alive = false; },
  };
}
