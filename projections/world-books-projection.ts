import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import { applyBookChanges } from '../shared/world-books/world-book-fold.ts';
import type { BookChanges, EntryRecord, WorldBookMeta } from '../shared/events/world-book-events.ts';
import type { Projection } from './projection.ts';

/**
 * World books (one row each) and their entries (one row each, `ord` = position in the book). Every event first
 * checks the book row's `version` against its stream revision: an event already applied is skipped, an event for
 * a book without a row stops the projection.
 */
const json = (value: unknown) => JSON.stringify(value);
const uidText = (uid: unknown) => (uid === undefined || uid === null ? null : String(uid));

/** The book-level columns of a row (also used to rebuild a past version: `as_of`). */
export function metaColumns(meta: WorldBookMeta): { name: string; description: string; scan_depth: number | null; token_budget: number | null; recursive_scanning: boolean | null; meta: string } {
  return {
    name: meta.name,
    description: meta.description,
    scan_depth: meta.scan_depth ?? null,
    token_budget: meta.token_budget ?? null,
    recursive_scanning: meta.recursive_scanning ?? null,
    meta: json(meta),
  };
}

async function upsertEntries(db: Kysely<ReadModels>, worldBookId: string, records: readonly EntryRecord[], firstOrd: number, at: Date): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const rows = records.slice(i, i + 500).map((r, j) => ({
      entry_id: r.entryId,
      world_book_id: worldBookId,
      ord: firstOrd + i + j,
      uid: uidText(r.entry.uid),
      entry: json(r.entry),
      created_at: at,
      updated_at: at,
    }));
    await db
      .insertInto('world_book_entries')
      .values(rows)
      .onConflict((oc) =>
        oc.column('entry_id').doUpdateSet({ ord: sql.ref('excluded.ord'), uid: sql.ref('excluded.uid'), entry: sql.ref('excluded.entry'), updated_at: sql.ref('excluded.updated_at') } as never),
      )
      .execute();
  }
}

async function updateEntries(db: Kysely<ReadModels>, records: readonly EntryRecord[], at: Date): Promise<void> {
  if (records.length === 0) return;
  // One statement for any number of entries: the new values keyed by entry id, looked up per row.
  const byId = json(Object.fromEntries(records.map((r) => [r.entryId, { uid: uidText(r.entry.uid), entry: r.entry }])));
  await db
    .updateTable('world_book_entries')
    .set({
      entry: sql`(${byId}::jsonb -> entry_id::text -> 'entry')`,
      uid: sql`(${byId}::jsonb -> entry_id::text ->> 'uid')`,
      updated_at: at,
    } as never)
    .where('entry_id', 'in', records.map((r) => r.entryId))
    .execute();
}

async function deleteEntries(db: Kysely<ReadModels>, worldBookId: string, entryIds: readonly string[]): Promise<void> {
  if (entryIds.length === 0) return;
  await db.deleteFrom('world_book_entries').where('world_book_id', '=', worldBookId).where('entry_id', 'in', [...entryIds]).execute();
}

const missingRow = (event: RecordedEvent) => new Error(`${event.type} for world book ${String(event.data.worldBookId)}, which has no row`);

async function applyOne(db: Kysely<ReadModels>, event: RecordedEvent): Promise<void> {
  const d = event.data as Record<string, any>;
  const worldBookId = d.worldBookId as string;
  const at = event.createdAt;
  if (event.type === 'WorldBookCreated') {
    const inserted = await db
      .insertInto('world_books')
      .values({
        id: worldBookId,
        owner_id: d.ownerId,
        version: event.revision,
        ...metaColumns(d.book),
        enabled: d.enabled,
        is_global: d.isGlobal,
        entry_count: d.entries.length,
        source: json(d.source),
        created_at: at,
        updated_at: at,
        deleted_at: null,
      } as never)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) await upsertEntries(db, worldBookId, d.entries, 0, at);
    return;
  }
  const row = await db.selectFrom('world_books').select(['version', 'meta', 'entry_count']).where('id', '=', worldBookId).executeTakeFirst();
  if (!row) throw missingRow(event);
  if (row.version >= event.revision) return;
  const set: Record<string, unknown> = { version: event.revision, updated_at: at };
  switch (event.type) {
    case 'WorldBookUpdated': {
      const changes = d.changes as BookChanges;
      Object.assign(set, metaColumns(applyBookChanges(row.meta, changes)));
      if (changes.enabled !== undefined) set.enabled = changes.enabled;
      if (changes.isGlobal !== undefined) set.is_global = changes.isGlobal;
      break;
    }
    case 'WorldBookContentReplaced': {
      const entries = d.entries as EntryRecord[];
      Object.assign(set, metaColumns(d.book), { source: json(d.source), entry_count: entries.length });
      const keep = new Set(entries.map((r) => r.entryId));
      const existing = await db.selectFrom('world_book_entries').select('entry_id').where('world_book_id', '=', worldBookId).execute();
      await deleteEntries(db, worldBookId, existing.map((r) => r.entry_id).filter((id) => !keep.has(id)));
      await upsertEntries(db, worldBookId, entries, 0, at);
      break;
    }
    case 'WorldBookDeleted':
      set.deleted_at = at;
      break;
    case 'WorldBookRestored':
      set.deleted_at = null;
      break;
    case 'WorldBookEntryAdded': {
      const last = await db.selectFrom('world_book_entries').select((eb) => eb.fn.max('ord').as('ord')).where('world_book_id', '=', worldBookId).executeTakeFirst();
      const ord = last?.ord === null || last?.ord === undefined ? 0 : Number(last.ord) + 1;
      await upsertEntries(db, worldBookId, [{ entryId: d.entryId, entry: d.entry }], ord, at);
      set.entry_count = row.entry_count + 1;
      break;
    }
    case 'WorldBookEntryUpdated':
      await updateEntries(db, [{ entryId: d.entryId, entry: d.entry }], at);
      break;
    case 'WorldBookEntryDeleted':
      await deleteEntries(db, worldBookId, [d.entryId]);
      set.entry_count = row.entry_count - 1;
      break;
    case 'WorldBookEntriesBulkChanged':
      await updateEntries(db, d.updated, at);
      await deleteEntries(db, worldBookId, d.deletedEntryIds);
      set.entry_count = row.entry_count - (d.deletedEntryIds as string[]).length;
      break;
    default:
      return;
  }
  await db.updateTable('world_books').set(set as never).where('id', '=', worldBookId).where('version', '<', event.revision).execute();
}

const HANDLED = [
  'WorldBookCreated',
  'WorldBookUpdated',
  'WorldBookContentReplaced',
  'WorldBookDeleted',
  'WorldBookRestored',
  'WorldBookEntryAdded',
  'WorldBookEntryUpdated',
  'WorldBookEntryDeleted',
  'WorldBookEntriesBulkChanged',
];

/**
 * A book created in this batch, folded with the entry additions and edits that follow it (an import, a new book
 * being filled): its row and its entries' rows as applying those events one by one would leave them.
 */
function foldNewBook(events: RecordedEvent[]): { book: Record<string, unknown>; entries: Record<string, unknown>[]; used: number } {
  const created = events[0]!;
  const d = created.data as Record<string, any>;
  const worldBookId = d.worldBookId as string;
  const entries = new Map<string, Record<string, unknown>>();
  const records = d.entries as EntryRecord[];
  records.forEach((r, i) => entries.set(r.entryId, { entry_id: r.entryId, world_book_id: worldBookId, ord: i, uid: uidText(r.entry.uid), entry: json(r.entry), created_at: created.createdAt, updated_at: created.createdAt }));
  let used = 1;
  for (; used < events.length; used++) {
    const e = events[used]!;
    const x = e.data as Record<string, any>;
    if (e.type === 'WorldBookEntryAdded' && !entries.has(x.entryId)) {
      entries.set(x.entryId, { entry_id: x.entryId, world_book_id: worldBookId, ord: entries.size, uid: uidText(x.entry.uid), entry: json(x.entry), created_at: e.createdAt, updated_at: e.createdAt });
    } else if (e.type === 'WorldBookEntryUpdated' && entries.has(x.entryId)) {
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

export const worldBooksProjection: Projection = {
  name: 'world_books',
  handles: new Set(HANDLED),
  tables: ['world_books', 'world_book_entries'],
  // Applying finds books by id (entries by book through world_book_entries_book_ord, which stays).
  queryOnlyIndexes: ['world_books_owner_name', 'world_books_owner_global'],
  async forgetUser(db, userId) {
    const entries = await db.deleteFrom('world_book_entries').where('world_book_id', 'in', db.selectFrom('world_books').select('id').where('owner_id', '=', userId)).executeTakeFirst();
    const books = await db.deleteFrom('world_books').where('owner_id', '=', userId).executeTakeFirst();
    return { world_book_entries: Number(entries.numDeletedRows), world_books: Number(books.numDeletedRows) };
  },
  async apply(db, event) {
    await applyOne(db, event);
  },
  /** Books are independent: each book's events in order; new books and their entries in multi-row inserts. */
  async applyMany(db, batch) {
    const byBook = new Map<string, RecordedEvent[]>();
    for (const e of batch) {
      const list = byBook.get(e.data.worldBookId as string);
      if (list) list.push(e);
      else byBook.set(e.data.worldBookId as string, [e]);
    }
    const folded = new Map<string, ReturnType<typeof foldNewBook>>();
    for (const [id, list] of byBook) if (list[0]!.type === 'WorldBookCreated') folded.set(id, foldNewBook(list));
    const inserted = new Set<string>();
    const books = [...folded.values()].map((f) => f.book);
    for (let i = 0; i < books.length; i += 500) {
      const rows = await db.insertInto('world_books').values(books.slice(i, i + 500) as never).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute();
      for (const r of rows) inserted.add(r.id);
    }
    const entryRows = [...folded].filter(([id]) => inserted.has(id)).flatMap(([, f]) => f.entries);
    for (let i = 0; i < entryRows.length; i += 500) {
      await db
        .insertInto('world_book_entries')
        .values(entryRows.slice(i, i + 500) as never)
        .onConflict((oc) => oc.column('entry_id').doUpdateSet({ ord: sql.ref('excluded.ord'), uid: sql.ref('excluded.uid'), entry: sql.ref('excluded.entry'), updated_at: sql.ref('excluded.updated_at') } as never))
        .execute();
    }
    // The rest one by one, in order: a book that already had a row (a redelivery) wholly, the others after the fold.
    for (const [id, list] of byBook) {
      const from = inserted.has(id) ? folded.get(id)!.used : 0;
      for (const e of list.slice(from)) await applyOne(db, e);
    }
  },
};
