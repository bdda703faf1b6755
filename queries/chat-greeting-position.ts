import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/**
 * Which of a chat's greetings its conversation opens with: the position of the active first message among the
 * chat's first messages (the greeting and its alternates, in the order the chat was created with them, deleted
 * ones counted so the numbering never shifts). Null when the conversation does not open with a character's
 * message (an empty chat, or one whose first message is the user's).
 */
export async function activeGreetingPosition(db: Kysely<ReadModels>, schema: string, chatId: string): Promise<number | null> {
  const roots = await db
    .withSchema(schema)
    .selectFrom('chat_messages')
    .select(['sender', 'on_path'])
    .where('chat_id', '=', chatId)
    .where('parent_id', 'is', null)
    .orderBy('seq', 'asc')
    .execute();
  const active = roots.findIndex((r) => r.on_path);
  return active >= 0 && roots[active]!.sender === 'assistant' ? active : null;
}
