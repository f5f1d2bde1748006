// Text as DOM nodes, with the everyday part of Mattermost's Markdown. Shared: Baton puts
// this file into widget.js where it says `@include`, and serves it to the dashboard as the
// module /dashboard/rich-text.js. No module syntax and nothing global here for that reason.
//
// batonRichText(el) returns appendText(parent, text, rich): `el(tag, className, text)`
// makes an element; `rich` false links addresses only (a visitor's own text).
function batonRichText(el) {
  // Agents write Mattermost's Markdown; its everyday part is shown: **bold**,
  // *italic* or _italic_, ~~struck~~, `code`, fenced code blocks (```), [a link](https://…)
  // (with or without a "title"), <https://…>, and addresses written out (http, https,
  // mailto, email addresses) as links; headings and lists read well as the text they are.
  // Built as DOM nodes from the text: nothing is ever parsed as HTML, and a link goes only
  // to an http(s) or mailto address, in a new tab, without the page as referrer. A visitor's own text gets only its addresses linked. (No lookbehind in
  // these patterns: Safari before 16.4 would refuse the whole widget script.)
  // What no address written out holds: spaces, <>"() and the punctuation of CJK and
  // Arabic text (CJK symbols 、。「」…, full-width ！（），：；？, Arabic ، ؛ ؟).
  const STOP = '\\s<>"()\\u3000-\\u303f\\uff01\\uff08\\uff09\\uff0c\\uff1a\\uff1b\\uff1f\\u060c\\u061b\\u061f';
  const INLINE = [
    { kind: 'escape', re: /\\([\\`*_{}\[\]()#+\-.!~|>])/ },
    { kind: 'code', re: /`([^`\n]+)`/ },
    // An address may hold parentheses in pairs (`…/Swift_(programming_language)`); a
    // closing one of its own is part of it, one that closes the sentence's is not.
    // A label's escaped brackets (`\]`, a visitor's text put into a bot's) are its own.
    // An optional title after the address ([Docs](https://… "title")) is left out.
    { kind: 'link', re: /\[((?:\\[^\n]|[^\]\\\n])+)\]\(((?:https?:\/\/|mailto:)(?:[^\s()]|\([^\s()]*\))+)(?:[ \t]+"[^"\n]*")?\)/i },
    { kind: 'autolink', re: /<((?:https?:\/\/|mailto:)[^\s<>]+)>/i },
    // An address written out ends at a space, and at the punctuation of scripts that
    // put none (、。「」（）…) or their own (، ؛ ؟); its last character is no
    // sentence's punctuation.
    { kind: 'url', re: new RegExp(`\\b(?:https?:\\/\\/|mailto:)(?:[^${STOP}]|\\([^${STOP}]*\\))*(?:[^${STOP}.,:;'!?\\]}*_~\u2026]|\\([^${STOP}]*\\))`, 'iu') },
    // An email address in any script (jürgen.müller@firma.de, 山田@例え.jp), whole: the
    // character before, if any, is captured first and kept as text.
    { kind: 'email', lead: true, re: /(^|[^\p{L}\p{N}\p{M}._%+-])([\p{L}\p{N}\p{M}._%+-]+@[\p{L}\p{N}\p{M}-]+(?:\.[\p{L}\p{N}\p{M}-]+)*\.[\p{L}\p{M}]{2,})(?![\p{L}\p{N}\p{M}-])/u },
    { kind: 'strong', re: /\*\*(?=\S)([^\n]*?\S)\*\*/ },
    // A star or underscore inside a word of any script (2*3*4, snake_case, 名前_田中_様)
    // is no emphasis: the character before, if any, is captured first and kept as text.
    { kind: 'em', lead: true, re: /(^|[^\p{L}\p{N}\p{M}_*])\*(?=[^\s*])([^\n*]*?[^\s*])\*(?![\p{L}\p{N}\p{M}_*])/u },
    { kind: 'em', lead: true, re: /(^|[^\p{L}\p{N}\p{M}_])_(?=[^\s_])([^\n_]*?[^\s_])_(?![\p{L}\p{N}\p{M}_])/u },
    { kind: 'del', re: /~~(?=\S)([^\n~]*?\S)~~/ },
  ];
  const PLAIN_KINDS = new Set(['url', 'email']);
  const LINK_KINDS = new Set(['link', 'autolink', 'url', 'email']);
  // A fenced block: ``` (and a language, which is not shown) on a line of its own, to the
  // next ``` line or, unclosed, to the end, as Mattermost shows it.
  const FENCE = /(^|\n) {0,3}```[^`\n]*\n([\s\S]*?)(?:\n {0,3}```[ \t]*(?=\n|$)|$)/;

  // `links` is false inside a link's label: no link within a link.
  function appendText(parent, text, rich, links = true) {
    let fence;
    while (rich && links && text && (fence = FENCE.exec(text))) {
      if (fence.index) appendInline(parent, text.slice(0, fence.index), rich, links);
      const block = el('pre', 'code-block');
      block.append(el('code', '', fence[2]));
      parent.append(block);
      text = text.slice(fence.index + fence[0].length).replace(/^\n/, '');
    }
    appendInline(parent, text, rich, links);
  }

  function appendInline(parent, text, rich, links) {
    while (text) {
      let best = null;
      for (const rule of INLINE) {
        if (!rich && !PLAIN_KINDS.has(rule.kind)) continue;
        if (!links && LINK_KINDS.has(rule.kind)) continue;
        const m = rule.re.exec(text);
        if (!m) continue;
        const start = m.index + (rule.lead ? m[1].length : 0);
        if (!best || start < best.start) best = { rule, m, start };
      }
      if (!best) { parent.append(document.createTextNode(text)); return; }
      const { rule, m, start } = best;
      const inner = rule.lead ? m[2] : m[1];
      if (start) parent.append(document.createTextNode(text.slice(0, start)));
      if (rule.kind === 'escape') parent.append(document.createTextNode(inner));
      else if (rule.kind === 'code') parent.append(el('code', '', inner));
      else if (LINK_KINDS.has(rule.kind)) {
        const href = rule.kind === 'link' ? m[2] : rule.kind === 'autolink' ? inner : rule.kind === 'email' ? 'mailto:' + inner : m[0];
        const link = safeLink(href);
        if (link) {
          if (rule.kind === 'link') appendInline(link, inner, rich, false);
          else link.textContent = rule.kind === 'autolink' || rule.kind === 'email' ? inner : m[0];
          parent.append(link);
        } else {
          parent.append(document.createTextNode(m[0].slice(start - m.index)));
        }
      } else {
        const node = el(rule.kind);
        appendInline(node, inner, rich, links);
        parent.append(node);
      }
      text = text.slice(m.index + m[0].length);
    }
  }

  function safeLink(href) {
    let url;
    try { url = new URL(href); } catch (e) { return null; }
    if (!/^(https?|mailto):$/.test(url.protocol)) return null;
    const link = el('a', 'link');
    link.href = url.href;
    if (url.protocol !== 'mailto:') link.target = '_blank';
    link.rel = 'noopener noreferrer nofollow ugc';
    return link;
  }

  return appendText;
}
