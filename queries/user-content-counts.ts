import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

export interface UserContentCounts {
  characters: number;
  chats: number;
  messages: number;
}

/** How much a user keeps (not deleted): characters, chats and the messages of those chats. Index-backed counts. */
export async function userContentCounts(db: Kysely<ReadModels>, schema: string, userId: string): Promise<UserContentCounts> {
  const { rows } = await sql<{ characters: string; chats: string; messages: string }>`
    SELECT (SELECT count(*) FROM ${sql.id(schema, 'characters')} WHERE owner_id = ${userId} AND deleted_at IS NULL) AS characters,
           count(*) AS chats, coalesce(sum(message_count), 0) AS messages
      FROM ${sql.id(schema, 'chats')} WHERE owner_id = ${userId} AND deleted_at IS NULL`.execute(db);
  const row = rows[0]!;
  return { characters: Number(row.characters), chats: Number(row.chats), messages: Number(row.messages) };
}
