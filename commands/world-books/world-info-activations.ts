import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { toNewEvents } from '../command-handler.ts';

/** Activations are recorded beside the book, not on it: a generation must not change the book's version. */
export const worldBookActivationsStream = (worldBookId: string) => `worldbookactivations-${worldBookId}`;

export interface ActivatedEntryRef {
  worldBookId: string;
  entryId: string;
  /** The engine's `<bookId>.<uid>` key. */
  entryKey: string;
}

/**
 * Appends one `WorldInfoActivationsRecorded` per book that had activations (a counter with no invariant, so
 * appended at any revision). Returns the position of the last append, or null when nothing was activated.
 */
export async function recordWorldInfoActivations(
  store: EventStore,
  context: Actor,
  input: { chatId?: string; characterId?: string; entries: readonly ActivatedEntryRef[] },
): Promise<string | null> {
  const byBook = new Map<string, ActivatedEntryRef[]>();
  for (const ref of input.entries) {
    const list = byBook.get(ref.worldBookId);
    if (list) list.push(ref);
    else byBook.set(ref.worldBookId, [ref]);
  }
  let position: string | null = null;
  for (const [worldBookId, refs] of byBook) {
    const data = {
      ...(input.chatId ? { chatId: input.chatId } : {}),
      ...(input.characterId ? { characterId: input.characterId } : {}),
      worldBookEntries: refs.map(({ worldBookId: bookId, entryId, entryKey }) => ({ worldBookId: bookId, entryId, entryKey })),
    };
    const result = await store.append(
      worldBookActivationsStream(worldBookId),
      toNewEvents([{ type: 'WorldInfoActivationsRecorded', data }], context),
      'any',
    );
    position = result.position;
  }
  return position;
}
