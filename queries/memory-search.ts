import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import {
  analyseQuery,
  interleaveSecondHop,
  rankTurns,
  scoreTurns,
  type CorpusStats,
  type MemoryHit,
  type OwnScore,
  type PathTurn,
  type Posting,
  type QueryTerm,
} from '../shared/memory/memory-ranking.ts';

export interface MemorySearchOptions {
  limit: number;
  /** Turns never returned (a prompt's window: what the context already holds); they still lead to neighbours. */
  exclude?: ReadonlySet<string>;
}

/** A term held by more than this share of a chat's turns says little about any of them; it is left out of the lookup. */
const COMMON_SHARE = 0.25;
/** At least this many turns (by their own score) are ranked with their neighbours. */
const CANDIDATES = 400;
/** The second hop looks up the names of this many best turns, at most this many names. */
const EXPANSION_FROM = 3;
const EXPANSION_NAMES = 3;

const day = (at: Date) => at.toISOString().slice(0, 10);

/** A term's postings in one chat (every branch), or `common` when more turns hold it than the lookup takes. */
type TermPostings = Posting[] | 'common';

/** What one search learnt of the active path: each checked turn (null when not on it) and the path's turns by depth. */
interface PathCache {
  checked: Map<string, PathTurn | null>;
  byDepth: Map<number, PathTurn>;
}

/**
 * Memory search over a chat's active branch. The index holds every branch, so the steps are:
 * 1. the chat's counts and the postings of the query's terms in one statement (a term held by more than
 *    COMMON_SHARE of the turns is skipped; its count stops there), read from the postings' covering primary key,
 *    without touching the turns;
 * 2. BM25 per turn (shared/memory/memory-ranking.ts), best first;
 * 3. the best turns are checked against the chats read model (`on_path`, not deleted) in one statement that also
 *    brings their path neighbours (index-only from chat_messages_active_path), until CANDIDATES turns of the
 *    active path are found or none is left;
 * 4. the ranking with neighbours and sessions, then a second hop with the names of the best turns, which reads
 *    only the postings of those names and checks only turns the first hop did not (its postings and path are kept).
 * Only a turn on the active path is ever returned; document frequencies count the turns of every branch, as the
 * chat's turn count does.
 */
export function createMemorySearch(db: Kysely<ReadModels>, schema: string) {
  const scoped = db.withSchema(schema);

  /**
   * The chat's counts and the postings of `terms` not in `known` yet, into `known`, in one statement: those held by
   * at most the common-term cap (COMMON_SHARE of the chat's turns, at least 50), the others `common`. Null when the
   * chat has no index row.
   */
  async function readPostings(chatId: string, terms: readonly string[], known: Map<string, TermPostings>) {
    const missing = terms.filter((t) => !known.has(t));
    const postings = sql.table(`${schema}.memory_postings`);
    // Counting a common term stops at cap + 1 postings; a kept term's postings are then read from the same index.
    const rows = await sql<{
      turns: number;
      total_length: string;
      term: string | null;
      message_id: string | null;
      tf: number;
      length: number;
    }>`
      WITH stats AS MATERIALIZED (
        SELECT turns, total_length, greatest(50, floor(${COMMON_SHARE}::float8 * turns))::int AS cap
        FROM ${sql.table(`${schema}.memory_chats`)} WHERE chat_id = ${chatId}
      ), counted AS MATERIALIZED (
        SELECT t.term, (
          SELECT count(*) FROM (
            SELECT 1 FROM ${postings} c
            WHERE c.chat_id = ${chatId} AND c.term = t.term LIMIT (SELECT cap + 1 FROM stats)
          ) held
        ) AS n
        FROM unnest(${missing}::text[]) AS t(term)
      )
      SELECT stats.turns, stats.total_length, counted.term, p.message_id, p.tf, p.length
      FROM stats
      LEFT JOIN counted ON counted.n > 0
      LEFT JOIN ${postings} p ON counted.n <= stats.cap AND p.chat_id = ${chatId} AND p.term = counted.term`.execute(scoped);
    const first = rows.rows[0];
    if (!first) return null;
    for (const t of missing) known.set(t, []);
    for (const r of rows.rows) {
      if (r.term === null) continue;
      const list = known.get(r.term) as Posting[];
      if (r.message_id === null) known.set(r.term, 'common');
      else list.push({ messageId: r.message_id, tf: r.tf, length: r.length });
    }
    return { turns: first.turns, totalLength: Number(first.total_length) };
  }

  /** The query's postings; when every term it holds is common, the least common one alone (as a plain query would). */
  async function lookup(chatId: string, query: QueryTerm[], known: Map<string, TermPostings>) {
    const terms = query.map((q) => q.term);
    if (terms.some((t) => !known.has(t))) await readPostings(chatId, terms, known);
    const postings = new Map<string, Posting[]>();
    const common: string[] = [];
    for (const q of query) {
      const held = known.get(q.term)!;
      if (held === 'common') common.push(q.term);
      else if (held.length > 0) postings.set(q.term, held);
    }
    if (postings.size === 0 && common.length > 0) {
      const least = await scoped
        .selectFrom('memory_postings')
        .select(['term', sql<number>`count(*)::int`.as('n')])
        .where('chat_id', '=', chatId)
        .where('term', '=', sql<string>`ANY(${common}::text[])`)
        .groupBy('term')
        .orderBy('n')
        .orderBy('term')
        .limit(1)
        .executeTakeFirstOrThrow();
      const rows = await scoped
        .selectFrom('memory_postings')
        .select(['message_id', 'tf', 'length'])
        .where('chat_id', '=', chatId)
        .where('term', '=', least.term)
        .execute();
      postings.set(
        least.term,
        rows.map((r) => ({ messageId: r.message_id, tf: r.tf, length: r.length })),
      );
    }
    return postings;
  }

  const toTurn = (r: { id: string; depth: number; created_at: Date }): PathTurn => ({
    id: r.id,
    depth: r.depth,
    day: day(new Date(r.created_at)),
  });

  /**
   * Of `ids`, those on the active path and not deleted (in the order given), and the turns of the path next to
   * them, by depth. Turns `path` has checked already (the first hop's, when the second ranks) are not read again:
   * the neighbours of every turn found are kept in it.
   */
  async function onPath(chatId: string, ids: readonly string[], path: PathCache) {
    const unchecked = ids.filter((id) => !path.checked.has(id));
    if (unchecked.length > 0) {
      const messages = sql.table(`${schema}.chat_messages`);
      // Both halves match chat_messages_active_path's predicate: the neighbours come from it index-only.
      const rows = await sql<{ id: string; depth: number; created_at: Date; found: boolean }>`
        WITH found AS (
          SELECT id, depth, created_at FROM ${messages}
          WHERE id = ANY(${unchecked}::uuid[]) AND chat_id = ${chatId} AND on_path AND deleted_at IS NULL
        )
        SELECT id, depth, created_at, true AS found FROM found
        UNION ALL
        SELECT m.id, m.depth, m.created_at, false FROM ${messages} m
        WHERE m.chat_id = ${chatId} AND m.on_path AND m.deleted_at IS NULL
          AND m.depth = ANY(ARRAY(SELECT depth - 1 FROM found UNION SELECT depth + 1 FROM found))`.execute(scoped);
      for (const id of unchecked) path.checked.set(id, null);
      for (const r of rows.rows) {
        if (r.found) path.checked.set(r.id, toTurn(r));
        else path.byDepth.set(r.depth, toTurn(r));
      }
    }
    return ids.flatMap((id) => path.checked.get(id) ?? []);
  }

  /** The turns of the active path ranked for `query`: the best own scores, with their path neighbours. */
  async function rank(
    chatId: string,
    query: QueryTerm[],
    corpus: CorpusStats,
    wanted: number,
    known: Map<string, TermPostings>,
    path: PathCache,
  ): Promise<MemoryHit[]> {
    const own = scoreTurns(query, await lookup(chatId, query, known), corpus);
    const ranked = [...own].sort(byScore).map(([id]) => id);
    const size = Math.max(wanted * 4, CANDIDATES);
    const candidates: PathTurn[] = [];
    const byDepth = new Map<number, PathTurn>();
    // Turns of other branches (and deleted ones) are scored too; the best are checked until enough are on the path.
    for (let next = 0; candidates.length < size && next < ranked.length;) {
      const missing = size - candidates.length;
      const batch = ranked.slice(next, next + (next === 0 ? missing : 2 * missing));
      next += batch.length;
      const kept = (await onPath(chatId, batch, path)).slice(0, missing);
      candidates.push(...kept);
      // Only the kept turns' neighbours: a turn two steps from every candidate must not lead a neighbour.
      for (const depth of kept.flatMap((t) => [t.depth - 1, t.depth + 1])) {
        const near = path.byDepth.get(depth);
        if (near) byDepth.set(depth, near);
      }
    }
    if (candidates.length === 0) return [];
    for (const t of candidates) byDepth.set(t.depth, t);
    return rankTurns(query, ownOf(own, candidates, byDepth), candidates, byDepth, wanted);
  }

  /** Names (`n:` terms) the given turns hold and the query does not, at most EXPANSION_NAMES. */
  async function namesOf(chatId: string, ids: string[], query: QueryTerm[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await scoped
      .selectFrom('memory_turns')
      .select(['message_id', 'terms'])
      .where('chat_id', '=', chatId)
      .where('message_id', '=', sql<string>`ANY(${ids}::uuid[])`)
      .execute();
    const asked = new Set(query.map((q) => q.term));
    const order = new Map(ids.map((id, i) => [id, i]));
    const names = rows
      .sort((a, b) => order.get(a.message_id)! - order.get(b.message_id)!)
      .flatMap((r) => r.terms.filter((t) => t.startsWith('n:') && !asked.has(t)));
    return [...new Set(names)].slice(0, EXPANSION_NAMES);
  }

  return {
    async search(chatId: string, text: string, options: MemorySearchOptions): Promise<MemoryHit[]> {
      const query = analyseQuery(text);
      if (query.length === 0) return [];
      const known = new Map<string, TermPostings>();
      // The chat's counts come with the query's postings (one round trip); the second hop reads only its names'.
      const stats = await readPostings(
        chatId,
        query.map((q) => q.term),
        known,
      );
      if (!stats || stats.turns === 0) return [];
      const corpus = { documents: stats.turns, averageLength: stats.totalLength / stats.turns };
      const wanted = options.limit + (options.exclude?.size ?? 0);
      const path: PathCache = { checked: new Map(), byDepth: new Map() };
      let hits = await rank(chatId, query, corpus, wanted, known, path);
      // The second hop: names the best turns hold that the query did not say, looked up again below its own terms.
      const names = await namesOf(
        chatId,
        hits.slice(0, EXPANSION_FROM).map((h) => h.message_id),
        query,
      );
      if (names.length > 0)
        hits = interleaveSecondHop(hits, await rank(chatId, analyseQuery(text, names), corpus, wanted, known, path), names, wanted);
      const exclude = options.exclude;
      return (exclude ? hits.filter((h) => !exclude.has(h.message_id)) : hits).slice(0, options.limit);
    },

    /** The text of recalled turns, in the chat's order. */
    turns(chatId: string, ids: readonly string[]) {
      if (ids.length === 0) return Promise.resolve([]);
      return scoped
        .selectFrom('chat_messages')
        .select(['id', 'depth', 'sender', 'name', 'content'])
        .where('chat_id', '=', chatId)
        .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
        .orderBy('depth')
        .execute();
    },
  };
}

const byScore = (a: [string, OwnScore], b: [string, OwnScore]) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1);

/** The own scores of the turns the ranking sees (the path's), so a turn of another branch never leads anywhere. */
function ownOf(own: ReadonlyMap<string, OwnScore>, candidates: readonly PathTurn[], byDepth: ReadonlyMap<number, PathTurn>) {
  const seen = new Map<string, OwnScore>();
  for (const t of [...candidates, ...byDepth.values()]) {
    const score = own.get(t.id);
    if (score) seen.set(t.id, score);
  }
  return seen;
}

export type MemorySearch = ReturnType<typeof createMemorySearch>;
