import type { EntryRecord } from '../events/world-book-events.ts';
import { runsBySize } from '../runs-by-size.ts';

/**
 * The most entry JSON one world-book event carries (bytes). With sealing (base64, about 4/3) and metadata an
 * event stays near a third of the event store's smallest append limit (512 KiB), so a large book goes to the
 * log as several events in several appends, never as one write EventStoreDB would refuse.
 */
export const ENTRY_CHUNK_BYTES = 128 * 1024;

/**
 * `entries` in order, cut into runs of at most `budget` bytes of JSON each (an entry larger than the budget is a
 * run of its own). Always at least one run, empty for a book without entries.
 */
export function chunkEntries(entries: readonly EntryRecord[], budget = ENTRY_CHUNK_BYTES): EntryRecord[][] {
  const runs = runsBySize(entries, jsonBytes, budget);
  return runs.length > 0 ? runs : [[]];
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
