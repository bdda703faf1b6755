import type { InlineWork } from '../infra/eventstore/event-store.ts';
import { isCatalogued } from '../shared/events/recorded-event.ts';
import { applyPostedInline, type InlinePostedRow } from './chats-projection.ts';
import { withUpcast } from './projection-runner.ts';

const POSTED = new Set(['MessagePosted']);

/**
 * The chats projection of a posted message, as work committed with its append (`EventStore.appendInline`): one
 * commit for the event and its chat read-model rows, and an answer that needs no wait for the projector. Applies
 * only a lone `MessagePosted` on a chat row exactly one revision behind it (`applyPostedInline`); otherwise it
 * changes nothing and answers undefined, and the caller waits for the projector as for any command.
 *
 * Checkpoints: the projector still reads the event and applies it to the chats projection, where the row's
 * revision guard makes it a no-op, and its checkpoint moves past it as past any event. The other projections that
 * note a message (audit, usage analytics, the character's `last_used_at`) apply it there as before, after the
 * answer. Replay and rebuild go through the projection's own `apply`, which writes the same rows.
 */
export function chatPostInline(schema: string): InlineWork<InlinePostedRow | undefined> {
  return async (trx, recorded) => {
    const event = recorded.length === 1 ? withUpcast(recorded[0]!) : undefined;
    if (!event || !isCatalogued<'MessagePosted'>(event, POSTED)) return undefined;
    return applyPostedInline(trx.withSchema(schema), event);
  };
}
