import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chat_dictionaries')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('tags', 'jsonb', (c) => c.notNull())
    .addColumn('included_dictionary_ids', 'jsonb', (c) => c.notNull())
    .addColumn('default_token_budget', 'integer')
    .addColumn('is_active', 'boolean', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('source', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('chat_dictionaries_owner_name').on('chat_dictionaries').columns(['owner_id', 'name', 'id']).execute();

  await db.schema
    .createTable('chat_dictionary_entries')
    .addColumn('entry_id', 'uuid', (c) => c.primaryKey())
    .addColumn('dictionary_id', 'uuid', (c) => c.notNull())
    // Insertion position (ties of `priority` keep it); gaps where entries were deleted.
    .addColumn('ord', 'integer', (c) => c.notNull())
    .addColumn('entry', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('chat_dictionary_entries_dictionary_ord')
    .on('chat_dictionary_entries')
    .columns(['dictionary_id', 'ord'])
    .execute();

  await db.schema
    .createTable('chat_dictionary_attachments')
    .addColumn('target_kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'uuid', (c) => c.notNull())
    .addColumn('dictionary_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('apply_to', 'text', (c) => c.notNull())
    // Revision of the attachment stream that last wrote the row (redelivery guard).
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('detached_at', 'timestamptz')
    .addPrimaryKeyConstraint('chat_dictionary_attachments_pk', ['target_kind', 'target_id', 'dictionary_id'])
    .execute();
  await db.schema
    .createIndex('chat_dictionary_attachments_dictionary')
    .on('chat_dictionary_attachments')
    .columns(['dictionary_id'])
    .execute();

  await db.schema
    .createTable('chat_dictionary_timed_state')
    .addColumn('chat_id', 'uuid', (c) => c.primaryKey())
    // Revision of the chat stream whose event wrote the row (redelivery guard).
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('chat_length', 'integer', (c) => c.notNull())
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
