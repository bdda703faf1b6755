import { sql, type Kysely } from 'kysely';

/**
 * The memory index (projections/memory-index-projection.ts): per chat its counts for BM25, per turn its length
 * and terms (to take an edited turn's old terms out), per term the turns holding it. And a user's memory defaults.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('memory_chats')
    .addColumn('chat_id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    // Revision of the chat's stream last applied: a redelivered event is skipped.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('turns', 'integer', (c) => c.notNull())
    .addColumn('total_length', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('memory_turns')
    .addColumn('message_id', 'uuid', (c) => c.primaryKey())
    .addColumn('chat_id', 'uuid', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('terms', sql`text[]`, (c) => c.notNull())
    // What an edit keeps: the speaker and the day it was sent are indexed with the new text.
    .addColumn('speaker', 'text')
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('memory_turns_chat').on('memory_turns').column('chat_id').execute();
  await db.schema
    .createTable('memory_postings')
    .addColumn('chat_id', 'uuid', (c) => c.notNull())
    .addColumn('term', 'text', (c) => c.notNull())
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('tf', 'smallint', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('memory_postings_pkey', ['chat_id', 'term', 'message_id'])
    .execute();
  await db.schema.alterTable('user_defaults').addColumn('memory', 'jsonb').execute();
}
