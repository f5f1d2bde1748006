// The "Signed-in users" card of the Widget tab: identity verification. The website signs
// each signed-in user's id with the widget's secret (HMAC-SHA256) on its server; the chat
// then knows who they are in any browser. The secret is shown once, when it is made.

import { h, replace } from '/dashboard/dom.js';
import { api } from '/dashboard/api.js';
import { button, busy, confirmDialog, errorBox, toast } from '/dashboard/ui.js';
import { copyBox } from '/dashboard/components/copy-box.js';

export function identityCard(ctx, { onSaved }) {
  let bot = ctx.bot();
  let secret = null; // just made: shown until the tab is left
  const body = h('div', { class: 'stack' });
  const error = errorBox();
  const root = h('section', { class: 'card card-padded', 'aria-labelledby': 'widget-identity' },
    h('h2', { class: 'section-title', id: 'widget-identity' }, 'Signed-in users'),
    h('div', { class: 'stack' },
      h('p', { class: 'muted' }, 'If your website has accounts, it can tell the chat who is signed in. ',
        'Their chat then follows them to any browser, agents see who they are, and the bot does not ask for the name and email your site gives. ',
        'Your server signs each user’s id with a secret, so nobody can pass for someone else.'),
      body, error.root));

  draw();

  function draw() {
    if (!bot.identityVerification) {
      replace(body, h('div', { class: 'save-bar' },
        button('Turn on', { variant: 'primary', onclick: (event) => makeSecret(event.currentTarget) }),
        h('span', { class: 'muted' }, 'Off: every visitor is anonymous, recognised by their browser.')));
      return;
    }
    const required = h('input', { type: 'checkbox', checked: Boolean(bot.settings.identityRequired), onchange: () => setRequired(required) });
    replace(body,
      h('p', {}, h('strong', {}, 'On. '), 'Visitors your site signs in are recognised by their user id.'),
      secret ? secretBox() : null,
      h('label', { class: 'check' }, required, ' Only signed-in users may chat'),
      h('div', { class: 'save-bar' },
        button('New secret', { onclick: (event) => confirmNewSecret(event.currentTarget) }),
        button('Turn off', { variant: 'danger', onclick: (event) => confirmOff(event.currentTarget) })));
  }

  function secretBox() {
    const base = (bot.embedSnippet.match(/src="([^"]*)\/widget\.js"/) || [])[1] || location.origin;
    const snippet = `<script src="${base}/widget.js" data-widget="${bot.key}"\n  data-user-id="USER_ID" data-user-hash="HASH"\n  data-user-name="NAME" data-user-email="EMAIL" async></script>`;
    const server = `// On your server, for the signed-in user (Node.js):\nconst hash = require('crypto').createHmac('sha256', process.env.BATON_IDENTITY_SECRET)\n  .update(String(user.id)).digest('hex');`;
    return h('div', { class: 'stack' },
      h('p', { class: 'secret-notice', role: 'status' }, h('strong', {}, 'The secret is shown only now. '),
        'Keep it on your server (never in a page), and use it to sign each signed-in user’s id.'),
      copyBox(secret, { label: 'Identity secret' }).root,
      h('p', { class: 'muted' }, 'Then give the chat the user on every page where they are signed in:'),
      copyBox(snippet, { label: 'Snippet for signed-in users' }).root,
      copyBox(server, { label: 'Signing the user id' }).root);
  }

  async function makeSecret(btn) {
    error.clear();
    try {
      const made = await busy(btn, 'Making a secret…', () => api.makeIdentitySecret(ctx.key));
      secret = made.secret;
      await reload();
      toast('Identity verification is on. Copy the secret now.');
    } catch (err) {
      error.show(`Not turned on: ${err.message}`);
    }
  }

  function confirmNewSecret(btn) {
    confirmDialog({
      title: 'Make a new secret?',
      text: 'The current secret stops working at once: signed-in visitors are refused until your website signs with the new one.',
      confirmLabel: 'Make a new secret',
      returnFocus: () => btn,
      action: async () => {
        secret = (await api.makeIdentitySecret(ctx.key)).secret;
        await reload();
        toast('A new secret is in place. Copy it now.');
      },
    });
  }

  function confirmOff(btn) {
    confirmDialog({
      title: 'Turn identity verification off?',
      text: 'Visitors are then recognised by their browser only, and a user id from your website counts for nothing. Signed-in users’ chats stay stored.',
      confirmLabel: 'Turn off',
      returnFocus: () => btn,
      action: async () => {
        await api.deleteIdentitySecret(ctx.key);
        secret = null;
        await reload();
        toast('Identity verification is off.');
      },
    });
  }

  async function setRequired(box) {
    error.clear();
    const current = ctx.bot();
    box.disabled = true;
    try {
      const saved = await api.updateBot(ctx.key, {
        name: current.name, source: current.source,
        settings: Object.assign({}, current.settings, { identityRequired: box.checked }), updatedAt: current.updatedAt,
      });
      bot = saved;
      onSaved(saved);
      toast(box.checked ? 'Only signed-in users may chat now.' : 'Anonymous visitors may chat again.');
    } catch (err) {
      box.checked = !box.checked;
      error.show(`Not saved: ${err.message}`);
    } finally {
      box.disabled = false;
    }
  }

  async function reload() {
    bot = await api.bot(ctx.key);
    onSaved(bot);
    draw();
  }

  return {
    root,
    botSaved(saved) { bot = saved; draw(); },
  };
}
