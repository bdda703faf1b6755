/**
 * Per-group concurrency for a queue's jobs (per user, for completions): at most `maxPerGroup` jobs of one group run
 * at once across every worker and process that share the queue's datastore. The count lives in that datastore
 * (PostgreSQL or Redis), as leases: a process renews the slots it holds while it lives, and the slots of a process
 * that died expire after `leaseMs`, as its jobs' locks do.
 *
 * A job beyond its group's share does not wait in a worker slot: the worker puts it back (delayed, see
 * job-worker.ts) and records it as parked; the release of one of the group's slots wakes the longest-parked job
 * at once (`wake`, which promotes it). A wake-up lost to a crash is made good by the parked job's own delay.
 */
import type { QueueBackend, QueueLogger } from '../queue.ts';
import { silentLogger } from '../bullmq/logger.ts';

/** The datastore side: every operation is atomic for one group. */
export interface GroupSlotsStore {
  /** True when holder has (or already had) one of the group's slots; else, with `park`, records it as parked. */
  acquire(group: string, holder: string, options: { max: number; leaseMs: number; park: boolean; parkTtlMs: number }): Promise<boolean>;
  /** Frees holder's slot; when it held one, removes and answers the longest-parked holder of the group. */
  release(group: string, holder: string): Promise<string | null>;
  /** Removes and answers the longest-parked holder of the group. */
  popParked(group: string): Promise<string | null>;
  isParked(group: string, holder: string): Promise<boolean>;
  /** Extends the leases of these slots (those still held). */
  renew(slots: ReadonlyArray<{ group: string; holder: string }>, leaseMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wakes a parked holder (promotes its delayed job). True when it will run (woken, or already on its way); false
 * when it no longer exists, so the next parked one is woken instead.
 */
export type WakeParked = (holder: string) => Promise<boolean>;

export interface GroupSlots {
  readonly maxPerGroup: number;
  /**
   * Takes one of the group's slots for `holder` (a holder that has one keeps it). False when the group's slots are
   * all taken; with `park` the holder is then recorded as waiting for the group's next free slot.
   */
  acquire(group: string, holder: string, options?: { park?: boolean }): Promise<boolean>;
  /** Frees the holder's slot and wakes the group's longest-parked holder. Never throws (a missed wake-up is made good by the parked job's delay). */
  release(group: string, holder: string): Promise<void>;
  /**
   * For a parked holder once it really waits (its job is delayed): a release in between has already taken it off
   * the parked list and tried to wake it too early; then it wakes itself.
   */
  settleParked(group: string, holder: string): Promise<void>;
  close(): Promise<void>;
}

export interface GroupSlotsOptions {
  /** The queue whose jobs are counted (the slots of different queues are separate). */
  queueName: string;
  backend: QueueBackend;
  maxPerGroup: number;
  wake: WakeParked;
  /** A slot not renewed for this long is free again (its process died). Default 30000. */
  leaseMs?: number;
  /** A parked record not refreshed for this long is dropped (its job was removed). Default 10 minutes. */
  parkTtlMs?: number;
  logger?: QueueLogger;
}

export async function createGroupSlots(options: GroupSlotsOptions): Promise<GroupSlots> {
  const { backend, queueName } = options;
  const store =
    backend.kind === 'redis'
      ? (await import('./redis-group-slots.ts')).createRedisGroupSlotsStore({
          url: backend.url,
          prefix: `${backend.prefix ?? 'bull'}:${queueName}:groups`,
        })
      : await (
          await import('./postgres-group-slots.ts')
        ).createPostgresGroupSlotsStore({ connectionString: backend.connectionString, queueName });
  return groupSlotsOver(store, options);
}

/** The slots over a store: lease renewal for the slots this process holds, and the wake-up on release. */
export function groupSlotsOver(store: GroupSlotsStore, options: Omit<GroupSlotsOptions, 'backend' | 'queueName'>): GroupSlots {
  const max = options.maxPerGroup;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxPerGroup must be an integer >= 1, got ${max}`);
  const leaseMs = options.leaseMs ?? 30_000;
  const parkTtlMs = options.parkTtlMs ?? 600_000;
  const logger = options.logger ?? silentLogger;
  const held = new Map<string, { group: string; holder: string }>();
  const keyOf = (group: string, holder: string) => JSON.stringify([group, holder]);
  let closed = false;

  const renewal = setInterval(
    () => {
      if (held.size === 0) return;
      store.renew([...held.values()], leaseMs).catch((err: unknown) => logger.warn({ err }, 'renewing the per-group job slots failed'));
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  renewal.unref();

  const wakeFrom = async (group: string, first: string | null) => {
    let next = first;
    while (next !== null) {
      if (await options.wake(next)) return;
      next = await store.popParked(group);
    }
  };

  return {
    maxPerGroup: max,

    async acquire(group, holder, { park = false } = {}) {
      if (closed) throw new Error('the per-group job slots are closed');
      const acquired = await store.acquire(group, holder, { max, leaseMs, park, parkTtlMs });
      if (acquired) held.set(keyOf(group, holder), { group, holder });
      return acquired;
    },

    async release(group, holder) {
      held.delete(keyOf(group, holder));
      try {
        await wakeFrom(group, await store.release(group, holder));
      } catch (err) {
        logger.warn({ err, group, holder }, 'releasing a per-group job slot failed; its lease expires instead');
      }
    },

    async settleParked(group, holder) {
      if (!(await store.isParked(group, holder))) await options.wake(holder);
    },

    async close() {
      closed = true;
      clearInterval(renewal);
      await store.close();
    },
  };
}
