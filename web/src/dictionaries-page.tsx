import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';

interface Dictionary {
  id: string;
  name: string;
  version: number;
  is_active?: boolean;
  entries?: DictionaryEntry[];
}
interface DictionaryEntry {
  id?: string;
  entry_id?: string;
  pattern: string;
  replacement: string;
  type: 'literal' | 'regex';
  enabled?: boolean;
}

/** Chat dictionaries: create, add entries (literal or regex replacements) and try them on a text. */
export function DictionariesPage({ api }: { api: Api }) {
  const [dictionaries, setDictionaries] = useState<Dictionary[]>([]);
  const [open, setOpen] = useState<Dictionary | null>(null);
  const [name, setName] = useState('');
  const [entry, setEntry] = useState<DictionaryEntry>({ pattern: '', replacement: '', type: 'literal' });
  const [sample, setSample] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setDictionaries((await api.get<{ dictionaries: Dictionary[] }>('/api/v1/chat/dictionaries?include_inactive=true')).dictionaries);
  }, [api]);
  useEffect(() => void load(), [load]);
  const openDictionary = async (id: string) => setOpen(await api.get<Dictionary>(`/api/v1/chat/dictionaries/${id}`));
  const guard = (work: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    try {
      setError(null);
      await work();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="dictionaries-title">
      <h1 id="dictionaries-title">Chat dictionaries</h1>
      <form
        class="toolbar"
        onSubmit={guard(async () => {
          const created = await api.json<Dictionary>('POST', '/api/v1/chat/dictionaries', { name });
          setName('');
          await load();
          await openDictionary(created.id);
        })}
      >
        <label for="dictionary-name">New dictionary</label>
        <input id="dictionary-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <button type="submit">Create</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="lorebook-layout">
        <nav aria-label="Dictionaries" class="book-list">
          <ul>
            {dictionaries.map((d) => (
              <li>
                <button
                  type="button"
                  class="link"
                  aria-current={open?.id === d.id ? 'true' : undefined}
                  onClick={() => void openDictionary(d.id)}
                >
                  {d.name}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        {open && (
          <div class="book-view">
            <h2>{open.name}</h2>
            <table class="providers" aria-label="Entries">
              <thead>
                <tr>
                  <th scope="col">Pattern</th>
                  <th scope="col">Replacement</th>
                  <th scope="col">Type</th>
                </tr>
              </thead>
              <tbody>
                {(open.entries ?? []).map((en) => (
                  <tr>
                    <td>{en.pattern}</td>
                    <td>{en.replacement}</td>
                    <td>{en.type}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <form
              class="editor"
              onSubmit={guard(async () => {
                await api.json('POST', `/api/v1/chat/dictionaries/${open.id}/entries`, entry);
                setEntry({ pattern: '', replacement: '', type: 'literal' });
                await openDictionary(open.id);
              })}
            >
              <fieldset>
                <legend>Add an entry</legend>
                <label for="entry-pattern">Pattern</label>
                <input
                  id="entry-pattern"
                  value={entry.pattern}
                  onInput={(e) => setEntry({ ...entry, pattern: e.currentTarget.value })}
                  required
                />
                <label for="entry-replacement">Replacement</label>
                <input
                  id="entry-replacement"
                  value={entry.replacement}
                  onInput={(e) => setEntry({ ...entry, replacement: e.currentTarget.value })}
                />
                <label for="entry-type">Type</label>
                <select
                  id="entry-type"
                  value={entry.type}
                  onChange={(e) => setEntry({ ...entry, type: e.currentTarget.value as 'literal' | 'regex' })}
                >
                  <option value="literal">literal</option>
                  <option value="regex">regex</option>
                </select>
                <button type="submit">Add entry</button>
              </fieldset>
            </form>
            <form
              class="editor"
              onSubmit={guard(async () => {
                const r = await api.json<{ processed_text: string }>('POST', '/api/v1/chat/dictionaries/process', {
                  text: sample,
                  dictionary_id: open.id,
                });
                setResult(r.processed_text);
              })}
            >
              <label for="dictionary-sample">Try on a text</label>
              <textarea id="dictionary-sample" rows={3} value={sample} onInput={(e) => setSample(e.currentTarget.value)} />
              <button type="submit">Apply</button>
              {result !== null && (
                <output aria-label="Result" class="message-text">
                  {result}
                </output>
              )}
            </form>
          </div>
        )}
      </div>
    </section>
  );
}
