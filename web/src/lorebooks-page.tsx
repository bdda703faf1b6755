import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import { EntryEditor } from './entry-editor.tsx';
import { ExplainPanel } from './explain-panel.tsx';
import { HistoryTimeline } from './history-timeline.tsx';
import { go } from './route.ts';
import { saveFile } from './save-file.ts';
import type { Character, Chat, WorldBook, WorldBookEntry } from './types.ts';

/** Lorebooks: the list, import and export, a book's entries with the editor, attach, and Explain on a chat. */
export function LorebooksPage({ api, bookId }: { api: Api; bookId?: string }) {
  const [books, setBooks] = useState<WorldBook[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const loadBooks = useCallback(async () => {
    setBooks((await api.get<Page<WorldBook>>('/api/v1/characters/world-books?limit=500')).items);
  }, [api]);
  useEffect(() => void loadBooks(), [loadBooks]);

  const importBook = async (file: File) => {
    try {
      const book = await api.upload<WorldBook>(
        `/api/v1/characters/world-books/import?name=${encodeURIComponent(file.name.replace(/\.[^.]+$/, ''))}`,
        file,
      );
      setStatus(`Imported ${book.name}`);
      await loadBooks();
      go(`#/lorebooks/${book.id}`);
    } catch (e) {
      setStatus((e as Error).message);
    }
  };

  return (
    <section class="lorebooks" aria-labelledby="lorebooks-title">
      <div class="toolbar">
        <h1 id="lorebooks-title">Lorebooks</h1>
        <label class="button file-button">
          Import lorebook
          <input
            type="file"
            accept=".json,application/json"
            aria-label="Import lorebook"
            onChange={(e) => e.currentTarget.files?.[0] && void importBook(e.currentTarget.files[0])}
          />
        </label>
      </div>
      <p role="status" aria-live="polite" class="status">
        {status}
      </p>
      <div class="lorebook-layout">
        <nav aria-label="Books" class="book-list">
          <ul>
            {books.map((b) => (
              <li>
                <a href={`#/lorebooks/${b.id}`} aria-current={b.id === bookId ? 'page' : undefined}>
                  {b.name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {bookId && <BookView api={api} bookId={bookId} />}
      </div>
    </section>
  );
}

function BookView({ api, bookId }: { api: Api; bookId: string }) {
  const [book, setBook] = useState<WorldBook | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [characters, setCharacters] = useState<Character[]>([]);
  const [chats, setChats] = useState<Chat[]>([]);
  const [explainChat, setExplainChat] = useState<string>('');
  const [explainKey, setExplainKey] = useState(0);
  const [status, setStatus] = useState<string | null>(null);
  const [showHistory, setShowHistory] = useState(false);

  const load = useCallback(async () => {
    setBook(await api.get<WorldBook>(`/api/v1/characters/world-books/${bookId}?include_entries=true`));
  }, [api, bookId]);
  useEffect(() => {
    void load();
    void api.get<Page<Character>>('/api/v1/characters?limit=200').then((p) => setCharacters(p.items));
    void api.get<Page<Chat>>('/api/v1/character_chats?limit=100').then((p) => {
      setChats(p.items);
      setExplainChat((current) => current || p.items[0]?.id || '');
    });
  }, [load]);

  if (!book) return <p class="muted">Loading…</p>;
  const entries = book.entries ?? [];
  const entry = entries.find((e) => e.entry_id === selected) ?? null;

  const saveEntry = async (e: WorldBookEntry, changes: Record<string, unknown>) => {
    await api.json('PUT', `/api/v1/characters/world-books/${bookId}/entries/${e.entry_id}?expected_version=${book.version}`, changes);
    await load();
    setExplainKey((k) => k + 1);
  };
  const deleteEntry = async (e: WorldBookEntry) => {
    await api.json('DELETE', `/api/v1/characters/world-books/${bookId}/entries/${e.entry_id}`);
    setSelected(null);
    await load();
  };
  const addEntry = async () => {
    const created = await api.json<WorldBookEntry>('POST', `/api/v1/characters/world-books/${bookId}/entries`, {
      keys: ['new key'],
      content: '',
    });
    await load();
    setSelected(created.entry_id);
  };
  const exportBook = async (format: string) => {
    const { blob, filename } = await api.download(`/api/v1/characters/world-books/${bookId}/export?format=${format}`);
    saveFile(blob, filename);
  };
  const attach = async (characterId: string) => {
    await api.json('POST', `/api/v1/characters/${characterId}/world-books`, { world_book_id: bookId });
    setStatus('Attached to the character');
  };
  const attachToChat = async (chatId: string) => {
    const chat = await api.get<Chat & { settings?: { world_book_ids?: string[] } }>(`/api/v1/character_chats/${chatId}`);
    const ids = [...new Set([...(chat.settings?.world_book_ids ?? []), bookId])];
    await api.json('PUT', `/api/v1/character_chats/${chatId}?expected_version=${chat.version}`, { settings: { world_book_ids: ids } });
    setStatus('Attached to the chat');
  };

  return (
    <div class="book-view">
      <header class="toolbar">
        <h2>{book.name}</h2>
        <select aria-label="Export lorebook" value="" onChange={(e) => e.currentTarget.value && void exportBook(e.currentTarget.value)}>
          <option value="">Export…</option>
          <option value="sillytavern">SillyTavern</option>
          <option value="lorebook_v3">Lorebook V3</option>
          <option value="character_book">Character book</option>
        </select>
        <select aria-label="Attach to character" value="" onChange={(e) => e.currentTarget.value && void attach(e.currentTarget.value)}>
          <option value="">Attach to character…</option>
          {characters.map((c) => (
            <option value={c.id}>{c.name}</option>
          ))}
        </select>
        <select aria-label="Attach to chat" value="" onChange={(e) => e.currentTarget.value && void attachToChat(e.currentTarget.value)}>
          <option value="">Attach to chat…</option>
          {chats.map((c) => (
            <option value={c.id}>{c.title || c.id.slice(0, 8)}</option>
          ))}
        </select>
        <button type="button" onClick={() => void addEntry()}>
          Add entry
        </button>
        <button type="button" aria-pressed={showHistory} onClick={() => setShowHistory(!showHistory)}>
          History
        </button>
      </header>
      {showHistory && <HistoryTimeline api={api} path={`/api/v1/characters/world-books/${bookId}`} title="Book history" />}
      <p role="status" class="status">
        {status}
      </p>
      <div class="book-columns">
        <ul class="entry-list" aria-label="Entries">
          {entries.map((e) => (
            <li>
              <button
                type="button"
                class="link"
                aria-current={e.entry_id === selected ? 'true' : undefined}
                onClick={() => setSelected(e.entry_id)}
              >
                {e.comment || e.keys.join(', ') || `Entry ${e.uid}`}
              </button>
            </li>
          ))}
        </ul>
        {entry && <EntryEditor entry={entry} onSave={(changes) => saveEntry(entry, changes)} onDelete={() => deleteEntry(entry)} />}
        <div class="explain-column">
          <label for="explain-chat">Explain on chat</label>
          <select id="explain-chat" value={explainChat} onChange={(e) => setExplainChat(e.currentTarget.value)}>
            {chats.map((c) => (
              <option value={c.id}>{c.title || c.id.slice(0, 8)}</option>
            ))}
          </select>
          {explainChat && <ExplainPanel api={api} chatId={explainChat} refreshKey={explainKey} />}
        </div>
      </div>
    </div>
  );
}
