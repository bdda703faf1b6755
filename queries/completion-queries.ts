import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { StoredMessage } from '../shared/completions/completion-turn.ts';

/** What a completion reads about a chat: its active path, oldest first, with each message's metadata. */
export function createCompletionQueries(db: Kysely<ReadModels>, schema: string) {
  return {
    /** The shown messages of the active path (deleted ones left out), oldest first, at most `limit` (the newest). */
    /** The active path's last live assistant message: who said it (its speaker id and name), if there is one. */
    async lastReply(chatId: string): Promise<{ speakerId: string | null; name: string | null } | undefined> {
      const row = await db
        .withSchema(schema)
        .selectFrom('chat_messages')
        .select(['speaker_id', 'name'])
        .where('chat_id', '=', chatId)
        .where('on_path', '=', true)
        .where('deleted_at', 'is', null)
        .where('sender', '=', 'assistant')
        .orderBy('depth', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? { speakerId: row.speaker_id, name: row.name } : undefined;
    },

    async activePath(chatId: string, limit: number): Promise<StoredMessage[]> {
      const rows = await db
        .withSchema(schema)
        .selectFrom('chat_messages')
        .select(['id', 'sender', 'name', 'speaker_id', 'content', 'metadata', 'created_at', 'image_sha256', 'image_media_type'])
        .where('chat_id', '=', chatId)
        .where('on_path', '=', true)
        .where('deleted_at', 'is', null)
        .orderBy('depth', 'desc')
        .limit(limit)
        .execute();
      return rows.reverse().map((r) => ({
        id: r.id,
        sender: r.sender,
        name: r.name,
        speakerId: r.speaker_id,
        content: r.content,
        metadata: r.metadata,
        createdAt: r.created_at,
        image: r.image_sha256 && r.image_media_type ? { sha256: r.image_sha256, mediaType: r.image_media_type } : null,
      }));
    },
  };
}

export type CompletionQueries = ReturnType<typeof createCompletionQueries>;
