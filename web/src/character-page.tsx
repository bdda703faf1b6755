import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import { Avatar } from './avatar.tsx';
import { CharacterEditor } from './character-editor.tsx';
import { CharacterVersions } from './character-versions.tsx';
import { ExportMenu } from './export-menu.tsx';
import { FEED_CONNECTED, useLiveEvents } from './live.ts';
import { go } from './route.ts';
import { startChat } from './start-chat.ts';
import type { Character, Chat } from './types.ts';

/** One character: its card editor, its chats, its versions (diffs, revert, "as of"). */
export function CharacterPage({ api, id }: { api: Api; id: string }) {
  const [character, setCharacter] = useState<Character | null>(null);
  const [chats, setChats] = useState<Chat[]>([]);
  const [tab, setTab] = useState<'card' | 'chats' | 'versions'>('card');
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [c, page] = await Promise.all([
        api.get<Character>(`/api/v1/characters/${id}?include_card=true`),
        api.get<Page<Chat>>(`/api/v1/character_chats?character_id=${id}&limit=100`),
      ]);
      setCharacter(c);
      setChats(page.items);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api, id]);
  useEffect(() => void load(), [load]);
  useLiveEvents(api, (event) => {
    if (event.type === FEED_CONNECTED || event.resource_id === id || event.resource_type === 'chat') void load();
  });

  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!character) return <p class="muted">Loading…</p>;
  return (
    <section aria-labelledby="character-title" class="character-page">
      <header class="character-header">
        <Avatar api={api} name={character.name} url={character.image?.url} version={character.image?.etag} size="lg" />
        <div>
          <h1 id="character-title">{character.name}</h1>
          <p class="muted">Version {character.version}</p>
        </div>
        <div class="card-actions">
          <button type="button" onClick={() => void startChat(api, id).then((chat) => go(`#/chats/${chat.id}`))}>
            Start chat
          </button>
          <ExportMenu api={api} character={character} />
        </div>
      </header>
      <div role="tablist" aria-label="Character sections" class="tabs">
        {(['card', 'chats', 'versions'] as const).map((t) => (
          <button type="button" role="tab" aria-selected={tab === t} id={`tab-${t}`} aria-controls={`panel-${t}`} onClick={() => setTab(t)}>
            {t === 'card' ? 'Card' : t === 'chats' ? `Chats (${chats.length})` : 'Versions'}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'card' && <CharacterEditor api={api} character={character} onSaved={() => void load()} />}
        {tab === 'chats' && <ChatList api={api} chats={chats} onChanged={load} />}
        {tab === 'versions' && <CharacterVersions api={api} character={character} onReverted={load} />}
      </div>
    </section>
  );
}

function ChatList({ api, chats, onChanged }: { api: Api; chats: Chat[]; onChanged: () => void }) {
  const rename = async (chat: Chat) => {
    const title = prompt('Rename chat', chat.title ?? '');
    if (title === null) return;
    await api.json('PUT', `/api/v1/character_chats/${chat.id}?expected_version=${chat.version}`, { title });
    onChanged();
  };
  if (chats.length === 0) return <p class="empty">No chats yet.</p>;
  return (
    <ul class="chat-list" aria-label="Chats">
      {chats.map((chat) => (
        <li key={chat.id}>
          <a href={`#/chats/${chat.id}`}>{chat.title || 'Untitled chat'}</a>
          <span class="muted"> {new Date(chat.last_activity_at).toLocaleString()}</span>
          <button type="button" class="link" onClick={() => void rename(chat)} aria-label={`Rename ${chat.title || 'chat'}`}>
            Rename
          </button>
        </li>
      ))}
    </ul>
  );
}
