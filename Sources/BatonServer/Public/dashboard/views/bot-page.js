// One bot: a header and four tabs (Bot, Widget, Platforms, Conversations). The tabs are
// created when first shown and kept, so switching tabs keeps unsaved edits.

import { h, replace } from '/dashboard/dom.js';
import { icon } from '/dashboard/icons.js';
import { api } from '/dashboard/api.js';
import { busy, button, errorBox, loading } from '/dashboard/ui.js';
import { BOT_TABS, botHref } from '/dashboard/router.js';
import { mountBotTab } from '/dashboard/views/bot-tab.js';
import { mountWidgetTab } from '/dashboard/views/widget-tab.js';
import { mountPlatformsTab } from '/dashboard/views/platforms-tab.js';
import { mountConversations } from '/dashboard/views/conversations.js';

const TAB_LABELS = { bot: 'Bot', widget: 'Widget', platforms: 'Platforms', conversations: 'Conversations' };

export function mountBotPage(main, route) {
  const key = route.key;
  let bot = null;
  let alive = true;
  let selected = route.tab;
  const tabs = {};       // name → {tab, panel, view}

  const title = h('h1', { class: 'bot-title' }, key);
  const keyLine = h('p', { class: 'page-subtitle' }, 'Key ', h('code', {}, key));
  const body = h('div', { class: 'bot-body' }, loading('Loading the bot…'));
  main.append(h('div', { class: 'page page-wide' },
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/bots' }, icon('chevronLeft'), 'Bots')),
    h('div', { class: 'page-header' }, h('div', {}, title, keyLine)),
    body));
  document.title = `${key} · Baton`;
  load();

  async function load() {
    try {
      const loaded = await api.bot(key);
      if (!alive) return;
      bot = loaded;
      showName();
      build();
    } catch (error) {
      if (!alive) return;
      const box = errorBox();
      box.show(error.message);
      if (error.status === 404) {
        // Not headed as if the bot were there.
        title.textContent = 'No such bot';
        keyLine.hidden = true;
        document.title = 'No such bot · Baton';
      }
      replace(body, h('div', { class: 'stack' }, box.root, h('p', {}, error.status === 404
        ? h('a', { href: '#/bots', class: 'btn btn-secondary' }, 'Back to the bots')
        : button('Try again', { onclick: () => { replace(body, loading('Loading the bot…')); load(); } }))));
    }
  }

  function showName() {
    title.textContent = bot.name;
    document.title = `${bot.name} · Baton`;
  }

  const ctx = {
    key,
    // A sentence to try at once (`#/bots/KEY/bot?try=…`, from the insights).
    tryText: route.query && route.query.try ? String(route.query.try).slice(0, 500) : null,
    bot: () => bot,
    saved(updated, from) {
      bot = updated;
      showName();
      for (const [name, t] of Object.entries(tabs)) {
        if (name !== from && t.view && t.view.botSaved) t.view.botSaved(updated);
      }
    },
    // A save refused because the bot was saved elsewhere since it was loaded here (409
    // edited_meanwhile): `box` offers the two ways out, each after loading the latest
    // version (which every tab learns; tabs with unsaved changes keep them). "Save mine"
    // saves the tab's own part over it, the rest of the other change stays; "Discard
    // mine" shows theirs in the tab (`takeTheirs(latest)`).
    offerChoice(box, { saveMine, takeTheirs }) {
      const choice = (label, variant, then) => button(label, { variant, onclick: async (event) => {
        try {
          const latest = await busy(event.currentTarget, 'Loading…', () => api.bot(key));
          if (!alive) return;
          ctx.saved(latest, null);
          box.clear();
          then(latest);
        } catch (error) {
          if (alive) box.show(`The latest version could not be loaded: ${error.message}`);
        }
      } });
      box.show('Not saved: this bot was changed since it was opened here (in another tab, or by another admin).', [], [
        choice('Save mine over it', 'primary', () => saveMine()),
        choice('Discard mine and show theirs', 'secondary', takeTheirs),
      ]);
    },
  };

  function build() {
    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Bot settings' });
    const panels = h('div', { class: 'tab-panels' });
    for (const name of BOT_TABS) {
      const tab = h('button', {
        type: 'button', role: 'tab', class: 'tab', id: `tab-${name}`, 'aria-controls': `panel-${name}`,
        'aria-selected': 'false', tabindex: '-1', onclick: () => choose(name, true),
      }, TAB_LABELS[name]);
      const panel = h('section', { class: 'tab-panel', role: 'tabpanel', id: `panel-${name}`, 'aria-labelledby': `tab-${name}`, tabindex: '0', hidden: true });
      tabs[name] = { tab, panel, view: null };
      tablist.append(tab);
      panels.append(panel);
    }
    tablist.addEventListener('keydown', (event) => {
      const index = BOT_TABS.indexOf(selected);
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: BOT_TABS.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = BOT_TABS[(moves[event.key] + BOT_TABS.length) % BOT_TABS.length];
      choose(next, true);
      tabs[next].tab.focus();
    });
    replace(body, tablist, panels);
    choose(selected, false);
  }

  function choose(name, fromUser) {
    if (!tabs[name]) { selected = name; return; }
    for (const [other, t] of Object.entries(tabs)) {
      const on = other === name;
      t.tab.setAttribute('aria-selected', String(on));
      t.tab.tabIndex = on ? 0 : -1;
      if (!on && !t.panel.hidden && t.view && t.view.hide) t.view.hide();
      t.panel.hidden = !on;
    }
    selected = name;
    const t = tabs[name];
    if (!t.view) t.view = createTab(name, t.panel);
    else if (t.view.show) t.view.show();
    if (fromUser) history.replaceState(null, '', botHref(key, name));
  }

  function createTab(name, panel) {
    switch (name) {
      case 'bot': return mountBotTab(panel, ctx);
      case 'widget': return mountWidgetTab(panel, ctx);
      case 'platforms': return mountPlatformsTab(panel, ctx);
      default: {
        const view = mountConversations(panel, { query: {} }, { botKey: key, embedded: true });
        return view;
      }
    }
  }

  return {
    href: () => botHref(key, selected),
    update(next, { dryRun = false } = {}) {
      if (next.view !== 'bot' || next.key !== key) return false;
      if (!dryRun) choose(next.tab, false);
      return true;
    },
    isDirty: () => Object.values(tabs).some((t) => t.view && t.view.isDirty && t.view.isDirty()),
    unmount() {
      alive = false;
      for (const t of Object.values(tabs)) if (t.view && t.view.unmount) t.view.unmount();
    },
  };
}
