import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('personas')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('world_book_id', 'uuid')
    .addColumn('is_default', 'boolean', (c) => c.notNull())
    .addColumn('locked_character_ids', 'jsonb', (c) => c.notNull())
    .addColumn('avatar', 'jsonb')
    .addColumn('source', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('personas_owner_name').on('personas').columns(['owner_id', 'name', 'id']).execute();
  // "Which persona is locked to this character": a containment lookup on the locks.
  await db.schema.createIndex('personas_locks').on('personas').using('gin').column('locked_character_ids').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('personas').ifExists().execute();
}
