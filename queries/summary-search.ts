import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

export interface SummaryHit {
  summary_id: string;
  score: number;
  source_message_ids: string[];
  /** The query's stems the summary contains. */
  matched_terms: string[];
  /** Says what matched and which messages the summary stands for. */
  why: string;
}

/**
 * Full-text search over a chat's summaries on the branch (`activeMessageIds`, as `summariesOnBranch`): the query's
 * stems (PostgreSQL's English configuration) OR-ed, ranked by cover density, best first; pinned summaries first
 * among equal scores. Summaries are few per chat, so no index: each is parsed at query time.
 */
export async function searchSummaries(
  db: Kysely<ReadModels>,
  schema: string,
  chatId: string,
  activeMessageIds: readonly string[],
  query: string,
  limit = 10,
): Promise<SummaryHit[]> {
  if (activeMessageIds.length === 0 || query.trim() === '') return [];
  const terms = sql`(SELECT coalesce(array_agg(t), '{}') FROM unnest(tsvector_to_array(to_tsvector('english', ${query}))) AS t)`;
  const tsquery = sql`(SELECT string_agg(quote_literal(t), ' | ')::tsquery FROM unnest(${terms}) AS t)`;
  const doc = sql`to_tsvector('english', s.text)`;
  const rows = await db
    .withSchema(schema)
    .selectFrom('chat_summaries as s')
    .select(['s.id', 's.source_message_ids', 's.pinned'])
    .select(sql<number>`ts_rank_cd(${doc}, ${tsquery})`.as('score'))
    .select(sql<string[]>`ARRAY(SELECT unnest(${terms}) INTERSECT SELECT unnest(tsvector_to_array(${doc})) ORDER BY 1)`.as('matched'))
    .where('s.chat_id', '=', chatId)
    .where('s.deleted_at', 'is', null)
    .where(sql<boolean>`s.source_message_ids <@ ${sql.val([...activeMessageIds])}::uuid[]`)
    .where(sql<boolean>`${doc} @@ ${tsquery}`)
    .orderBy('score', 'desc')
    .orderBy('s.pinned', 'desc')
    .orderBy('s.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    summary_id: r.id,
    score: Number(r.score),
    source_message_ids: r.source_message_ids,
    matched_terms: r.matched,
    why: `summary of ${r.source_message_ids.length} messages (${r.source_message_ids[0]} … ${r.source_message_ids.at(-1)}) matched ${r.matched.join(', ')}`,
  }));
}
