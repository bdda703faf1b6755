import type { Kysely } from 'kysely';

/** Long-term memory's optional embedding index: one vector per message and model. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('message_embeddings')
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('dimensions', 'integer', (c) => c.notNull())
    .addColumn('vector', 'bytea', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_embeddings_pk', ['message_id', 'model'])
    .execute();
  await db.schema.createIndex('message_embeddings_chat_idx').on('message_embeddings').columns(['chat_id', 'model']).execute();
}
