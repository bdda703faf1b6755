/**
 * The read models' part of erasing one chat (`commands/chats/chat-erase.ts`): its row in `chats`, every row of a
 * read-model table with a `chat_id` column (messages, dictionary attachments, lorebook activations, usage) and
 * the audit rows of its erased events, in one transaction. Aggregates that counted the chat without naming it
 * (a character's `last_used_at`, `usage_daily` totals) keep its contribution until a rebuild of their projection. Tables are found by their column, as forgetting a user finds `owner_id`/`user_id`, so a
 * new chat-keyed read model is covered without a change here.
 */
import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { ChatReadModelErasure } from '../shared/users/data-erasure-ports.ts';
import { chatSummaryStream } from '../shared/memory/summary-fold.ts';
import { chatEmbeddingsStream } from '../shared/memory/embedding-streams.ts';

async function memoryStreams(db: Kysely<ReadModels>, schema: string, chatId: string): Promise<string[]> {
  const summaries = await db.withSchema(schema).selectFrom('chat_summaries').select('id').where('chat_id', '=', chatId).execute();
  return [...summaries.map((s) => chatSummaryStream(s.id)), chatEmbeddingsStream(chatId)];
}

export function chatReadModelErasure(db: Kysely<ReadModels>, schema: string): ChatReadModelErasure {
  return {
    memoryStreamsOf: (chatId) => memoryStreams(db, schema, chatId),
    purgeChat: (chatId) =>
      db.transaction().execute(async (trx) => {
        const memory = await memoryStreams(trx, schema, chatId);
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
        // The audit trail of the chat's erased events (a rebuild, reading them redacted, has none); the erasure's own stays.
        const audit = await sql`DELETE FROM ${sql.id(schema, 'audit_events')}
           WHERE stream_id = ${`chat-${chatId}`} AND event_type <> 'ChatErased'`.execute(trx);
        // And of its long-term memory's streams (summaries, vectors), whose payloads went with it.
        const memoryAudit = await sql`DELETE FROM ${sql.id(schema, 'audit_events')} WHERE stream_id = ANY(${memory}::text[])`.execute(trx);
        deleted.audit_events = Number(audit.numAffectedRows ?? 0) + Number(memoryAudit.numAffectedRows ?? 0);
        return deleted;
      }),
  };
}
