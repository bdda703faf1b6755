import type { WorldBookMeta } from '../shared/events/world-book-events.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';

/** The world-book events the read model handles. */
export const WORLD_BOOK_EVENTS = [
  'WorldBookCreated' as const,
  'WorldBookUpdated' as const,
  'WorldBookContentReplaced' as const,
  'WorldBookEntriesImported' as const,
  'WorldBookDeleted' as const,
  'WorldBookRestored' as const,
  'WorldBookEntryAdded' as const,
  'WorldBookEntryUpdated' as const,
  'WorldBookEntryDeleted' as const,
  'WorldBookEntriesBulkChanged' as const,
];
export type WorldBookProjectionEvent = RecordedEvent<(typeof WORLD_BOOK_EVENTS)[number]>;

export const json = (value: unknown) => JSON.stringify(value);
export const uidText = (uid: unknown) => (uid === undefined || uid === null ? null : String(uid));

/** The book-level columns of a row (also used to rebuild a past version: `as_of`). */
export function metaColumns(meta: WorldBookMeta): {
  name: string;
  description: string;
  scan_depth: number | null;
  token_budget: number | null;
  recursive_scanning: boolean | null;
  meta: string;
} {
  return {
    name: meta.name,
    description: meta.description,
    scan_depth: meta.scan_depth ?? null,
    token_budget: meta.token_budget ?? null,
    recursive_scanning: meta.recursive_scanning ?? null,
    meta: json(meta),
  };
}

/**
 * A book created in this batch, folded with the entry additions and edits that follow it (an import, a new book
 * being filled): its row and its entries' rows as applying those events one by one would leave them.
 */
export function foldNewBook(
  created: RecordedEvent<'WorldBookCreated'>,
  events: readonly WorldBookProjectionEvent[],
): { book: Record<string, unknown>; entries: Record<string, unknown>[]; used: number } {
  const d = created.data;
  const worldBookId = d.worldBookId;
  const entries = new Map<string, Record<string, unknown>>();
  d.entries.forEach((r, i) =>
    entries.set(r.entryId, {
      entry_id: r.entryId,
      world_book_id: worldBookId,
      ord: i,
      uid: uidText(r.entry.uid),
      entry: json(r.entry),
      created_at: created.createdAt,
      updated_at: created.createdAt,
    }),
  );
  // `events` begins with `created`
  let used = 1;
  for (; used < events.length; used++) {
    const e = events[used]!;
    if (e.type === 'WorldBookEntriesImported') {
      for (const r of e.data.entries)
        if (!entries.has(r.entryId))
          entries.set(r.entryId, {
            entry_id: r.entryId,
            world_book_id: worldBookId,
            ord: entries.size,
            uid: uidText(r.entry.uid),
            entry: json(r.entry),
            created_at: e.createdAt,
            updated_at: e.createdAt,
          });
    } else if (e.type === 'WorldBookEntryAdded' && !entries.has(e.data.entryId)) {
      const x = e.data;
      entries.set(x.entryId, {
        entry_id: x.entryId,
        world_book_id: worldBookId,
        ord: entries.size,
        uid: uidText(x.entry.uid),
        entry: json(x.entry),
        created_at: e.createdAt,
        updated_at: e.createdAt,
      });
    } else if (e.type === 'WorldBookEntryUpdated' && entries.has(e.data.entryId)) {
      const x = e.data;
      Object.assign(entries.get(x.entryId)!, { uid: uidText(x.entry.uid), entry: json(x.entry), updated_at: e.createdAt });
    } else break;
  }
  const last = events[used - 1]!;
  const book = {
    id: worldBookId,
    owner_id: d.ownerId,
    version: last.revision,
    ...metaColumns(d.book),
    enabled: d.enabled,
    is_global: d.isGlobal,
    entry_count: entries.size,
    source: json(d.source),
    created_at: created.createdAt,
    updated_at: last.createdAt,
    deleted_at: null,
  };
  return { book, entries: [...entries.values()], used };
}
