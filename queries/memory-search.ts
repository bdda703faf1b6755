import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import {
  analyseQuery,
  interleaveSecondHop,
  rankTurns,
  scoreTurns,
  type CorpusStats,
  type MemoryHit,
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

/**
 * Memory search over a chat's active branch: the postings of the query's terms (the index holds every branch) joined
 * with the chats read model's turns that are `on_path` and not deleted, BM25 per turn, then the best turns with
 * their path neighbours, ranked by shared/memory/memory-ranking.ts.
 */
export function createMemorySearch(db: Kysely<ReadModels>, schema: string) {
  const scoped = db.withSchema(schema);

  /** Postings of the query's terms held by turns on the active path (not deleted), and those turns. */
  async function lookup(
    chatId: string,
    query: QueryTerm[],
    documents: number,
  ): Promise<{ postings: Map<string, Posting[]>; turns: Map<string, PathTurn> }> {
    const counts = await scoped
      .selectFrom('memory_postings')
      .select(['term', sql<number>`count(*)::int`.as('n')])
      .where('chat_id', '=', chatId)
      .where('term', '=', sql<string>`ANY(${query.map((q) => q.term)}::text[])`)
      .groupBy('term')
      .execute();
    const postings = new Map<string, Posting[]>();
    const turns = new Map<string, PathTurn>();
    if (counts.length === 0) return { postings, turns };
    let terms = counts.filter((c) => c.n <= Math.max(50, COMMON_SHARE * documents)).map((c) => c.term);
    if (terms.length === 0) terms = [counts.reduce((a, b) => (a.n <= b.n ? a : b)).term];
    const rows = await scoped
      .selectFrom('memory_postings as p')
      .innerJoin('chat_messages as m', 'm.id', 'p.message_id')
      .select(['p.term', 'p.message_id', 'p.tf', 'p.length', 'm.depth', 'm.created_at'])
      .where('p.chat_id', '=', chatId)
      .where('p.term', '=', sql<string>`ANY(${terms}::text[])`)
      .where('m.on_path', '=', true)
      .where('m.deleted_at', 'is', null)
      .execute();
    for (const r of rows) {
      const p = { messageId: r.message_id, tf: r.tf, length: r.length };
      const list = postings.get(r.term);
      if (list) list.push(p);
      else postings.set(r.term, [p]);
      if (!turns.has(r.message_id)) turns.set(r.message_id, toTurn({ id: r.message_id, depth: r.depth, created_at: r.created_at }));
    }
    return { postings, turns };
  }

  const pathTurns = (chatId: string) =>
    scoped
      .selectFrom('chat_messages')
      .select(['id', 'depth', 'created_at'])
      .where('chat_id', '=', chatId)
      .where('on_path', '=', true)
      .where('deleted_at', 'is', null);

  const toTurn = (r: { id: string; depth: number; created_at: Date }): PathTurn => ({
    id: r.id,
    depth: r.depth,
    day: day(new Date(r.created_at)),
  });

  /** The turns of the active path ranked for `query`: the best own scores, with their path neighbours. */
  async function rank(chatId: string, query: QueryTerm[], corpus: CorpusStats, wanted: number): Promise<MemoryHit[]> {
    const found = await lookup(chatId, query, corpus.documents);
    const own = scoreTurns(query, found.postings, corpus);
    const candidates = [...own]
      .sort((a, b) => b[1].score - a[1].score)
      .slice(0, Math.max(wanted * 4, CANDIDATES))
      .map(([id]) => found.turns.get(id)!);
    if (candidates.length === 0) return [];
    const depths = [...new Set(candidates.flatMap((c) => [c.depth - 1, c.depth + 1]))];
    const neighbours = await pathTurns(chatId)
      .where('depth', '=', sql<number>`ANY(${depths}::int[])`)
      .execute();
    const byDepth = new Map<number, PathTurn>();
    for (const t of [...candidates, ...neighbours.map(toTurn)]) byDepth.set(t.depth, t);
    return rankTurns(query, own, candidates, byDepth, wanted);
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
      const stats = await scoped
        .selectFrom('memory_chats')
        .select(['turns', 'total_length'])
        .where('chat_id', '=', chatId)
        .executeTakeFirst();
      if (!stats || stats.turns === 0) return [];
      const corpus = { documents: stats.turns, averageLength: Number(stats.total_length) / stats.turns };
      const wanted = options.limit + (options.exclude?.size ?? 0);
      const query = analyseQuery(text);
      if (query.length === 0) return [];
      let hits = await rank(chatId, query, corpus, wanted);
      // The second hop: names the best turns hold that the query did not say, looked up again below its own terms.
      const names = await namesOf(
        chatId,
        hits.slice(0, EXPANSION_FROM).map((h) => h.message_id),
        query,
      );
      if (names.length > 0) hits = interleaveSecondHop(hits, await rank(chatId, analyseQuery(text, names), corpus, wanted), names, wanted);
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

export type MemorySearch = ReturnType<typeof createMemorySearch>;
