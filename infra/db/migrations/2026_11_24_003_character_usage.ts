import type { Kysely } from 'kysely';

/** Which character each chat talks to, so chat activity can move the character's `last_used_at`. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('character_chat_usage')
    .addColumn('chat_id', 'uuid', (c) => c.primaryKey())
    .addColumn('character_id', 'uuid', (c) => c.notNull())
    .execute();
}
