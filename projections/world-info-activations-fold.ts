import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { typesOf, type EventFolds } from './projection.ts';

export interface EntryActivation {
  world_book_id: string;
  entry_id: string;
  activation_count: number;
  last_activated_at: Date;
}

/** One generation's activations: each entry once (an entry counts once per event, whatever the event lists). */
export const activationFolds: EventFolds<'WorldInfoActivationsRecorded', EntryActivation[]> = {
  WorldInfoActivationsRecorded(event) {
    const seen = new Set<string>();
    const rows: EntryActivation[] = [];
    for (const item of event.data.worldBookEntries) {
      const key = `${item.worldBookId}/${item.entryId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ world_book_id: item.worldBookId, entry_id: item.entryId, activation_count: 1, last_activated_at: event.createdAt });
    }
    return rows;
  },
};

export type ActivationEvent = RecordedEvent<keyof typeof activationFolds>;
export const ACTIVATION_EVENTS = typesOf(activationFolds);

/**
 * Many events folded: each activation stream's newest revision, and the counts per entry of the events newer than
 * the revision already counted (`known`, from `world_book_activation_streams`), so a redelivered event counts once.
 */
export function foldActivations(
  events: readonly ActivationEvent[],
  known: ReadonlyMap<string, number>,
): { versions: Map<string, number>; counts: Map<string, EntryActivation> } {
  const versions = new Map<string, number>();
  const counts = new Map<string, EntryActivation>();
  for (const event of events) {
    if (event.revision <= Math.max(known.get(event.streamId) ?? 0, versions.get(event.streamId) ?? 0)) continue;
    versions.set(event.streamId, event.revision);
    for (const row of activationFolds.WorldInfoActivationsRecorded(event, undefined)) {
      const key = `${row.world_book_id}/${row.entry_id}`;
      const c = counts.get(key);
      if (c) {
        c.activation_count += 1;
        c.last_activated_at = row.last_activated_at;
      } else counts.set(key, row);
    }
  }
  return { versions, counts };
}
