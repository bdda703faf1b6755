import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { EntryRecord } from '../shared/events/world-book-events.ts';
import { applyBookChanges } from '../shared/world-books/world-book-fold.ts';
import { defineProjection } from './projection.ts';
import { foldNewBook, json, metaColumns, uidText, WORLD_BOOK_EVENTS, type WorldBookProjectionEvent } from './world-books-fold.ts';

export { metaColumns } from './world-books-fold.ts';

/**
 * World books (one row each) and their entries (one row each, `ord` = position in the book). Every event first
 * checks the book row's `version` against its stream revision: an event already applied is skipped, an event for
 * a book without a row stops the projection.
 */

async function upsertEntries(
  db: Kysely<ReadModels>,
  worldBookId: string,
  records: readonly EntryRecord[],
  firstOrd: number,
  at: Date,
): Promise<void> {
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
        oc.column('entry_id').doUpdateSet({
          ord: sql.ref('excluded.ord'),
          uid: sql.ref('excluded.uid'),
          entry: sql.ref('excluded.entry'),
          updated_at: sql.ref('excluded.updated_at'),
        } as never),
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
    .where(
      'entry_id',
      'in',
      records.map((r) => r.entryId),
    )
    .execute();
}

async function deleteEntries(db: Kysely<ReadModels>, worldBookId: string, entryIds: readonly string[]): Promise<void> {
  if (entryIds.length === 0) return;
  await db
    .deleteFrom('world_book_entries')
    .where('world_book_id', '=', worldBookId)
    .where('entry_id', 'in', [...entryIds])
    .execute();
}

/** The position after the book's last entry. */
async function nextOrd(db: Kysely<ReadModels>, worldBookId: string): Promise<number> {
  const last = await db
    .selectFrom('world_book_entries')
    .select((eb) => eb.fn.max('ord').as('ord'))
    .where('world_book_id', '=', worldBookId)
    .executeTakeFirst();
  return last?.ord === null || last?.ord === undefined ? 0 : Number(last.ord) + 1;
}

const missingRow = (event: WorldBookProjectionEvent) =>
  new Error(`${event.type} for world book ${event.data.worldBookId}, which has no row`);

async function applyOne(db: Kysely<ReadModels>, event: WorldBookProjectionEvent): Promise<void> {
  const worldBookId = event.data.worldBookId;
  const at = event.createdAt;
  if (event.type === 'WorldBookCreated') {
    const d = event.data;
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
  const row = await db
    .selectFrom('world_books')
    .select(['version', 'meta', 'entry_count'])
    .where('id', '=', worldBookId)
    .executeTakeFirst();
  if (!row) throw missingRow(event);
  if (row.version >= event.revision) return;
  const set: Record<string, unknown> = { version: event.revision, updated_at: at };
  switch (event.type) {
    case 'WorldBookUpdated': {
      const changes = event.data.changes;
      Object.assign(set, metaColumns(applyBookChanges(row.meta, changes)));
      if (changes.enabled !== undefined) set.enabled = changes.enabled;
      if (changes.isGlobal !== undefined) set.is_global = changes.isGlobal;
      break;
    }
    case 'WorldBookContentReplaced': {
      const d = event.data;
      const entries = d.entries;
      Object.assign(set, metaColumns(d.book), { source: json(d.source), entry_count: entries.length });
      const keep = new Set(entries.map((r) => r.entryId));
      const existing = await db.selectFrom('world_book_entries').select('entry_id').where('world_book_id', '=', worldBookId).execute();
      await deleteEntries(
        db,
        worldBookId,
        existing.map((r) => r.entry_id).filter((id) => !keep.has(id)),
      );
      await upsertEntries(db, worldBookId, entries, 0, at);
      break;
    }
    case 'WorldBookDeleted':
      set.deleted_at = at;
      break;
    case 'WorldBookRestored':
      set.deleted_at = null;
      break;
    case 'WorldBookEntriesImported':
      await upsertEntries(db, worldBookId, event.data.entries, await nextOrd(db, worldBookId), at);
      set.entry_count = row.entry_count + event.data.entries.length;
      break;
    case 'WorldBookEntryAdded': {
      await upsertEntries(db, worldBookId, [{ entryId: event.data.entryId, entry: event.data.entry }], await nextOrd(db, worldBookId), at);
      set.entry_count = row.entry_count + 1;
      break;
    }
    case 'WorldBookEntryUpdated':
      await updateEntries(db, [{ entryId: event.data.entryId, entry: event.data.entry }], at);
      break;
    case 'WorldBookEntryDeleted':
      await deleteEntries(db, worldBookId, [event.data.entryId]);
      set.entry_count = row.entry_count - 1;
      break;
    case 'WorldBookEntriesBulkChanged':
      await updateEntries(db, event.data.updated, at);
      await deleteEntries(db, worldBookId, event.data.deletedEntryIds);
      set.entry_count = row.entry_count - event.data.deletedEntryIds.length;
      break;
    default:
      return;
  }
  await db
    .updateTable('world_books')
    .set(set as never)
    .where('id', '=', worldBookId)
    .where('version', '<', event.revision)
    .execute();
}

export const worldBooksProjection = defineProjection({
  name: 'world_books',
  handles: WORLD_BOOK_EVENTS,
  tables: ['world_books', 'world_book_entries'],
  // Applying finds books by id (entries by book through world_book_entries_book_ord, which stays).
  queryOnlyIndexes: ['world_books_owner_name', 'world_books_owner_global'],
  async forgetUser(db, userId) {
    const entries = await db
      .deleteFrom('world_book_entries')
      .where('world_book_id', 'in', db.selectFrom('world_books').select('id').where('owner_id', '=', userId))
      .executeTakeFirst();
    const books = await db.deleteFrom('world_books').where('owner_id', '=', userId).executeTakeFirst();
    return { world_book_entries: Number(entries.numDeletedRows), world_books: Number(books.numDeletedRows) };
  },
  async apply(db, event) {
    await applyOne(db, event);
  },
  /** Books are independent: each book's events in order; new books and their entries in multi-row inserts. */
  async applyMany(db, batch) {
    const byBook = new Map<string, WorldBookProjectionEvent[]>();
    for (const e of batch) {
      const list = byBook.get(e.data.worldBookId);
      if (list) list.push(e);
      else byBook.set(e.data.worldBookId, [e]);
    }
    const folded = new Map<string, ReturnType<typeof foldNewBook>>();
    for (const [id, list] of byBook) {
      const first = list[0]!;
      if (first.type === 'WorldBookCreated') folded.set(id, foldNewBook(first, list));
    }
    const inserted = new Set<string>();
    const books = [...folded.values()].map((f) => f.book);
    for (let i = 0; i < books.length; i += 500) {
      const rows = await db
        .insertInto('world_books')
        .values(books.slice(i, i + 500) as never)
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const r of rows) inserted.add(r.id);
    }
    const entryRows = [...folded].filter(([id]) => inserted.has(id)).flatMap(([, f]) => f.entries);
    for (let i = 0; i < entryRows.length; i += 500) {
      await db
        .insertInto('world_book_entries')
        .values(entryRows.slice(i, i + 500) as never)
        .onConflict((oc) =>
          oc.column('entry_id').doUpdateSet({
            ord: sql.ref('excluded.ord'),
            uid: sql.ref('excluded.uid'),
            entry: sql.ref('excluded.entry'),
            updated_at: sql.ref('excluded.updated_at'),
          } as never),
        )
        .execute();
    }
    // The rest one by one, in order: a book that already had a row (a redelivery) wholly, the others after the fold.
    for (const [id, list] of byBook) {
      const from = inserted.has(id) ? folded.get(id)!.used : 0;
      for (const e of list.slice(from)) await applyOne(db, e);
    }
  },
});
