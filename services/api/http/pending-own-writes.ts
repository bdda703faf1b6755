import type { ProgressWaiter } from '../../../projections/progress-waiter.ts';

/**
 * Read-your-writes for writes answered before every projection has applied them. A post (or a chat import) projected
 * inline is answered from the chat's own rows, while the character's `last_used_at`, the memory index, the audit log and usage
 * follow the log: the caller's next read (a GET) waits until the projections have reached the caller's latest such
 * write, bounded by the read-your-writes timeout (once per write: a stalled projector does not slow every read). Kept per API process (at most `maxUsers` callers, the oldest
 * forgotten first): a read served by another API instance does not wait.
 */
export interface PendingOwnWrites {
  note(userId: string, position: string): void;
  settle(userId: string): Promise<void>;
}

export function createPendingOwnWrites(waiter: ProgressWaiter, timeoutMs: number, maxUsers = 10_000): PendingOwnWrites {
  const pending = new Map<string, string>();
  return {
    note(userId, position) {
      pending.delete(userId);
      pending.set(userId, position);
      if (pending.size > maxUsers) pending.delete(pending.keys().next().value as string);
    },
    async settle(userId) {
      const position = pending.get(userId);
      if (position === undefined) return;
      await waiter.waitFor(position, timeoutMs);
      // Reached, or the projector is stalled: one bounded wait per write, not one per read.
      if (pending.get(userId) === position) pending.delete(userId);
    },
  };
}
