import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // [{ character_id, enabled, talkativeness }] in list order
    .addColumn('members', 'jsonb', (c) => c.notNull())
    .addColumn('activation_strategy', 'text', (c) => c.notNull())
    .addColumn('generation_mode', 'text', (c) => c.notNull())
    .addColumn('allow_self_responses', 'boolean', (c) => c.notNull())
    .addColumn('world_book_ids', 'jsonb', (c) => c.notNull())
    .addColumn('join_prefix', 'text', (c) => c.notNull())
    .addColumn('join_suffix', 'text', (c) => c.notNull())
    .addColumn('source', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('groups_owner_name').on('groups').columns(['owner_id', 'name', 'id']).execute();
}
