/**
 * The original's JSON export gives each message's stored sender as its `role`: a reply generated or saved for a
 * character carries that character's name there (a round-robin chat's replies each their speaker's). Here the name
 * is kept beside the `assistant` sender; a message stored without one keeps `assistant` (as one posted directly
 * with that role does there).
 */
import type { TranscriptEntry } from '../../../queries/chat-transcript-queries.ts';

export function withSenderNames<T extends object>(exported: T, entries: readonly TranscriptEntry[]): T {
  const messages = (exported as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return exported;
  const named = new Map(
    entries.filter((e) => e.message.sender === 'assistant' && e.message.name).map((e) => [e.message.id, e.message.name!]),
  );
  return {
    ...exported,
    messages: messages.map((m: { id?: unknown }) => {
      const name = typeof m.id === 'string' ? named.get(m.id) : undefined;
      return name ? { ...m, role: name } : m;
    }),
  };
}
