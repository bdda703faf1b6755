import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { analyseText, relativeDateTerms, sentDayTerms } from '../shared/memory/memory-terms.ts';

/**
 * The memory index's rules as pure functions: a turn's row and postings from its text, speaker and the day it was
 * sent. The writer (memory-index-projection.ts) applies them; what a turn holds is in shared/memory/memory-terms.ts.
 */
export const MEMORY_INDEX_EVENTS = ['ChatCreated', 'MessagePosted', 'MessagesImported', 'MessageEdited', 'ChatErased'] as const;

export interface IndexedTurn {
  turn: { message_id: string; chat_id: string; length: number; terms: string[]; speaker: string | null; sent_at: Date };
  postings: Array<{ chat_id: string; term: string; message_id: string; tf: number; length: number }>;
}

/** A turn's index rows. */
export function indexTurn(
  chatId: string,
  messageId: string,
  content: string,
  speaker: string | null,
  sentAt: Date,
  hasImage = false,
): IndexedTurn {
  const { terms, length } = analyseText(content, speaker);
  for (const t of sentDayTerms(sentAt)) terms.set(t, 1);
  for (const t of relativeDateTerms(content, sentAt)) terms.set(t, (terms.get(t) ?? 0) + 1);
  if (hasImage) terms.set('@image', 1);
  const postings = [...terms].map(([term, tf]) => ({ chat_id: chatId, term, message_id: messageId, tf: Math.min(tf, 32767), length }));
  return { turn: { message_id: messageId, chat_id: chatId, length, terms: [...terms.keys()], speaker, sent_at: sentAt }, postings };
}

/** A posted message's index rows (a user's turn is named by its display name when it has one). */
export function indexPosted(event: RecordedEvent<'MessagePosted'>): IndexedTurn {
  const d = event.data;
  return indexTurn(d.chatId, d.messageId, d.content, d.name, d.sentAt ? new Date(d.sentAt) : event.createdAt, d.image !== null);
}
