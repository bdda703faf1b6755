import { CompiledQuery, sql, type Kysely } from 'kysely';

/**
 * Memory search checks its best turns against the active path and brings their path neighbours by depth
 * (queries/memory-search.ts). This partial index holds exactly the active path's live turns, keyed by depth and
 * carrying the id and time, so the neighbours come from an index-only scan instead of one heap page per turn.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // The builder has no INCLUDE; compiling it first keeps the migrator's schema on the table name.
  const index = db.schema.createIndex('chat_messages_active_path').on('chat_messages').columns(['chat_id', 'depth']).compile();
  const predicate = sql<boolean>`on_path AND deleted_at IS NULL`.compile(db).sql;
  await db.executeQuery(CompiledQuery.raw(`${index.sql} include ("id", "created_at") where ${predicate}`));
}
