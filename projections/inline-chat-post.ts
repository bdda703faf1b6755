import { sql } from 'kysely';
import type { InlineWork } from '../infra/eventstore/event-store.ts';
import { isCatalogued } from '../shared/events/recorded-event.ts';
import { postedInlineText } from './chat-post-statement.ts';
import { postedInline, type InlinePostedRow } from './chats-projection.ts';
import { withUpcast } from './projection-runner.ts';

const POSTED = new Set(['MessagePosted']);

/**
 * The chats projection of a posted message, written by its append's own statement (`EventStore.appendInline`):
 * one round trip and one commit for the event and its chat read-model rows, and an answer that needs no wait for
 * the projector. Writes only a lone `MessagePosted` on a chat row exactly one revision behind it (`postedInline`);
 * otherwise nothing, the answer is undefined, and the caller waits for the projector as for any command.
 *
 * Checkpoints: the projector still reads the event and applies it to the chats projection, where the row's
 * revision guard makes it a no-op, and its checkpoint moves past it as past any event. The other projections that
 * note a message (audit, usage analytics, the character's `last_used_at`) apply it there as before, after the
 * answer. Replay and rebuild go through the projection's own `apply`, which writes the same rows.
 */
export function chatPostInline(schema: string): InlineWork<InlinePostedRow> {
  return {
    statement: (db, recorded) => {
      const event = recorded.length === 1 ? withUpcast(recorded[0]!) : undefined;
      if (event && isCatalogued<'MessagePosted'>(event, POSTED))
        return postedInlineText(db, schema, event) ?? postedInline(db.withSchema(schema), event);
      return db.with('inline', () => sql<{ id: string }>`(SELECT NULL::uuid AS id WHERE false)`);
    },
    answer: (row) => (row.id ? (row as InlinePostedRow) : undefined),
  };
}
