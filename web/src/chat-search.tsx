import { useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { MarkedSnippet } from './marked-snippet.tsx';

interface Hit {
  id?: string;
  message_id?: string;
  snippet?: string;
  content?: string;
  name?: string | null;
  sender?: string;
}

/** Full-text search over every branch of the chat, ranked, with highlighted snippets. */
export function ChatSearch({ api, chatId }: { api: Api; chatId: string }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    if (!q.trim()) return;
    const r = await api.get<{ items: Hit[] }>(
      `/api/v1/character_messages/chats/${chatId}/messages/search?q=${encodeURIComponent(q.trim())}`,
    );
    setHits(r.items);
  };
  return (
    <aside class="side-panel" aria-label="Search in chat">
      <h2>Search</h2>
      <form onSubmit={search} role="search">
        <input type="search" aria-label="Search in chat" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit">Find</button>
      </form>
      {hits && (
        <ol class="hits" aria-label="Results">
          {hits.length === 0 && <li class="muted">Nothing found.</li>}
          {hits.map((h) => (
            <li>
              <strong>{h.name ?? h.sender}</strong>: <MarkedSnippet html={h.snippet ?? h.content ?? ''} />
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}
