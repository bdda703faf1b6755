import { sql } from 'kysely';
import type { InlineWork } from '../infra/eventstore/event-store.ts';
import { isCatalogued, type RecordedEvent } from '../shared/events/recorded-event.ts';
import { importedInline } from './chats-projection.ts';
import { withUpcast } from './projection-runner.ts';

const IMPORT_PART = new Set(['ChatCreated', 'MessagesImported']);

/**
 * The chats projection of an imported chat, written by each of its appends' own statements
 * (`EventStore.appendInline`; an import is several appends within the append limit): the import is readable when
 * its last append commits, without waiting for the projector. Writes only an append of the chat's creation and
 * batches, or of batches on a chat row exactly one part behind (`importedInline`); anything else writes nothing, the
 * answer is undefined and the caller waits for the projector as for any command. As for an inline post
 * (inline-chat-post.ts), the projector's later pass over the events is a no-op for the chats projection (revision
 * guard), the other projections (memory index, audit, `last_used_at`) apply them as usual, and replay and rebuild
 * go through the projection's own `apply`, which writes the same rows.
 */
export function chatImportInline(schema: string): InlineWork<{ chatId: string }> {
  return {
    statement: (db, recorded) => {
      const parts: Array<RecordedEvent<'ChatCreated' | 'MessagesImported'>> = [];
      for (const e of recorded.map(withUpcast)) if (isCatalogued<'ChatCreated' | 'MessagesImported'>(e, IMPORT_PART)) parts.push(e);
      const isPart =
        parts.length === recorded.length &&
        parts.length > 0 &&
        parts.every((e, i) => e.type === 'MessagesImported' || i === 0) &&
        parts.every((e) => e.data.chatId === parts[0]!.data.chatId);
      if (isPart) return importedInline(db.withSchema(schema), parts);
      return db.with('inline', () => sql<{ id: string }>`(SELECT NULL::uuid AS id WHERE false)`);
    },
    answer: (row) => (row.id ? { chatId: row.id as string } : undefined),
  };
}
