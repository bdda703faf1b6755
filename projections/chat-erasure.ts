/**
 * The read models' part of erasing one chat (`commands/chats/chat-erase.ts`): its row in `chats` and every row
 * of a read-model table with a `chat_id` column (messages, dictionary attachments, lorebook activations, usage),
 * in one transaction. Tables are found by their column, as forgetting a user finds `owner_id`/`user_id`, so a
 * new chat-keyed read model is covered without a change here.
 */
import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { ChatReadModelErasure } from '../shared/users/data-erasure-ports.ts';

export function chatReadModelErasure(db: Kysely<ReadModels>, schema: string): ChatReadModelErasure {
  return {
    purgeChat: (chatId) =>
      db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ table_name: string }>`
          SELECT table_name FROM information_schema.columns
           WHERE table_schema = ${schema} AND column_name = 'chat_id' ORDER BY table_name`.execute(trx);
        const deleted: Record<string, number> = {};
        for (const { table_name: table } of rows) {
          const result = await sql`DELETE FROM ${sql.id(schema, table)} WHERE chat_id = ${chatId}`.execute(trx);
          deleted[table] = Number(result.numAffectedRows ?? 0);
        }
        const chat = await sql`DELETE FROM ${sql.id(schema, 'chats')} WHERE id = ${chatId}`.execute(trx);
        deleted.chats = Number(chat.numAffectedRows ?? 0);
        return deleted;
      }),
  };
}
