import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/** The ids of a chat's conversation (its active path), oldest first, deleted messages left out. */
export async function activePathMessageIds(db: Kysely<ReadModels>, schema: string, chatId: string): Promise<string[]> {
  const rows = await db
    .withSchema(schema)
    .selectFrom('chat_messages')
    .select('id')
    .where('chat_id', '=', chatId)
    .where('on_path', '=', true)
    .where('deleted_at', 'is', null)
    .orderBy('depth')
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.id);
}

export interface TranscriptLine {
  id: string;
  sender: string;
  name: string | null;
  content: string;
}

/** Messages of a chat by id, in the order of `ids`; missing or deleted ones are left out. */
export async function messagesByIds(
  db: Kysely<ReadModels>,
  schema: string,
  chatId: string,
  ids: readonly string[],
): Promise<TranscriptLine[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .withSchema(schema)
    .selectFrom('chat_messages')
    .select(['id', 'sender', 'name', 'content'])
    .where('chat_id', '=', chatId)
    .where('id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}
