import type { Kysely } from 'kysely';

/** Group chats: the chat's group, and who of its members said each assistant message. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chats').addColumn('group_id', 'uuid').execute();
  await db.schema.alterTable('chat_messages').addColumn('speaker_id', 'uuid').execute();
}
