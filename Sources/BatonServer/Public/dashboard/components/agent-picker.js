// Chips with autocomplete for Mattermost users: typing searches (debounced), a listbox
// offers matches (arrow keys, Enter, Escape), chosen users become removable chips. The
// relay user is a fixed chip: it is always in every conversation.

import { h, uid, debounce } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';

export function agentPicker({ label, hint, search, initial = [] }) {
  const inputId = uid('agents');
  const listId = uid('agents-list');
  const hintId = uid('agents-hint');
  // [{username, displayName, known}]: `known` once Mattermost named it (picked from its
  // list, or saved in the connection); typed names are looked up before the next step.
  const chosen = initial.map((u) => ({ ...u, known: true }));
  let relay = null;
  let options = [];
  let active = -1;
  let request = null;                      // AbortController of the search in flight

  const chips = h('ul', { class: 'chips', 'aria-label': 'Chosen agents' });
  const input = h('input', {
    id: inputId, type: 'text', class: 'chips-field', role: 'combobox', autocomplete: 'off', spellcheck: 'false',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId, 'aria-describedby': hintId,
    placeholder: 'Type a name or username', maxlength: '64',
  });
  const listbox = h('ul', { id: listId, role: 'listbox', class: 'listbox', 'aria-label': 'Matching Mattermost users', hidden: true });
  const note = h('p', { class: 'field-hint', role: 'status', 'aria-live': 'polite' });
  const box = h('div', { class: 'chips-input', onclick: (event) => { if (event.target === box || event.target === chips) input.focus(); } }, chips, input);
  const root = h('div', { class: 'field agent-picker' },
    h('label', { for: inputId }, label),
    h('p', { class: 'field-hint', id: hintId }, hint),
    h('div', { class: 'combo' }, box, listbox),
    note);

  const runSearch = debounce(async (prefix) => {
    if (request) request.abort();
    const controller = new AbortController();
    request = controller;
    note.textContent = 'Searching…';
    try {
      const users = await search(prefix, controller.signal);
      if (request !== controller || document.activeElement !== input) return;
      const taken = new Set([...chosen.map((u) => u.username), relay && relay.username]);
      showOptions(users.filter((u) => !taken.has(u.username)), prefix);
    } catch (error) {
      if (error.name === 'AbortError') return;
      close();
      note.textContent = `Could not search: ${error.message}`;
    } finally {
      if (request === controller) request = null;
    }
  }, 250);

  function showOptions(users, prefix) {
    options = users;
    active = users.length ? 0 : -1;
    listbox.replaceChildren(...users.map((user, i) => h('li', {
      id: `${listId}-${i}`, role: 'option', class: 'option', 'aria-selected': 'false',
      onmousedown: (event) => { event.preventDefault(); pick(i); },
    }, h('span', { class: 'option-name' }, user.displayName || user.username), h('span', { class: 'option-username' }, `@${user.username}`),
      user.inTeam === false ? h('span', { class: 'option-note' }, 'not in the team yet') : null)));
    const open = users.length > 0;
    listbox.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    highlight();
    note.textContent = open
      ? `${users.length} ${users.length === 1 ? 'user' : 'users'} found. Use the arrow keys and Enter to pick.`
      : prefix ? `No other user’s name starts with “${prefix}”. Press Enter to add “${prefix}” anyway.` : 'No other users.';
  }

  function highlight() {
    [...listbox.children].forEach((item, i) => item.setAttribute('aria-selected', String(i === active)));
    if (active >= 0) {
      input.setAttribute('aria-activedescendant', `${listId}-${active}`);
      listbox.children[active].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function close() {
    runSearch.cancel();
    if (request) { request.abort(); request = null; }
    listbox.hidden = true;
    options = [];
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function pick(index) {
    add({ ...options[index], known: true });
  }

  function add(user) {
    const username = user.username.replace(/^@/, '').trim();
    if (!username) return;
    if (relay && username === relay.username) { note.textContent = `@${username} is the relay user; it is always included.`; }
    else if (!chosen.some((u) => u.username === username)) chosen.push({ ...user, username });
    input.value = '';
    close();
    drawChips();
    note.textContent = `Added @${username}.`;
    note.classList.remove('field-error');
    input.focus();
    // A name typed rather than picked is looked up at once: "Added" alone, for a user
    // outside the team, was only refused at Next.
    const added = chosen.find((u) => u.username === username);
    if (added && !user.known) lookUp(added);
  }

  // The Mattermost user of exactly this username, if any.
  async function find(username) {
    return (await search(username)).find((u) => u.username.toLowerCase() === username.toLowerCase());
  }

  async function lookUp(user) {
    let found;
    try {
      found = await find(user.username);
    } catch { return; }   // Next checks again
    if (!chosen.includes(user)) return;
    if (found) {
      Object.assign(user, found, { known: true });
      drawChips();
      if (found.inTeam === false && note.textContent === `Added @${user.username}.`) {
        note.textContent = `Added @${user.username}, who is not in the team yet: connecting adds them to it.`;
      }
    } else if (note.textContent === `Added @${user.username}.`) {
      note.textContent = `Added @${user.username}, but Mattermost has no user of that name: remove it, or pick from the list.`;
      note.classList.add('field-error');
    }
  }

  function remove(username) {
    const index = chosen.findIndex((u) => u.username === username);
    if (index === -1) return;
    chosen.splice(index, 1);
    drawChips();
    note.textContent = `Removed @${username}.`;
    input.focus();
  }

  function drawChips() {
    const items = [];
    if (relay) {
      items.push(h('li', { class: 'chip chip-fixed' },
        h('span', { class: 'chip-name' }, relay.displayName && relay.displayName !== relay.username ? `${relay.displayName} ` : '', `@${relay.username}`),
        h('span', { class: 'chip-note' }, '(relay user, always included)')));
    }
    for (const user of chosen) {
      items.push(h('li', { class: 'chip' },
        h('span', { class: 'chip-name' }, user.displayName && user.displayName !== user.username ? `${user.displayName} ` : '', `@${user.username}`),
        user.inTeam === false ? h('span', { class: 'chip-note' }, '(joins the team)') : null,
        h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${user.username}`, onclick: () => remove(user.username) }, icon('close'))));
    }
    chips.replaceChildren(...items);
  }

  input.addEventListener('input', () => {
    const prefix = input.value.trim().replace(/^@/, '');
    runSearch(prefix);
  });
  input.addEventListener('keydown', (event) => {
    const open = !listbox.hidden;
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (!open) runSearch.flush(input.value.trim().replace(/^@/, ''));
        else { active = (active + 1) % options.length; highlight(); }
        break;
      case 'ArrowUp':
        if (!open) return;
        event.preventDefault();
        active = (active - 1 + options.length) % options.length;
        highlight();
        break;
      case 'Enter':
        if (open && active >= 0) { event.preventDefault(); pick(active); }
        else if (input.value.trim()) { event.preventDefault(); add({ username: input.value.trim(), displayName: '' }); }
        break;
      case 'Escape':
        if (open || request) { event.preventDefault(); event.stopPropagation(); close(); note.textContent = ''; }
        break;
      case 'Backspace':
        if (!input.value && chosen.length) { remove(chosen[chosen.length - 1].username); }
        break;
      default:
    }
  });
  input.addEventListener('blur', () => { setTimeout(() => { if (document.activeElement !== input) close(); }, 0); });

  drawChips();

  return {
    root,
    input,
    /** The chosen usernames (without the relay user). */
    values: () => chosen.map((u) => u.username),
    chosen: () => [...chosen],
    setRelay(user) {
      relay = user;
      const index = chosen.findIndex((u) => u.username === user.username);
      if (index !== -1) chosen.splice(index, 1);
      drawChips();
    },
    /** Fills in the names of chosen users known by username only (an edit's saved agents). */
    async describe() {
      for (const user of chosen.filter((u) => !u.displayName)) {
        try {
          const found = await find(user.username);
          if (found && chosen.includes(user)) Object.assign(user, found, { known: true });
        } catch { return; }   // the names stay as usernames
      }
      drawChips();
    },
    /** Adds what is typed but not picked yet, if anything. */
    commit() { if (input.value.trim()) add({ username: input.value.trim(), displayName: '' }); close(); },
    /**
     * Looks the typed names up in Mattermost; returns those it has no user of (and says
     * so under the field), an empty list when all are known.
     */
    async unknown() {
      const missing = [];
      for (const user of chosen.filter((u) => !u.known)) {
        const found = await find(user.username);
        if (found) Object.assign(user, found, { known: true });
        else missing.push(user.username);
      }
      drawChips();
      note.textContent = missing.length
        ? `Mattermost has no user named ${missing.map((m) => `“${m}”`).join(', ')}: remove ${missing.length === 1 ? 'it' : 'them'}, or pick from the list.`
        : '';
      note.classList.toggle('field-error', missing.length > 0);
      return missing;
    },
  };
}
