import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { notFound } from '../shared/errors.ts';
import { LruCache } from '../shared/tokenizer/index.ts';
import type { BookScanSettings, BookSource, WorldInfoBookInput, WorldInfoEntry } from '../shared/worldinfo/index.ts';
import { createWorldBookQueries, type WorldBookRow } from './world-books-queries.ts';
import { assertOwned, canRead } from '../shared/access/access-rules.ts';

/** A book ready for the lorebook engine, with the stable id of each entry (same order as `entries`). */
export interface GatheredBook extends WorldInfoBookInput {
  version: number;
  ownerId: string;
  entryIds: readonly string[];
  /** The book's own scan settings (null: not set), applied by `applyBookSettings`. */
  settings: BookScanSettings;
}

interface BookContents {
  version: number;
  entries: WorldInfoEntry[];
  entryIds: string[];
}

export interface GatherBooksInput {
  userId: string;
  /** An administrator may name other users' books in `extraBookIds`. */
  isAdmin?: boolean;
  /** The character's attached books (attachment and book enabled), highest attachment priority first. */
  characterId?: string;
  /** The chat's own books (its `world_book_ids` setting); missing, deleted, disabled or foreign ones are skipped. */
  chatBookIds?: readonly string[];
  /** The persona's book (persona lore); missing, deleted, disabled or foreign ones are skipped. */
  personaBookIds?: readonly string[];
  /** Books named explicitly (a request's `world_book_ids`): used even when disabled; missing → 404, foreign → 403. */
  extraBookIds?: readonly string[];
  /** The user's global books (default true). */
  includeGlobal?: boolean;
}

/**
 * SillyTavern's rule: a book that is global is not loaded again as chat, persona or character lore; a chat book not
 * as persona or character lore; a persona book not as character lore.
 */
const PRECEDENCE: Record<BookSource, number> = { global: 4, chat: 3, persona: 2, character: 1 };

/**
 * The world books of one generation, from the read models: the character's attached books, the chat's books, the
 * user's global books and explicitly named ones, each once, with `source` set and `version` = the book's stream
 * revision (so the engine's `WorldInfoIndexCache` builds each book's index once per version). Loaded entry lists
 * are cached by (book, version) as well, so an unchanged book costs one small query per call.
 */
export function createWorldBookSources(db: Kysely<ReadModels>, schema: string, options: { maxCachedBooks?: number } = {}) {
  const queries = createWorldBookQueries(db, schema);
  const cache = new LruCache<string, BookContents>(options.maxCachedBooks ?? 16);

  /** Entries and the version they belong to, from the cache when the row's version is cached. */
  async function withEntries(rows: readonly WorldBookRow[]): Promise<Map<string, BookContents>> {
    const out = new Map<string, BookContents>();
    const missing: string[] = [];
    for (const row of rows) {
      const hit = cache.get(`${row.id}\u0000${row.version}`);
      if (hit) out.set(row.id, hit);
      else missing.push(row.id);
    }
    for (const [id, loaded] of await queries.contentsOf(missing)) {
      const value: BookContents = {
        version: loaded.version,
        entries: loaded.entries.map((e) => e.entry as WorldInfoEntry),
        entryIds: loaded.entries.map((e) => e.entry_id),
      };
      cache.set(`${id}\u0000${loaded.version}`, value);
      out.set(id, value);
    }
    return out;
  }

  /** Books are read as the scope's owner, with the requester's administrator right. */
  const reader = (input: Pick<GatherBooksInput, 'userId' | 'isAdmin'>) => ({ userId: input.userId, isAdmin: input.isAdmin ?? false });

  /** The books a request names (`world_book_ids`): 404 for a missing or deleted one, 403 for another user's. */
  async function namedBooks(input: Pick<GatherBooksInput, 'userId' | 'isAdmin' | 'extraBookIds'>): Promise<Map<string, WorldBookRow>> {
    const rows = await queries.getMany([...new Set(input.extraBookIds ?? [])]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of new Set(input.extraBookIds ?? [])) {
      const row = byId.get(id);
      if (!row || row.deleted_at) throw notFound('world book', id);
      assertOwned(reader(input), row);
    }
    return byId;
  }

  return {
    checkNamedBooks: async (input: Pick<GatherBooksInput, 'userId' | 'isAdmin' | 'extraBookIds'>): Promise<void> => {
      await namedBooks(input);
    },
    async gatherBooks(input: GatherBooksInput): Promise<GatheredBook[]> {
      const usable = (row: WorldBookRow | undefined): row is WorldBookRow =>
        !!row && !row.deleted_at && row.enabled && canRead(reader(input), row);
      const chosen = new Map<string, { row: WorldBookRow; source: BookSource; rank: number }>();
      let rank = 0;
      const offer = (row: WorldBookRow, source: BookSource) => {
        const current = chosen.get(row.id);
        if (!current) chosen.set(row.id, { row, source, rank: rank++ });
        else if (PRECEDENCE[source] > PRECEDENCE[current.source]) chosen.set(row.id, { row, source, rank: current.rank });
      };

      const [attachments, chatRows, globalRows, extraById] = await Promise.all([
        input.characterId ? queries.attachments(input.characterId, { enabledOnly: true }) : Promise.resolve([]),
        queries.getMany([...new Set([...(input.chatBookIds ?? []), ...(input.personaBookIds ?? [])])]),
        input.includeGlobal === false ? Promise.resolve([]) : queries.globalBooks(input.userId),
        namedBooks(input),
      ]);

      for (const a of attachments) offer(a.book, 'character');
      const chatById = new Map(chatRows.map((r) => [r.id, r]));
      for (const id of input.chatBookIds ?? []) {
        const row = chatById.get(id);
        if (usable(row)) offer(row, 'chat');
      }
      for (const id of input.personaBookIds ?? []) {
        const row = chatById.get(id);
        if (usable(row)) offer(row, 'persona');
      }
      for (const row of globalRows) offer(row, 'global');
      for (const id of input.extraBookIds ?? []) {
        const row = extraById.get(id)!;
        if (!chosen.has(id)) offer(row, 'global');
      }

      const picked = [...chosen.values()].sort((a, b) => a.rank - b.rank);
      const contents = await withEntries(picked.map((p) => p.row));
      return picked.flatMap(({ row, source }) => {
        const loaded = contents.get(row.id);
        if (!loaded) return [];
        return [
          {
            id: row.id,
            name: row.name,
            source,
            version: loaded.version,
            ownerId: row.owner_id,
            entries: loaded.entries,
            entryIds: loaded.entryIds,
            settings: { scanDepth: row.scan_depth, tokenBudget: row.token_budget, recursive: row.recursive_scanning },
          },
        ];
      });
    },
  };
}

export type WorldBookSources = ReturnType<typeof createWorldBookSources>;
