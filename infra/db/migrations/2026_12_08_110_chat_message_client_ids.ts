import { sql, type Kysely } from 'kysely';

/**
 * The message ids a client chose (tldw_server's local-chat import keeps a non-UUID id as
 * `metadata.client_message_id`): an import asks whether any of its ids is already a message on the server.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('chat_messages_client_message_id')
    .on('chat_messages')
    .expression(sql`(metadata->>'client_message_id')`)
    .where(sql<boolean>`metadata ? 'client_message_id'`)
    .execute();
}
