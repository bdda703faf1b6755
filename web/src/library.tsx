import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import { Avatar } from './avatar.tsx';
import { ExportMenu } from './export-menu.tsx';
import { FEED_CONNECTED, useLiveEvents } from './live.ts';
import { go } from './route.ts';
import { startChat } from './start-chat.ts';
import type { Character } from './types.ts';

type Sort = 'name' | 'updated' | 'created' | 'last_used';

const IMPORTABLE = '.png,.webp,.json,.yaml,.yml,.charx,.md,.markdown,image/png,image/webp,application/json';

/** The caller's characters as a grid: search, tag filter, sort, import (file or drop), export, delete and undo. */
export function Library({ api }: { api: Api }) {
  const [characters, setCharacters] = useState<Character[]>([]);
  const [query, setQuery] = useState('');
  const [tag, setTag] = useState('');
  const [sort, setSort] = useState<Sort>('name');
  const [status, setStatus] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<Character | null>(null);
  const [dragging, setDragging] = useState(false);

  const load = useCallback(async () => {
    const params = new URLSearchParams({ limit: '200', sort, order: sort === 'name' ? 'asc' : 'desc' });
    if (query.trim()) params.set('q', query.trim());
    if (tag) params.set('tags', tag);
    const page = await api.get<Page<Character>>(`/api/v1/characters?${params}`);
    setCharacters(page.items);
  }, [api, query, tag, sort]);

  useEffect(() => {
    const timer = setTimeout(() => void load().catch((e) => setStatus(String(e.message ?? e))), 150);
    return () => clearTimeout(timer);
  }, [load]);
  useLiveEvents(api, (event) => {
    if (event.type === FEED_CONNECTED || event.resource_type === 'character') void load();
  });

  const allTags = useMemo(() => [...new Set(characters.flatMap((c) => c.tags))].sort(), [characters]);

  const importFiles = async (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      setStatus(`Importing ${file.name}…`);
      try {
        const character = await api.upload<Character>('/api/v1/characters/import?on_conflict=rename', file);
        setStatus(`Imported ${character.name}`);
      } catch (e) {
        setStatus(`${file.name}: ${(e as Error).message}`);
      }
    }
    await load();
  };

  const remove = async (c: Character) => {
    await api.json('DELETE', `/api/v1/characters/${c.id}?expected_version=${c.version}`);
    setDeleted(c);
    setStatus(`Deleted ${c.name}`);
    await load();
  };
  const restore = async () => {
    if (!deleted) return;
    await api.json('POST', `/api/v1/characters/${deleted.id}/restore`);
    setStatus(`Restored ${deleted.name}`);
    setDeleted(null);
    await load();
  };

  return (
    <section
      class={`library${dragging ? ' dropping' : ''}`}
      aria-labelledby="library-title"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer?.files.length) void importFiles(e.dataTransfer.files);
      }}
    >
      <div class="toolbar">
        <h1 id="library-title">Characters</h1>
        <input
          type="search"
          aria-label="Search characters"
          placeholder="Search"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <select aria-label="Tag" value={tag} onChange={(e) => setTag(e.currentTarget.value)}>
          <option value="">All tags</option>
          {allTags.map((t) => (
            <option value={t}>{t}</option>
          ))}
        </select>
        <select aria-label="Sort" value={sort} onChange={(e) => setSort(e.currentTarget.value as Sort)}>
          <option value="name">Name</option>
          <option value="updated">Recently changed</option>
          <option value="created">Newest</option>
          <option value="last_used">Recently used</option>
        </select>
        <label class="button file-button">
          Import character
          <input
            type="file"
            aria-label="Import character"
            accept={IMPORTABLE}
            multiple
            onChange={(e) => {
              const files = e.currentTarget.files;
              if (files?.length) void importFiles(files).then(() => (e.currentTarget.value = ''));
            }}
          />
        </label>
      </div>
      <p class="status" role="status" aria-live="polite">
        {status}
        {deleted && (
          <button type="button" class="link" onClick={() => void restore()}>
            Undo delete
          </button>
        )}
      </p>
      {characters.length === 0 ? (
        <p class="empty">No characters yet: import a card (PNG, WEBP, JSON, YAML, CharX, Markdown) or drop it here.</p>
      ) : (
        <ul class="card-grid" aria-label="Characters">
          {characters.map((c) => (
            <li class="character-card" key={c.id} aria-label={c.name}>
              <a href={`#/characters/${c.id}`} class="character-link" aria-label={`Open ${c.name}`}>
                <Avatar api={api} name={c.name} url={c.image?.url} version={c.image?.etag} size="lg" />
                <strong>{c.name}</strong>
              </a>
              <p class="tags">
                {c.tags.slice(0, 4).map((t) => (
                  <span class="chip">{t}</span>
                ))}
              </p>
              <div class="card-actions">
                <button type="button" onClick={() => void startChat(api, c.id).then((chat) => go(`#/chats/${chat.id}`))}>
                  Start chat
                </button>
                <ExportMenu api={api} character={c} />
                <button type="button" class="danger" onClick={() => void remove(c)}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
