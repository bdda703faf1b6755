/**
 * Decided state of recently used streams, so a command on a long stream (a chat with 10,000 messages) reads
 * only the events after the cached revision instead of the whole stream. Entries are immutable snapshots; a
 * stale entry is harmless because loading always catches up from the store, and a failed append simply
 * leaves the older entry in place.
 */
export interface StateCache {
  get<S>(streamId: string): { state: S; revision: number } | undefined;
  set<S>(streamId: string, state: S, revision: number): void;
  delete(streamId: string): void;
  /** Drops every entry (a user was forgotten: their decided states must not outlive their keys). */
  clear(): void;
  size(): number;
}

/**
 * Bounded twice: by entries, and by the events folded into them (a state's revision, a proxy for its size: a
 * chat's state grows with its messages), so a few thousand long chats cannot hold gigabytes. The least
 * recently used entries go first. A soak (bench/soak.bench.ts) showed the resident memory still climbing after
 * 50,000 requests with the earlier bound of 5,000 entries by count alone: the cache was still filling.
 */
export function createStateCache(maxEntries = 1000, maxEvents = 200_000): StateCache {
  const entries = new Map<string, { state: unknown; revision: number }>();
  let events = 0;
  const drop = (streamId: string) => {
    const entry = entries.get(streamId);
    if (!entry) return;
    events -= entry.revision;
    entries.delete(streamId);
  };
  return {
    get<S>(streamId: string) {
      const hit = entries.get(streamId);
      if (!hit) return undefined;
      entries.delete(streamId); // refresh recency
      entries.set(streamId, hit);
      return hit as { state: S; revision: number };
    },
    set(streamId, state, revision) {
      const current = entries.get(streamId);
      if (current && current.revision > revision) return;
      drop(streamId);
      entries.set(streamId, { state, revision });
      events += revision;
      while (entries.size > 1 && (entries.size > maxEntries || events > maxEvents)) drop(entries.keys().next().value!);
    },
    delete(streamId) {
      drop(streamId);
    },
    clear() {
      entries.clear();
    },
    size: () => entries.size,
  };
}
