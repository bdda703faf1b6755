import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { createChatMessageQueries, type MessageRow } from './chat-messages-queries.ts';

/** One message of the conversation with its alternates (itself included, oldest first). */
export interface TranscriptEntry {
  message: MessageRow;
  alternates: MessageRow[];
  index: number;
}

/** A chat's conversation (the active path) with every message's alternates, for exports. */
export function createChatTranscriptQueries(db: Kysely<ReadModels>, schema: string) {
  const messages = createChatMessageQueries(db, schema);
  return {
    async transcript(chatId: string): Promise<TranscriptEntry[]> {
      const rows = await messages.all(chatId);
      const groups = new Map<string, MessageRow[]>();
      for (const row of rows) {
        const group = groups.get(row.sibling_group);
        if (group) group.push(row);
        else groups.set(row.sibling_group, [row]);
      }
      return rows
        .filter((row) => row.on_path)
        .sort((a, b) => a.depth - b.depth)
        .map((message) => {
          const alternates = groups.get(message.sibling_group)!;
          return { message, alternates, index: alternates.indexOf(message) };
        });
    },
  };
}
