import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { MessageRow } from './chat-messages-queries.ts';

/** What an export reads of a message. */
export type TranscriptMessage = Pick<
  MessageRow,
  | 'id'
  | 'parent_id'
  | 'sibling_group'
  | 'on_path'
  | 'depth'
  | 'sender'
  | 'name'
  | 'speaker_id'
  | 'content'
  | 'image_sha256'
  | 'metadata'
  | 'created_at'
>;

/** One message of the conversation with its alternates (itself included, oldest first). */
export interface TranscriptEntry {
  message: TranscriptMessage;
  alternates: TranscriptMessage[];
  index: number;
}

type TranscriptRow = Omit<TranscriptMessage, 'created_at'> & { created_ms: string };

/** A chat's conversation (the active path) with every message's alternates, for exports. */
export function createChatTranscriptQueries(db: Kysely<ReadModels>, schema: string) {
  return {
    /**
     * Only the columns an export writes, and the creation time as epoch milliseconds: on a 10,000-message chat
     * the driver's parsing of every column and of three timestamps per row cost more than the query itself.
     */
    async transcript(chatId: string): Promise<TranscriptEntry[]> {
      const rows = (await db
        .withSchema(schema)
        .selectFrom('chat_messages as m')
        .select([
          'm.id',
          'm.parent_id',
          'm.sibling_group',
          'm.on_path',
          'm.depth',
          'm.sender',
          'm.name',
          'm.speaker_id',
          'm.content',
          'm.image_sha256',
          'm.metadata',
        ])
        .select(sql<string>`floor(extract(epoch from m.created_at) * 1000)::int8`.as('created_ms'))
        .where('m.chat_id', '=', chatId)
        .where('m.deleted_at', 'is', null)
        .orderBy('m.seq')
        .execute()) as TranscriptRow[];
      const messages = rows.map((r): TranscriptMessage => ({
        id: r.id,
        parent_id: r.parent_id,
        sibling_group: r.sibling_group,
        on_path: r.on_path,
        depth: r.depth,
        sender: r.sender,
        name: r.name,
        speaker_id: r.speaker_id,
        content: r.content,
        image_sha256: r.image_sha256,
        metadata: r.metadata,
        created_at: new Date(Number(r.created_ms)),
      }));
      const groups = new Map<string, TranscriptMessage[]>();
      for (const message of messages) {
        const group = groups.get(message.sibling_group);
        if (group) group.push(message);
        else groups.set(message.sibling_group, [message]);
      }
      return messages
        .filter((message) => message.on_path)
        .sort((a, b) => a.depth - b.depth)
        .map((message) => {
          const alternates = groups.get(message.sibling_group)!;
          return { message, alternates, index: alternates.indexOf(message) };
        });
    },
  };
}

export type ChatTranscriptQueries = ReturnType<typeof createChatTranscriptQueries>;
