// "Connect for Mattermost": sign in as the relay user, pick the team, the default agents
// and the index channel, review, confirm. Every step is checked against the server before
// moving on. The password (or token) lives only in this closure and is dropped on close.

import { h, uid } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api } from '/dashboard/api.js';
import { button, busy, errorBox, field, openDialog } from '/dashboard/ui.js';
import { agentPicker } from '/dashboard/components/agent-picker.js';
import { mattermostServerForm } from '/dashboard/components/mattermost-server-form.js';
import { batonWidgetLanguages } from '/dashboard/widget-languages.js';

const STEPS = ['Sign in', 'Team', 'Agents', 'Index channel', 'Review'];
const OTHER_TEAM = '\u0000other';
// The new index channel's suggested name in each language Baton posts in.
const INDEX_CHANNEL_NAMES = {
  en: 'Live chats', ar: 'المحادثات المباشرة', de: 'Live-Chats', es: 'Chats en vivo', fa: 'گفتگوهای زنده', fr: 'Chats en direct', he: 'צ׳אטים חיים', id: 'Live chat',
  it: 'Chat dal vivo', ja: 'ライブチャット', ko: '실시간 채팅', nl: 'Livechats', pl: 'Czaty na żywo', pt: 'Chats ao vivo', ru: 'Онлайн-чаты', tr: 'Canlı sohbetler', uk: 'Онлайн-чати', zh: '在线聊天', 'zh-Hant': '線上聊天',
};

export function openMattermostWizard({ botKey, connection = null, onConnected }) {
  const editing = Boolean(connection && connection.connected);
  // Everything the wizard learns; secrets included, in memory only.
  const state = {
    step: 0,
    server: null,            // the verified {url, username?, password?, token?}
    serverKey: null,         // what was verified, to notice edits
    relayUser: null,
    teams: [],
    team: null,              // the verified team {id, name, displayName}
    channels: [],
  };

  // Something typed (or a step passed): Escape asks before it is dropped, as closing the
  // wizard forgets it (the password, which is never kept, included).
  let typed = false;
  const d = openDialog({
    title: editing ? 'Edit the Mattermost connection' : 'Connect for Mattermost',
    className: 'dialog-wizard',
    onClose: forget,
    mayEscape: () => !typed || window.confirm('Close the wizard? What you entered in it is lost.'),
  });

  // ---- the stepper
  const stepItems = STEPS.map((name, i) => h('li', { class: 'stepper-item' },
    h('span', { class: 'stepper-number', 'aria-hidden': 'true' }, String(i + 1)),
    h('span', { class: 'stepper-label' }, name)));
  const stepper = h('ol', { class: 'stepper', 'aria-label': 'Steps' }, stepItems);

  // ---- step 1: server and relay user
  // Another way to sign in: the refusal of the other one no longer applies.
  const serverForm = mattermostServerForm({ connection, onEdit: () => serverEdited(), onAuthChange: () => error.clear() });
  const signedIn = h('div', { class: 'message message-success', role: 'status', hidden: true });
  const step1 = stepPanel(0, 'Sign in to Mattermost', 'Baton signs in as this user to create a channel per conversation and relay messages.',
    ...serverForm.nodes, signedIn);

  // ---- step 2: team
  const signedInAs = h('div', { class: 'message message-success', role: 'status' });
  const teamSelect = h('select', { class: 'input' });
  const teamChoice = field('Team', teamSelect, { hint: 'Chats get their own channel in this team. A team dedicated to live chats works best.' });
  const teamName = field('Team name', h('input', { class: 'input', type: 'text', maxlength: '300', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', placeholder: 'support' }),
    { hint: 'The team’s name as in its URL (support in https://chat.example.com/support), a link into the team, or its display name.' });
  teamSelect.addEventListener('change', () => { teamName.root.hidden = teamSelect.value !== OTHER_TEAM; });
  const step2 = stepPanel(1, 'Select the Mattermost team', null, signedInAs, teamChoice.root, teamName.root);

  // ---- step 3: agents
  const agents = agentPicker({
    label: 'Default agents',
    hint: 'These Mattermost users join every conversation’s channel. Type a name, or press ↓ to list the users (the team’s first; others join the team).',
    initial: editing ? (connection.agents || []).filter((u) => u !== connection.relayUser).map((u) => ({ username: u, displayName: '' })) : [],
    search: async (prefix, signal) => (await api.mattermostUsers(botKey, state.server, state.team.name, prefix, signal)).users,
  });
  const step3 = stepPanel(2, 'Choose the default agents', null, agents.root);

  // ---- step 4: index channel and advanced settings
  const radioName = uid('index');
  const useExisting = h('input', { type: 'radio', name: radioName, value: 'existing', id: uid('ex') });
  const createNew = h('input', { type: 'radio', name: radioName, value: 'create', id: uid('cr'), checked: true });
  const channelSelect = h('select', { class: 'input', 'aria-label': 'Existing channel' });
  const channelName = h('input', { class: 'input', type: 'text', maxlength: '64', autocomplete: 'off', 'aria-label': 'New channel name' });
  const indexError = h('p', { class: 'field-error', hidden: true });
  const closeCommand = field('Close command', h('input', { class: 'input mono', type: 'text', maxlength: '64', value: editing && connection.closeCommand ? connection.closeCommand : '!close' }),
    { hint: 'Posted by an agent in a room, closes the chat.' });
  const internalPrefix = field('Internal prefix', h('input', { class: 'input mono', type: 'text', maxlength: '16', value: editing && connection.internalPrefix ? connection.internalPrefix : '//' }),
    { hint: 'Messages starting with it stay in Mattermost; the visitor never sees them.' });
  const archive = h('input', { type: 'checkbox', checked: editing ? Boolean(connection.archiveOnClose) : false });
  const languages = batonWidgetLanguages();
  const chosenLanguage = editing && connection.language ? connection.language : 'en';
  const languageSelect = h('select', { class: 'input agents-language' },
    Object.entries(languages).map(([code, spoken]) => h('option', { value: code, lang: code, selected: code === chosenLanguage }, spoken.name)));
  const agentsLanguage = field('Language of Baton’s posts', languageSelect,
    { hint: 'What Baton writes for the agents: the announcements, the room’s first post, notes and reminders. What visitors and the bot write stays as written.' });
  // The new index channel's suggested name follows the language of Baton's posts, unless
  // the admin wrote a name of their own.
  channelName.value = INDEX_CHANNEL_NAMES[chosenLanguage] || INDEX_CHANNEL_NAMES.en;
  languageSelect.addEventListener('change', () => {
    if (Object.values(INDEX_CHANNEL_NAMES).includes(channelName.value.trim())) {
      channelName.value = INDEX_CHANNEL_NAMES[languageSelect.value] || INDEX_CHANNEL_NAMES.en;
    }
  });
  const roomsName = uid('rooms');
  const threadRooms = editing && connection.rooms === 'thread';
  const channelRooms = h('input', { type: 'radio', name: roomsName, value: 'channel', id: uid('rc'), checked: !threadRooms });
  const threadRoomsInput = h('input', { type: 'radio', name: roomsName, value: 'thread', id: uid('rt'), checked: threadRooms });
  const step4 = stepPanel(3, 'Choose the index channel', 'Every new chat is announced in this channel, with a link to its room.',
    h('fieldset', { class: 'radio-group' },
      h('legend', { class: 'visually-hidden' }, 'Index channel'),
      h('div', { class: 'radio-option' }, h('label', { class: 'check', for: useExisting.id }, useExisting, ' Use an existing channel'), channelSelect),
      h('div', { class: 'radio-option' }, h('label', { class: 'check', for: createNew.id }, createNew, ' Create a new channel'), channelName),
      indexError),
    h('fieldset', { class: 'radio-group' },
      h('legend', {}, 'Where each chat happens'),
      h('div', { class: 'radio-option' }, h('label', { class: 'check', for: channelRooms.id }, channelRooms, ' A channel of its own, with the default agents in it')),
      h('div', { class: 'radio-option' }, h('label', { class: 'check', for: threadRoomsInput.id }, threadRoomsInput,
        ' A thread under its announcement in the index channel; the default agents follow it')),
      // (Said when changing a connection: on a first one there are none.)
      editing ? h('p', { class: 'field-hint' }, 'Chats already open stay where they are.') : null),
    agentsLanguage.root,
    h('details', { class: 'advanced' }, h('summary', {}, 'Advanced'),
      h('div', { class: 'stack' }, closeCommand.root, internalPrefix.root,
        h('label', { class: 'check' }, archive, ' Archive the room when a chat is closed (channels only)'))));
  const syncIndex = () => {
    channelSelect.disabled = !useExisting.checked;
    channelName.disabled = !createNew.checked;
    // A thread's channel is every chat's: it is never archived.
    archive.disabled = threadRoomsInput.checked;
  };
  useExisting.addEventListener('change', syncIndex);
  createNew.addEventListener('change', syncIndex);
  channelRooms.addEventListener('change', syncIndex);
  threadRoomsInput.addEventListener('change', syncIndex);
  channelSelect.addEventListener('focus', () => { useExisting.checked = true; syncIndex(); });

  // ---- step 5: review
  const summary = h('dl', { class: 'summary' });
  const confirmIssues = h('ul', { class: 'issue-links', hidden: true });
  const step5 = stepPanel(4, 'Review and confirm', 'Baton checks everything once more, creates the index channel if needed, and goes live at once.', summary, confirmIssues);

  const panels = [step1, step2, step3, step4, step5];
  const error = errorBox();
  const form = h('form', { class: 'wizard-form', novalidate: true, id: uid('wizard') }, panels.map((p) => p.root), error.root);
  const back = button('Back', { iconName: 'chevronLeft', onclick: () => go(state.step - 1) });
  const cancel = button('Cancel', { variant: 'ghost', onclick: () => d.close() });
  const primary = h('button', { type: 'submit', class: 'btn btn-primary', form: form.id });
  form.addEventListener('submit', (event) => { event.preventDefault(); advance(); });
  form.addEventListener('input', () => { typed = true; });
  form.addEventListener('change', () => { typed = true; });
  d.body.append(stepper, form);
  d.footer.append(back, h('span', { class: 'spacer' }), cancel, primary);
  go(0, { focus: false });
  queueMicrotask(() => serverForm.focus());

  function stepPanel(index, title, text, ...content) {
    const headingId = uid('step');
    const heading = h('h3', { class: 'step-title', id: headingId, tabindex: '-1' },
      h('span', { class: 'step-count' }, `Step ${index + 1} of ${STEPS.length}`), title);
    const root = h('div', { class: 'step', role: 'group', 'aria-labelledby': headingId, hidden: true },
      heading, text ? h('p', { class: 'muted' }, text) : null, ...content);
    return { root, heading };
  }

  function go(index, { focus = true } = {}) {
    if (index < 0) return;
    state.step = index;
    error.clear();
    panels.forEach((p, i) => { p.root.hidden = i !== index; });
    stepItems.forEach((item, i) => {
      item.classList.toggle('done', i < index);
      item.classList.toggle('current', i === index);
      if (i === index) item.setAttribute('aria-current', 'step'); else item.removeAttribute('aria-current');
      item.querySelector('.stepper-number').replaceChildren(i < index ? icon('check') : String(i + 1));
    });
    back.hidden = index === 0;
    const labels = ['Connect', 'Next', 'Next', 'Next', 'Confirm'];
    primary.textContent = index === 0 && sameServer() ? 'Next' : labels[index];
    if (index === 4) drawSummary();
    if (!focus) return;
    const first = panels[index].root.querySelector('input:not([disabled]):not([type=checkbox]):not([type=radio]), select:not([disabled])');
    const target = index === 4 || !first ? panels[index].heading : first;
    target.focus();
  }

  function sameServer() { return state.serverKey !== null && state.serverKey === JSON.stringify(serverForm.payload()); }

  function serverEdited() {
    signedIn.hidden = !sameServer();
    if (state.step === 0) primary.textContent = sameServer() ? 'Next' : 'Connect';
  }

  let working = false;
  async function advance() {
    if (working) return;    // one step at a time, even when Enter is pressed again
    working = true;
    error.clear();
    try {
      if (state.step === 0) await submitServer();
      else if (state.step === 1) await submitTeam();
      else if (state.step === 2) {
        agents.commit();
        // Each typed name is checked before the next step opens.
        if ((await busy(primary, 'Checking…', () => agents.unknown())).length === 0) go(3);
        else agents.input.focus();
      }
      else if (state.step === 3) submitIndex();
      else await confirm();
    } catch (err) {
      showError(err);
    } finally {
      working = false;
    }
  }

  // The problems of a field say the same as the message, in fewer words: listed only
  // when they add to it, and without the API's field names.
  function showError(err) {
    error.show(err.message, (err.issues || []).filter((i) => !err.message.includes(i.message)).map((i) => sentence(i.message)));
  }

  const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');

  async function submitServer() {
    const invalid = serverForm.validate();
    if (invalid) { invalid.input.focus(); return; }
    const server = serverForm.payload();
    if (sameServer()) { go(1); return; }
    const result = await busy(primary, 'Connecting…', () => api.mattermostServer(botKey, server));
    state.server = server;
    state.serverKey = JSON.stringify(server);
    state.relayUser = result.relayUser;
    state.teams = result.teams || [];
    state.team = null;
    const who = `Signed in as @${result.relayUser.username}`;
    signedIn.replaceChildren(icon('check'), who);
    signedIn.hidden = false;
    signedInAs.replaceChildren(icon('check'), `${who} on ${server.url}${result.proxy ? `, through the proxy ${result.proxy}` : ''}`);
    agents.setRelay(result.relayUser);
    fillTeams();
    go(1);
  }

  function fillTeams() {
    const wanted = (state.team && state.team.name) || (editing ? connection.team : null);
    teamSelect.replaceChildren(
      ...state.teams.map((t) => h('option', { value: t.name }, t.displayName && t.displayName !== t.name ? `${t.displayName} (${t.name})` : t.name)),
      h('option', { value: OTHER_TEAM }, state.teams.length ? 'Another team (type its name)…' : 'Type the team’s name…'));
    const known = state.teams.some((t) => t.name === wanted);
    teamSelect.value = known ? wanted : state.teams.length && !wanted ? state.teams[0].name : OTHER_TEAM;
    if (!known && wanted) teamName.input.value = wanted;
    teamName.root.hidden = teamSelect.value !== OTHER_TEAM;
    teamChoice.root.hidden = state.teams.length === 0;
  }

  async function submitTeam() {
    teamName.setError(null);
    const name = teamSelect.value === OTHER_TEAM ? teamName.input.value.trim() : teamSelect.value;
    if (!name) { teamName.setError('Enter the team’s name.'); teamName.input.focus(); return; }
    if (state.team && state.team.name === name) { go(2); return; }
    const result = await busy(primary, 'Checking…', () => api.mattermostTeam(botKey, state.server, name));
    state.team = result.team;
    state.channels = result.channels || [];
    fillChannels();
    go(2);
    // The saved agents by name too (an edit knows their usernames only).
    agents.describe();
  }

  function fillChannels() {
    const current = editing ? connection.indexChannel : null;
    channelSelect.replaceChildren(...state.channels.map((c) => h('option', { value: c.name },
      c.displayName && c.displayName !== c.name ? `${c.displayName} (~${c.name})` : `~${c.name}`)));
    const match = state.channels.find((c) => c.name === current || c.displayName === current);
    useExisting.disabled = state.channels.length === 0;
    if (match) { channelSelect.value = match.name; useExisting.checked = true; }
    else if (state.channels.length === 0) createNew.checked = true;
    syncIndex();
  }

  function submitIndex() {
    indexError.hidden = true;
    closeCommand.setError(null);
    internalPrefix.setError(null);
    if (createNew.checked && !channelName.value.trim()) {
      indexError.textContent = 'Give the new channel a name.';
      indexError.hidden = false;
      channelName.focus();
      return;
    }
    if (useExisting.checked && !channelSelect.value) {
      indexError.textContent = 'Choose a channel.';
      indexError.hidden = false;
      return;
    }
    for (const [f, what] of [[closeCommand, 'a close command'], [internalPrefix, 'an internal prefix']]) {
      if (!f.input.value.trim()) { f.setError(`Enter ${what}.`); f.root.closest('details').open = true; f.input.focus(); return; }
    }
    // As Baton checks it: a close command behind the prefix would stay in Mattermost.
    const prefix = internalPrefix.input.value.trim();
    if (closeCommand.input.value.trim().startsWith(prefix)) {
      closeCommand.setError(`It starts with the internal prefix ${prefix}: such a post stays in Mattermost and would never close the chat.`);
      closeCommand.root.closest('details').open = true;
      closeCommand.input.focus();
      return;
    }
    go(4);
  }

  function body() {
    return {
      server: state.server,
      team: state.team.name,
      agents: agents.values(),
      indexChannel: useExisting.checked ? { existing: channelSelect.value } : { create: channelName.value.trim() },
      closeCommand: closeCommand.input.value.trim(),
      internalPrefix: internalPrefix.input.value.trim(),
      archiveOnClose: archive.checked,
      rooms: threadRoomsInput.checked ? 'thread' : 'channel',
      language: agentsLanguage.input.value,
    };
  }

  function drawSummary() {
    const b = body();
    const channel = state.channels.find((c) => c.name === b.indexChannel.existing);
    const rows = [
      ['Mattermost', state.server.url],
      ['Relay user', `@${state.relayUser.username}${state.server.token ? ' (access token)' : ''}`],
      // As the Platforms card names it: a display name that only says the name is left out.
      ['Team', state.team.displayName && state.team.displayName.toLowerCase() !== state.team.name.toLowerCase()
        ? `${state.team.displayName} (${state.team.name})` : state.team.name],
      ['Default agents', [`@${state.relayUser.username} (relay user)`,
        ...agents.chosen().map((a) => `@${a.username}${a.inTeam === false ? ' (joins the team)' : ''}`)].join(', ')],
      ['Index channel', b.indexChannel.existing ? `~${b.indexChannel.existing}${channel ? ` — ${channel.displayName}` : ''}` : `Create “${b.indexChannel.create}”`],
      ['Close command', b.closeCommand],
      ['Internal prefix', b.internalPrefix],
      ['Each chat', b.rooms === 'thread' ? 'A thread in the index channel' : 'A channel of its own'],
      ['Archive closed rooms', b.rooms === 'thread' ? 'No (threads stay)' : b.archiveOnClose ? 'Yes' : 'No'],
      ['Baton’s posts in', languages[b.language] ? languages[b.language].name : b.language],
    ];
    summary.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    confirmIssues.hidden = true;
  }

  async function confirm() {
    confirmIssues.hidden = true;
    try {
      const result = await busy(primary, 'Connecting…', () => api.connectMattermost(botKey, body()));
      d.close();
      onConnected(result);
    } catch (err) {
      // Point at the step that can fix each problem.
      const stepOf = (path) => (/^server/.test(path) ? 0 : /^team/.test(path) ? 1 : /^agents/.test(path) ? 2 : 3);
      // One problem: the message says it, with the way to its step; several: each.
      const issues = err.issues || [];
      const links = issues.map((issue) => h('li', {}, `${issues.length === 1 ? err.message : sentence(issue.message)} `,
        h('button', { type: 'button', class: 'btn-link', onclick: () => go(stepOf(issue.path)) }, `Go to “${STEPS[stepOf(issue.path)]}”`)));
      confirmIssues.replaceChildren(...links);
      confirmIssues.hidden = links.length === 0;
      error.show(links.length ? 'Not connected yet: mend what is listed below, then confirm again.' : err.message);
    }
  }

  function forget() {
    // The secrets go with the wizard.
    serverForm.clearSecrets();
    state.server = null;
    state.serverKey = null;
  }

  return d;
}
