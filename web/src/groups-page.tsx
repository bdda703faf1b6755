import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import { Avatar } from './avatar.tsx';
import { go } from './route.ts';
import type { Character, Chat } from './types.ts';

export interface Group {
  id: string;
  version: number;
  name: string;
  members: Array<{ character_id: string; name: string | null; enabled: boolean }>;
  activation_strategy: string;
  generation_mode: string;
}

/** Group chats: a group of the caller's characters, how the next speaker is chosen, and a chat with all of them. */
export function GroupsPage({ api }: { api: Api }) {
  const [groups, setGroups] = useState<Group[]>([]);
  const [characters, setCharacters] = useState<Character[]>([]);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [strategy, setStrategy] = useState('natural');
  const [mode, setMode] = useState('swap');
  const [status, setStatus] = useState<string | null>(null);
  const load = useCallback(async () => {
    const [g, c] = await Promise.all([
      api.get<Page<Group>>('/api/v1/groups?limit=200'),
      api.get<Page<Character>>('/api/v1/characters?limit=200'),
    ]);
    setGroups(g.items);
    setCharacters(c.items);
  }, [api]);
  useEffect(() => void load(), [load]);
  const avatarOf = (id: string) => characters.find((c) => c.id === id)?.image?.url;

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await api.json('POST', '/api/v1/groups', { name, member_ids: members, activation_strategy: strategy, generation_mode: mode });
      setName('');
      setMembers([]);
      await load();
    } catch (err) {
      setStatus((err as Error).message);
    }
  };
  const start = async (g: Group) => {
    const chat = await api.json<Chat>('POST', '/api/v1/character_chats', { group_id: g.id });
    go(`#/chats/${chat.id}`);
  };

  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <p role="status" class="status">
        {status}
      </p>
      <ul class="card-grid" aria-label="Groups">
        {groups.map((g) => (
          <li class="character-card" aria-label={g.name}>
            <strong>{g.name}</strong>
            <p class="tags">
              {g.members.map((m) => (
                <Avatar api={api} name={m.name ?? '?'} url={avatarOf(m.character_id)} size="sm" />
              ))}
            </p>
            <p class="muted">
              {g.activation_strategy} · {g.generation_mode}
            </p>
            <button type="button" onClick={() => void start(g)}>
              Start group chat
            </button>
          </li>
        ))}
      </ul>
      <form class="editor" onSubmit={create} aria-label="New group">
        <fieldset>
          <legend>New group</legend>
          <label for="group-name">Group name</label>
          <input id="group-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
          <fieldset>
            <legend>Members</legend>
            {characters.map((c) => (
              <label class="check">
                <input
                  type="checkbox"
                  checked={members.includes(c.id)}
                  onChange={(e) => setMembers(e.currentTarget.checked ? [...members, c.id] : members.filter((m) => m !== c.id))}
                />{' '}
                {c.name}
              </label>
            ))}
          </fieldset>
          <label for="group-strategy">Who speaks next</label>
          <select id="group-strategy" value={strategy} onChange={(e) => setStrategy(e.currentTarget.value)}>
            <option value="natural">Natural order (mentions, then talkativeness)</option>
            <option value="list">List order (everyone in turn)</option>
            <option value="pooled">Pooled (those who have not spoken)</option>
            <option value="manual">Manual (only when asked)</option>
          </select>
          <label for="group-mode">Character cards</label>
          <select id="group-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
            <option value="swap">Swap (the speaker's card)</option>
            <option value="append">Join the cards</option>
            <option value="append_disabled">Join the cards, muted members too</option>
          </select>
          <button type="submit" disabled={members.length === 0}>
            Create group
          </button>
        </fieldset>
      </form>
    </section>
  );
}
