import { sql, type Kysely } from 'kysely';

/** Long-term memory: chat summaries (current and every version), and the user default that turns them on. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chat_summaries')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('chat_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('source_message_ids', sql`uuid[]`, (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('pinned', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('chat_summaries_chat_idx').on('chat_summaries').columns(['chat_id', 'created_at']).execute();
  await db.schema
    .createTable('chat_summary_versions')
    .addColumn('summary_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('chat_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('pinned', 'boolean', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_summary_versions_pk', ['summary_id', 'version'])
    .execute();
  await db.schema.alterTable('user_defaults').addColumn('memory_summaries', 'boolean').execute();
}
