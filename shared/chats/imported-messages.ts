import type { ChatEvent, MessagePostedData, MessagesImportedData } from '../events/chat-events.ts';
import type { RecordedEvent } from '../events/recorded-event.ts';
import { runsBySize } from '../runs-by-size.ts';

/**
 * The most message JSON one `MessagesImported` event carries (bytes). With sealing (base64, about 4/3) and metadata
 * an event stays near a third of the event store's smallest append limit, as a world book's entry chunks do
 * (shared/world-books/entry-chunks.ts), so an import goes to the log in appends EventStoreDB accepts too.
 */
export const IMPORTED_CHUNK_BYTES = 128 * 1024;

type ImportedMessage = MessagesImportedData['messages'][number];

/** The messages of a created chat as `MessagesImported` events of at most `budget` bytes of JSON each, in order. */
export function importedMessageEvents(chatId: string, posts: readonly MessagePostedData[], budget = IMPORTED_CHUNK_BYTES): ChatEvent[] {
  const messages = posts.map(({ chatId: _chatId, ...message }): ImportedMessage => message);
  const chunks = runsBySize(messages, (message) => Buffer.byteLength(JSON.stringify(message)), budget);
  let first = 0;
  return chunks.map((messages) => {
    const event: ChatEvent = { type: 'MessagesImported', data: { chatId, first, total: posts.length, messages } };
    first += messages.length;
    return event;
  });
}

/** Each message of a `MessagesImported` event as the `MessagePosted` payload it stands for. */
export function postedOf(data: MessagesImportedData): MessagePostedData[] {
  return data.messages.map((message) => ({ ...message, chatId: data.chatId }));
}

/**
 * The read model's order of the `i`-th message of an import: negative, so imported messages come before every
 * message posted later (whose order is its event's revision, at least 1), in the order of the file.
 */
export const importedSeq = (data: Pick<MessagesImportedData, 'first' | 'total'>, i: number): number => data.first + i - data.total;

/**
 * A stored `MessagesImported` as the `MessagePosted` records it stands for (its envelope: revision, time, id), for
 * readers that take messages one by one (the memory index). They share the batch's revision.
 */
export function postedRecordsOf(event: RecordedEvent<'MessagesImported'>): Array<RecordedEvent<'MessagePosted'>> {
  const { data: _data, type: _type, ...envelope } = event;
  return postedOf(event.data).map((data) => ({ ...envelope, type: 'MessagePosted', data }));
}
