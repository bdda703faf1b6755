import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('world_books')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // Card-book fields, kept as imported (any number); the engine does not apply them.
    .addColumn('scan_depth', 'double precision')
    .addColumn('token_budget', 'double precision')
    .addColumn('recursive_scanning', 'boolean')
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('is_global', 'boolean', (c) => c.notNull())
    // Every book-level field of the lorebook model (extensions, extra, absentFields, ...): what export needs.
    .addColumn('meta', 'jsonb', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('source', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('world_books_owner_name').on('world_books').columns(['owner_id', 'name', 'id']).execute();
  await db.schema
    .createIndex('world_books_owner_global')
    .on('world_books')
    .columns(['owner_id'])
    .where(sql<boolean>`is_global AND enabled AND deleted_at IS NULL`)
    .execute();

  await db.schema
    .createTable('world_book_entries')
    .addColumn('entry_id', 'uuid', (c) => c.primaryKey())
    .addColumn('world_book_id', 'uuid', (c) => c.notNull())
    // Position in the book (gaps where entries were deleted).
    .addColumn('ord', 'integer', (c) => c.notNull())
    .addColumn('uid', 'text')
    // The entry as the lorebook model's JSON.
    .addColumn('entry', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('world_book_entries_book_ord').on('world_book_entries').columns(['world_book_id', 'ord']).execute();

  await db.schema
    .createTable('character_world_books')
    .addColumn('character_id', 'uuid', (c) => c.notNull())
    .addColumn('world_book_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    // Revision of the character's attachment stream that last wrote the row (redelivery guard).
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('detached_at', 'timestamptz')
    .addPrimaryKeyConstraint('character_world_books_pk', ['character_id', 'world_book_id'])
    .execute();
  await db.schema.createIndex('character_world_books_book').on('character_world_books').columns(['world_book_id']).execute();

  await db.schema
    .createTable('world_book_activation_streams')
    .addColumn('stream_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('world_book_entry_activations')
    .addColumn('world_book_id', 'uuid', (c) => c.notNull())
    .addColumn('entry_id', 'uuid', (c) => c.notNull())
    .addColumn('activation_count', 'integer', (c) => c.notNull())
    .addColumn('last_activated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('world_book_entry_activations_pk', ['world_book_id', 'entry_id'])
    .execute();
}
