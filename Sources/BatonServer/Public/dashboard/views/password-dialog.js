// "Change password": the signed-in admin gives the current password and a new one. Every
// other session of theirs ends; this one goes on with the new session the server returns.

import { h } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { field, errorBox, button, busy, openDialog, PASSWORD_RULES, showRefusal, toast } from '/dashboard/ui.js';

export function openPasswordDialog({ email, onChanged }) {
  const current = field('Current password', h('input', { class: 'input', type: 'password', autocomplete: 'current-password', required: true }));
  const next = field('New password', h('input', { class: 'input', type: 'password', autocomplete: 'new-password', minlength: '10', required: true }),
    { hint: `${PASSWORD_RULES} You stay signed in here; every other session of yours ends.` });
  const repeat = field('Repeat the new password', h('input', { class: 'input', type: 'password', autocomplete: 'new-password', required: true }));
  // The browser's password manager pairs the new password with this account.
  const username = h('input', { type: 'email', autocomplete: 'username', value: email, hidden: true, readonly: true, tabindex: '-1' });
  const error = errorBox();
  const submit = button('Change password', { variant: 'primary', type: 'submit', class: 'btn btn-primary' });
  const cancel = button('Cancel', { variant: 'ghost', onclick: () => dialog.close() });
  const form = h('form', { class: 'stack', novalidate: true }, username, current.root, next.root, repeat.root, error.root);
  const dialog = openDialog({ title: 'Change your password', initialFocus: () => current.input });
  dialog.body.append(form);
  dialog.footer.append(cancel, submit);
  submit.setAttribute('form', form.id = `password-form-${Date.now()}`);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    for (const f of [current, next, repeat]) f.setError(null);
    let first = null;
    const fail = (f, message) => { f.setError(message); first = first || f; };
    if (!current.input.value) fail(current, 'Enter your current password.');
    if (next.input.value.length < 10) fail(next, 'Use at least 10 characters.');
    else if (repeat.input.value !== next.input.value) fail(repeat, 'The two passwords are different.');
    if (first) { first.input.focus(); return; }
    try {
      const session = await busy(submit, 'Changing…', () => api.changePassword(current.input.value, next.input.value));
      dialog.close();
      onChanged(session);
      toast('Password changed. Your other sessions have ended.');
    } catch (err) {
      if (err.code === 'wrong_password') {
        current.setError(err.message);
        current.input.select();
        current.input.focus();
      } else {
        showRefusal(err, { newPassword: next }, error);
      }
    }
  });
}
