import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { defineProjection } from './projection.ts';
import { chatsToLookUp, foldUsage, USAGE_EVENTS, type UsageChat, type UsageEvent } from './usage-analytics-fold.ts';

export { NO_CHARACTER } from './usage-analytics-fold.ts';

/**
 * Usage per user, day and character (the counting rules: usage-analytics-fold.ts). Reads the owners of chats the
 * run does not create, folds the run in memory, then writes multi-row upserts.
 *
 * Redelivery: latency rows are keyed by event id; a counter row moves only with a batch that has an event newer
 * than the newest it counted (`last_position`). The runner applies a batch and its checkpoint in one transaction,
 * so a batch is either wholly applied or not at all, and never partly seen again.
 */
async function applyUsage(db: Kysely<ReadModels>, events: UsageEvent[]): Promise<void> {
  const known = new Map<string, UsageChat>();
  const unknown = chatsToLookUp(events);
  if (unknown.length > 0) {
    const rows = await db
      .selectFrom('usage_chats')
      .select(['chat_id', 'user_id', 'character_id'])
      .where('chat_id', '=', sql<string>`ANY(${unknown}::uuid[])`)
      .execute();
    for (const r of rows) known.set(r.chat_id, { user_id: r.user_id, character_id: r.character_id });
  }
  const { created, daily, latencies } = foldUsage(events, known);

  for (let i = 0; i < created.length; i += 2000) {
    await db
      .insertInto('usage_chats')
      .values(created.slice(i, i + 2000))
      .onConflict((oc) => oc.column('chat_id').doNothing())
      .execute();
  }
  const rows = [...daily.values()];
  for (let i = 0; i < rows.length; i += 2000) {
    await db
      .insertInto('usage_daily')
      .values(rows.slice(i, i + 2000))
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'day', 'character_id'])
          .doUpdateSet({
            messages_sent: sql`usage_daily.messages_sent + excluded.messages_sent`,
            completions: sql`usage_daily.completions + excluded.completions`,
            tokens_in: sql`usage_daily.tokens_in + excluded.tokens_in`,
            tokens_out: sql`usage_daily.tokens_out + excluded.tokens_out`,
            errors: sql`usage_daily.errors + excluded.errors`,
            cancellations: sql`usage_daily.cancellations + excluded.cancellations`,
            last_position: sql`excluded.last_position`,
          } as never)
          .where(sql.ref('usage_daily.last_position'), '<', sql.ref('excluded.last_position')),
      )
      .execute();
  }
  for (let i = 0; i < latencies.length; i += 2000) {
    await db
      .insertInto('usage_latencies')
      .values(latencies.slice(i, i + 2000))
      .onConflict((oc) => oc.column('event_id').doNothing())
      .execute();
  }
}

export const usageAnalyticsProjection = defineProjection({
  name: 'usage_analytics',
  handles: USAGE_EVENTS,
  tables: ['usage_chats', 'usage_daily', 'usage_latencies'],
  insertOnlyTables: ['usage_latencies'],
  apply: (db, event) => applyUsage(db, [event]),
  applyMany: applyUsage,
});
