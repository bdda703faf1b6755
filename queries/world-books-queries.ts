import type { Kysely, Selectable } from 'kysely';
import type { CharacterWorldBooksTable, ReadModels, WorldBookEntriesTable, WorldBooksTable } from '../infra/db/read-model-types.ts';
import { entryToApi } from '../shared/world-books/entry-api-fields.ts';
import type { WorldBook } from '../shared/worldinfo/index.ts';

export type WorldBookRow = Selectable<WorldBooksTable>;
export type WorldBookEntryRow = Selectable<WorldBookEntriesTable>;
export type AttachmentRow = Selectable<CharacterWorldBooksTable> & { book: WorldBookRow };

export interface WorldBookView {
  id: string;
  version: number;
  owner_id: string;
  name: string;
  description: string;
  scan_depth: number | null;
  token_budget: number | null;
  recursive_scanning: boolean | null;
  enabled: boolean;
  is_global: boolean;
  extensions: Record<string, unknown>;
  entry_count: number;
  source: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export function toWorldBookView(row: WorldBookRow): WorldBookView {
  const meta = row.meta;
  return {
    id: row.id,
    version: row.version,
    owner_id: row.owner_id,
    name: row.name,
    description: row.description,
    scan_depth: row.scan_depth,
    token_budget: row.token_budget,
    recursive_scanning: row.recursive_scanning,
    enabled: row.enabled,
    is_global: row.is_global,
    extensions: meta.extensions ?? {},
    entry_count: row.entry_count,
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export function toEntryView(row: WorldBookEntryRow): Record<string, unknown> {
  return {
    entry_id: row.entry_id,
    /** tldw_server's clients read an entry's id as `id`. */
    id: row.entry_id,
    world_book_id: row.world_book_id,
    ...entryToApi(row.entry),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The book as the lorebook library sees it (for export): book-level fields as stored, entries in book order. */
export function toLibraryBook(row: WorldBookRow, entries: readonly WorldBookEntryRow[]): WorldBook {
  return { ...row.meta, entries: entries.map((e) => e.entry) };
}

export function toAttachmentView(row: AttachmentRow): Record<string, unknown> {
  return {
    ...toWorldBookView(row.book),
    world_book_id: row.world_book_id,
    character_id: row.character_id,
    attachment_enabled: row.enabled,
    attachment_priority: row.priority,
    attached_at: row.created_at.toISOString(),
  };
}

export interface WorldBookListOptions {
  limit: number;
  offset: number;
  includeDisabled: boolean;
  includeDeleted: boolean;
  globalOnly?: boolean;
}

export function createWorldBookQueries(db: Kysely<ReadModels>, schema: string) {
  const books = () => db.withSchema(schema).selectFrom('world_books');
  const entries = () => db.withSchema(schema).selectFrom('world_book_entries');
  return {
    async get(id: string): Promise<WorldBookRow | undefined> {
      return books().selectAll().where('id', '=', id).executeTakeFirst();
    },

    async getMany(ids: readonly string[]): Promise<WorldBookRow[]> {
      if (ids.length === 0) return [];
      return books()
        .selectAll()
        .where('id', 'in', [...ids])
        .execute();
    },

    /** The owner's books by name, with counts of enabled and disabled (live) books. */
    async list(
      ownerId: string,
      o: WorldBookListOptions,
    ): Promise<{ items: WorldBookRow[]; total: number; enabledCount: number; disabledCount: number }> {
      let base = books().where('owner_id', '=', ownerId);
      if (!o.includeDeleted) base = base.where('deleted_at', 'is', null);
      if (o.globalOnly) base = base.where('is_global', '=', true);
      const filtered = o.includeDisabled ? base : base.where('enabled', '=', true);
      const [items, count, byEnabled] = await Promise.all([
        filtered.selectAll().orderBy('name').orderBy('id').limit(o.limit).offset(o.offset).execute(),
        filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        base
          .select(['enabled', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('enabled')
          .execute(),
      ]);
      const countOf = (enabled: boolean) => Number(byEnabled.find((r) => r.enabled === enabled)?.n ?? 0);
      return { items, total: Number(count.n), enabledCount: countOf(true), disabledCount: countOf(false) };
    },

    /** The owner's live (not deleted) book of exactly this name, if any. */
    async liveBookNamed(ownerId: string, name: string): Promise<WorldBookRow | undefined> {
      return books()
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
    },

    /** The owner's global books that are enabled and not deleted, by name. */
    async globalBooks(ownerId: string): Promise<WorldBookRow[]> {
      return books()
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('is_global', '=', true)
        .where('enabled', '=', true)
        .where('deleted_at', 'is', null)
        .orderBy('name')
        .orderBy('id')
        .execute();
    },

    /** A book's entries in book order. */
    async entries(worldBookId: string, options: { limit?: number; offset?: number } = {}): Promise<WorldBookEntryRow[]> {
      let q = entries().selectAll().where('world_book_id', '=', worldBookId).orderBy('ord');
      if (options.limit !== undefined) q = q.limit(options.limit).offset(options.offset ?? 0);
      return q.execute();
    },

    /**
     * Books' entries with the book version they belong to, read in one statement (one snapshot), so a version and
     * its entries always match. Books that do not exist are absent.
     */
    async contentsOf(
      worldBookIds: readonly string[],
    ): Promise<Map<string, { version: number; entries: Array<{ entry_id: string; entry: unknown }> }>> {
      const out = new Map<string, { version: number; entries: Array<{ entry_id: string; entry: unknown }> }>();
      if (worldBookIds.length === 0) return out;
      const rows = await db
        .withSchema(schema)
        .selectFrom('world_books as b')
        .leftJoin('world_book_entries as e', 'e.world_book_id', 'b.id')
        .select(['b.id', 'b.version', 'e.entry_id', 'e.entry'])
        .where('b.id', 'in', [...worldBookIds])
        .orderBy('b.id')
        .orderBy('e.ord')
        .execute();
      for (const row of rows) {
        let book = out.get(row.id);
        if (!book) out.set(row.id, (book = { version: row.version, entries: [] }));
        if (row.entry_id !== null) book.entries.push({ entry_id: row.entry_id, entry: row.entry });
      }
      return out;
    },

    async entry(worldBookId: string, entryId: string): Promise<WorldBookEntryRow | undefined> {
      return entries().selectAll().where('entry_id', '=', entryId).where('world_book_id', '=', worldBookId).executeTakeFirst();
    },

    /** Which book each entry belongs to (entries that do not exist are absent from the map). */
    async booksOfEntries(entryIds: readonly string[]): Promise<Map<string, string>> {
      if (entryIds.length === 0) return new Map();
      const rows = await entries()
        .select(['entry_id', 'world_book_id'])
        .where('entry_id', 'in', [...entryIds])
        .execute();
      return new Map(rows.map((r) => [r.entry_id, r.world_book_id]));
    },

    /** A character's attachments (not detached) with their live books, by attachment priority (highest first), then name. */
    async attachments(characterId: string, options: { enabledOnly: boolean }): Promise<AttachmentRow[]> {
      let q = db
        .withSchema(schema)
        .selectFrom('character_world_books')
        .selectAll()
        .where('character_id', '=', characterId)
        .where('detached_at', 'is', null);
      if (options.enabledOnly) q = q.where('enabled', '=', true);
      const rows = await q.execute();
      if (rows.length === 0) return [];
      let live = books()
        .selectAll()
        .where(
          'id',
          'in',
          rows.map((r) => r.world_book_id),
        )
        .where('deleted_at', 'is', null);
      if (options.enabledOnly) live = live.where('enabled', '=', true);
      const byId = new Map((await live.execute()).map((b) => [b.id, b]));
      return rows
        .filter((r) => byId.has(r.world_book_id))
        .map((r) => ({ ...r, book: byId.get(r.world_book_id)! }))
        .sort(
          (a, b) => b.priority - a.priority || a.book.name.localeCompare(b.book.name) || a.world_book_id.localeCompare(b.world_book_id),
        );
    },

    /** Activation counts of a book's entries (entries never activated are absent). */
    async activationCounts(worldBookId: string): Promise<Map<string, { count: number; lastActivatedAt: Date }>> {
      const rows = await db
        .withSchema(schema)
        .selectFrom('world_book_entry_activations')
        .selectAll()
        .where('world_book_id', '=', worldBookId)
        .execute();
      return new Map(rows.map((r) => [r.entry_id, { count: r.activation_count, lastActivatedAt: r.last_activated_at }]));
    },
  };
}

export type WorldBookQueries = ReturnType<typeof createWorldBookQueries>;
