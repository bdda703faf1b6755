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

export function createStateCache(maxEntries = 5000): StateCache {
  const entries = new Map<string, { state: unknown; revision: number }>();
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
      entries.delete(streamId);
      entries.set(streamId, { state, revision });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    delete(streamId) {
      entries.delete(streamId);
    },
    clear() {
      entries.clear();
    },
    size: () => entries.size,
  };
}
