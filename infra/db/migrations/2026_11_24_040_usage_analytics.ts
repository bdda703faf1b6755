import type { Kysely } from 'kysely';

/**
 * Usage analytics (projection `usage_analytics`): counters per user, day (UTC) and character, and one row per
 * completion latency so that percentiles over any range of days are exact (computed at query time).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Which user and character each chat belongs to (messages carry only the chat id).
  await db.schema
    .createTable('usage_chats')
    .addColumn('chat_id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('character_id', 'uuid')
    .execute();

  await db.schema
    .createTable('usage_daily')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    // The nil UUID for usage without a character (plain proxy completions, chats without one).
    .addColumn('character_id', 'uuid', (c) => c.notNull())
    .addColumn('messages_sent', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('completions', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_in', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_out', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('cancellations', 'bigint', (c) => c.notNull().defaultTo(0))
    // Log position of the newest event counted in this row: a redelivered batch does not count twice.
    .addColumn('last_position', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_daily_pkey', ['user_id', 'day', 'character_id'])
    .execute();

  await db.schema
    .createTable('usage_latencies')
    .addColumn('event_id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('character_id', 'uuid', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('usage_latencies_user_day').on('usage_latencies').columns(['user_id', 'day', 'character_id']).execute();
}
