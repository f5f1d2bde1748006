// Hash routes:
//   #/bots                         the bots
//   #/bots/KEY/(bot|widget|platforms|conversations)
//   #/conversations?state=…&bot=…&q=…
//   #/conversations/ID             one transcript
//   #/insights?days=…&bot=…         how the conversations went
//   #/admins                       who may sign in

export const BOT_TABS = ['bot', 'widget', 'platforms', 'conversations'];

export function parseRoute(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const parts = pathPart.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  const query = Object.fromEntries(new URLSearchParams(queryPart));

  if (parts.length === 0) return { redirect: '#/bots' };
  if (parts[0] === 'bots') {
    if (parts.length === 1) return { view: 'bots', section: 'bots' };
    const key = parts[1];
    if (parts.length === 2) return { redirect: `#/bots/${encodeURIComponent(key)}/bot` };
    if (parts.length === 3 && BOT_TABS.includes(parts[2])) return { view: 'bot', section: 'bots', key, tab: parts[2], query };
  }
  if (parts[0] === 'conversations') {
    if (parts.length === 1) return { view: 'conversations', section: 'conversations', query };
    if (parts.length === 2) return { view: 'transcript', section: 'conversations', id: parts[1] };
  }
  if (parts[0] === 'insights' && parts.length === 1) return { view: 'insights', section: 'insights', query };
  if (parts[0] === 'admins' && parts.length === 1) return { view: 'admins', section: 'admins' };
  return { view: 'notFound', section: null };
}

/** '#/bots/KEY/TAB' */
export const botHref = (key, tab = 'bot') => `#/bots/${encodeURIComponent(key)}/${tab}`;
export const conversationHref = (id) => `#/conversations/${encodeURIComponent(id)}`;
