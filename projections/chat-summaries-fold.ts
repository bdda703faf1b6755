import type { Insertable, Updateable } from 'kysely';
import type { ChatSummariesTable } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { typesOf, type EventFolds } from './projection.ts';

/** The chat-summaries read model's rules as pure functions: a new summary's row and what each later event changes. */
export function writtenSummaryRow(event: RecordedEvent<'ChatSummaryWritten'>): Insertable<ChatSummariesTable> {
  const d = event.data;
  return {
    id: d.summaryId,
    chat_id: d.chatId,
    owner_id: d.ownerId,
    source_message_ids: d.sourceMessageIds,
    text: d.text,
    pinned: false,
    origin: d.origin,
    model: d.model,
    version: event.revision,
    created_at: event.createdAt,
    updated_at: event.createdAt,
    deleted_at: null,
  };
}

export type SummaryRowChange = Updateable<ChatSummariesTable> & { version: number };

const stamped = (event: RecordedEvent) => ({ version: event.revision, updated_at: event.createdAt });

export const summaryChangeFolds: EventFolds<'ChatSummaryRevised' | 'ChatSummaryDeleted', SummaryRowChange> = {
  ChatSummaryRevised: (event) => ({
    ...stamped(event),
    origin: event.data.origin,
    ...(event.data.text !== undefined ? { text: event.data.text } : {}),
    ...(event.data.pinned !== undefined ? { pinned: event.data.pinned } : {}),
    ...(event.data.model !== undefined ? { model: event.data.model } : {}),
  }),
  ChatSummaryDeleted: (event) => ({ ...stamped(event), deleted_at: event.createdAt }),
};

export type SummaryChangeEvent = RecordedEvent<keyof typeof summaryChangeFolds>;
export const CHAT_SUMMARY_EVENTS = ['ChatSummaryWritten' as const, ...typesOf(summaryChangeFolds)];
