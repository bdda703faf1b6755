import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chats')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('character_id', 'uuid')
    .addColumn('character_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('rating', 'integer')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('in-progress'))
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('parent_chat_id', 'uuid')
    .addColumn('forked_from_message_id', 'uuid')
    .addColumn('root_chat_id', 'uuid', (c) => c.notNull())
    .addColumn('imported_from', 'text')
    .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('chats_owner_activity').on('chats').columns(['owner_id', 'last_activity_at desc', 'id desc']).execute();
  await db.schema
    .createIndex('chats_owner_character_activity')
    .on('chats')
    .columns(['owner_id', 'character_id', 'last_activity_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('chat_messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('chat_id', 'uuid', (c) => c.notNull())
    // Stream revision of the MessagePosted event: creation order within the chat.
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('parent_id', 'uuid')
    // parent_id, or the chat id for first messages: siblings (alternates) share it.
    .addColumn('sibling_group', 'uuid', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('on_path', 'boolean', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('image_sha256', 'text')
    .addColumn('image_media_type', 'text')
    .addColumn('image_size', 'integer')
    .addColumn('metadata', 'jsonb')
    .addColumn('alternate_of', 'uuid')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  // The index statements go through the builder so the migrator's schema applies to them too.
  await db.schema
    .createIndex('chat_messages_path')
    .on('chat_messages')
    .columns(['chat_id', 'depth'])
    .where(sql<boolean>`on_path`)
    .execute();
  // Deleted messages on the path are few; counting them this way keeps the path's total O(1) in its length.
  await db.schema
    .createIndex('chat_messages_path_deleted')
    .on('chat_messages')
    .columns(['chat_id', 'depth'])
    .where(sql<boolean>`on_path AND deleted_at IS NOT NULL`)
    .execute();
  await db.schema.createIndex('chat_messages_chat_seq').on('chat_messages').columns(['chat_id', 'seq']).execute();
  await db.schema.createIndex('chat_messages_siblings').on('chat_messages').columns(['sibling_group', 'seq']).execute();
  await db.schema
    .createIndex('chat_messages_fts')
    .on('chat_messages')
    .using('gin')
    .expression(sql`to_tsvector('english', content)`)
    .execute();
}
