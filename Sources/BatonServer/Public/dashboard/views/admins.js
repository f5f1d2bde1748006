// The dashboard's admins: who they are, adding one (with a first password to give them),
// removing one (their sessions end at once; the last admin stays).

import { h, replace, breakable } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { button, busy, confirmDialog, errorBox, field, loadInto, loading, openDialog, PASSWORD_RULES, showRefusal, toast } from '/dashboard/ui.js';
import { formatDateTime, relativeTime } from '/dashboard/format.js';

export function mountAdmins(main) {
  document.title = 'Admins · Baton';
  const list = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading admins…'));
  const addButton = button('Add admin', { variant: 'primary', iconName: 'plus', onclick: () => addDialog() });
  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-header' },
      h('div', {}, h('h1', {}, 'Admins'),
        h('p', { class: 'page-subtitle' }, 'Everyone who may sign in to this dashboard. Each admin may do everything, including adding and removing admins.')),
      addButton),
    list));

  let alive = true;
  let admins = [];
  load();

  function load() {
    return loadInto(list, { fetch: () => api.admins(), show: (data) => { admins = data.admins; draw(); }, label: 'Loading admins…', isAlive: () => alive });
  }

  function draw() {
    replace(list, h('div', { class: 'card' }, h('table', { class: 'table admin-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Added'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, admins.map((a) => h('tr', {},
        h('td', { 'data-label': 'Email' }, h('span', { class: 'admin-email' }, breakable(a.email)), a.you ? h('span', { class: 'you-tag' }, 'You') : null),
        h('td', { 'data-label': 'Added' }, h('time', { datetime: new Date(a.createdAt).toISOString(), title: formatDateTime(a.createdAt) }, relativeTime(a.createdAt))),
        h('td', { class: 'cell-actions' }, admins.length > 1
          ? button('Remove', { variant: 'ghost', 'aria-label': `Remove ${a.email}`, onclick: () => removeDialog(a) })
          : null)))))));
  }

  function addDialog() {
    const d = openDialog({ title: 'Add an admin', description: 'Give them the address of this dashboard and the first password; they can change it once signed in.', className: 'dialog-small' });
    const email = field('Email', h('input', { class: 'input', type: 'email', maxlength: '254', autocomplete: 'off', required: true }));
    const password = field('First password', h('input', { class: 'input', type: 'password', minlength: '10', autocomplete: 'new-password', required: true }),
      { hint: PASSWORD_RULES });
    const error = errorBox();
    const add = button('Add admin', { variant: 'primary', type: 'submit' });
    const form = h('form', { class: 'stack', novalidate: true }, email.root, password.root, error.root);
    form.id = `add-admin-${Date.now()}`;
    add.setAttribute('form', form.id);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.clear();
      email.setError(null);
      password.setError(null);
      if (!email.input.value.includes('@')) { email.setError('Enter their email address.'); email.input.focus(); return; }
      if (password.input.value.length < 10) { password.setError('Use at least 10 characters.'); password.input.focus(); return; }
      try {
        const admin = await busy(add, 'Adding…', () => api.addAdmin(email.input.value, password.input.value));
        d.close();
        toast(`Added ${admin.email}`);
        load();
      } catch (err) {
        if (err.code === 'email_taken') { email.setError(err.message); email.input.focus(); } else showRefusal(err, { email, password }, error);
      }
    });
    d.body.append(form);
    d.footer.append(button('Cancel', { onclick: () => d.close() }), add);
  }

  function removeDialog(admin) {
    confirmDialog({
      title: `Remove ${admin.email}?`,
      text: admin.you
        ? 'You will be signed out at once and can no longer sign in.'
        : 'They are signed out at once and can no longer sign in. Their changes stay.',
      confirmLabel: 'Remove admin',
      returnFocus: () => addButton,
      action: async () => {
        await api.removeAdmin(admin.id);
        toast(`Removed ${admin.email}`);
        // Removing yourself ends your session: the dashboard shows the sign-in form.
        if (admin.you) location.reload(); else load();
      },
    });
  }

  return { unmount() { alive = false; } };
}
