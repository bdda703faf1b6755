import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { DiffTable, type FieldChange } from './diff-table.tsx';
import type { HistoryItem } from './types.ts';

const IGNORED = new Set(['version', 'updated_at']);

/** A list field (a book's entries) compared element by element: only the elements that differ are shown. */
function listChange(field: string, from: unknown[], to: unknown[]): FieldChange {
  const key = (v: unknown) => JSON.stringify(v);
  const kept = new Set(from.map(key));
  const now = new Set(to.map(key));
  return { field, from: from.filter((v) => !now.has(key(v))), to: to.filter((v) => !kept.has(key(v))) };
}

/** Top-level fields that differ between two states of a resource (its `as_of` views). */
export function fieldChanges(before: Record<string, unknown> | null, after: Record<string, unknown>): FieldChange[] {
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  return [...fields]
    .filter((f) => !IGNORED.has(f) && JSON.stringify(before?.[f]) !== JSON.stringify(after[f]))
    .map((field) => {
      const from = before?.[field];
      const to = after[field];
      return Array.isArray(from) && Array.isArray(to) ? listChange(field, from, to) : { field, from, to };
    });
}

/**
 * The history of any resource as a timeline (who, when, what), with the resource "as of" a chosen version and the
 * fields that version changed: `path` is the resource's URL (its `/history` and `?as_of=` are read).
 */
export function HistoryTimeline({ api, path, title }: { api: Api; path: string; title: string }) {
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [changes, setChanges] = useState<FieldChange[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api
      .get<{ items: HistoryItem[] }>(`${path}/history?order=desc&limit=200`)
      .then((r) => setItems(r.items))
      .catch((e) => setError((e as Error).message));
  }, [api, path]);
  const open = async (version: number) => {
    setSelected(version);
    const at = (v: number) => api.get<Record<string, unknown>>(`${path}${path.includes('?') ? '&' : '?'}as_of=${v}`);
    const [before, after] = await Promise.all([version > 1 ? at(version - 1) : Promise.resolve(null), at(version)]);
    setChanges(fieldChanges(before, after));
  };
  return (
    <section class="versions" aria-label={title}>
      <h2>{title}</h2>
      {error && <p role="alert">{error}</p>}
      <ol class="timeline" aria-label={`${title} timeline`}>
        {items.map((item) => (
          <li key={`${item.version}-${item.event_type}`}>
            <button type="button" class="link" aria-pressed={selected === item.version} onClick={() => void open(item.version)}>
              Version {item.version}
            </button>
            <span class="muted">
              {' '}
              {new Date(item.at).toLocaleString()} · {item.user_id} · {item.summary}
            </span>
          </li>
        ))}
      </ol>
      {selected !== null && <DiffTable changes={changes} label={`As of version ${selected}`} after={`As of version ${selected}`} />}
    </section>
  );
}
