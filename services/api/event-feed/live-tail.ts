import { START_POSITION, type EventStore } from '../../../infra/eventstore/event-store.ts';
import type { Logger } from '../../../infra/logger.ts';
import { toFeedEntry, type FeedEntry } from './feed-event.ts';

/** A consumer following the live tail: handed every new batch, synchronously and in log order. */
export interface TailListener {
  onEntries(entries: readonly FeedEntry[]): void;
  /** The tail stopped (the event store failed, or the feed is closing): the listener is no longer attached. */
  onTailStopped(): void;
}

export interface Attachment {
  /** The position the listener follows from (its own cursor, or the tail's for a consumer starting "now"). */
  from: string;
  /** Entries the tail already has after `from`, to deliver before the live ones. */
  backlog: FeedEntry[];
}

export interface LiveTail {
  /** Starts the shared subscription if it is not running (from the log's head). */
  ensureStarted(): Promise<void>;
  /**
   * Attaches a listener whose events up to `cursor` are delivered (undefined: from the tail's position). Null when
   * `cursor` is older than what the tail still holds: the consumer must page further first. Synchronous, so no
   * event can slip between the check and the registration.
   */
  attach(listener: TailListener, cursor: string | undefined): Attachment | null;
  detach(listener: TailListener): void;
  readonly listenerCount: number;
  close(): Promise<void>;
}

/**
 * One subscription to the event store per API process, shared by every feed consumer that has caught up:
 * consumers never poll the database on their own once live. The tail keeps its newest `bufferSize` entries, so
 * a consumer that pages up to within that window hands over without a gap or a duplicate (everything is compared
 * by global position, and the prefix of the log up to any position a read returned is final). It runs while it
 * has listeners and stops with the last one.
 */
export function createLiveTail(options: {
  eventStore: EventStore;
  bufferSize: number;
  logger: Logger;
  batchSize?: number;
  coalesceMs?: number;
}): LiveTail {
  const { eventStore, bufferSize, logger } = options;
  const batchSize = options.batchSize ?? 1000;
  // After a small batch, wait this long before reading again: under a stream of commands the tail then reads
  // once per interval instead of once per append (a query, and a write per consumer, saved each time).
  const coalesceMs = options.coalesceMs ?? 20;
  const listeners = new Set<TailListener>();
  let ring: FeedEntry[] = [];
  /** The ring holds every tail entry after this position. */
  let bufferStart = START_POSITION;
  /** The last position the tail has handed out (its subscription's cursor). */
  let cursor = START_POSITION;
  let running: { abort: AbortController; done: Promise<void> } | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;

  const stopListeners = () => {
    const current = [...listeners];
    listeners.clear();
    for (const l of current) l.onTailStopped();
  };

  const run = async (from: string, abort: AbortController) => {
    try {
      for await (const batch of eventStore.subscribeToAll({ fromPosition: from, signal: abort.signal, batchSize })) {
        if (abort.signal.aborted) break;
        const entries = batch.map(toFeedEntry);
        ring.push(...entries);
        if (ring.length > bufferSize * 2) {
          // Trim in chunks (not per event) so the ring costs O(1) per event.
          const evicted = ring.length - bufferSize;
          bufferStart = ring[evicted - 1]!.position;
          ring = ring.slice(evicted);
        }
        cursor = entries[entries.length - 1]!.position;
        for (const l of [...listeners]) l.onEntries(entries);
        if (batch.length < batchSize && coalesceMs > 0) await sleep(coalesceMs, abort.signal);
      }
    } catch (err) {
      if (!abort.signal.aborted) logger.warn({ err }, 'event feed: live tail failed; consumers fall back to paging');
    } finally {
      // A run that was stopped on purpose has no listeners left; a failed one hands its listeners back to paging.
      if (running?.abort === abort) {
        running = undefined;
        stopListeners();
      }
    }
  };

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });

  const stop = async () => {
    const r = running;
    running = undefined;
    if (!r) return;
    // Let go of the buffered entries (and their SSE messages) now: a stopped tail may stay idle for long, and a
    // new start begins from the head with an empty ring anyway.
    ring = [];
    r.abort.abort();
    await r.done;
  };

  return {
    async ensureStarted() {
      if (closed) throw new Error('the event feed is closed');
      if (running) return;
      starting ??= (async () => {
        try {
          const head = await eventStore.headPosition();
          if (running || closed) return;
          ring = [];
          bufferStart = head;
          cursor = head;
          const abort = new AbortController();
          running = { abort, done: Promise.resolve() };
          running.done = run(head, abort);
        } finally {
          starting = undefined;
        }
      })();
      await starting;
    },

    attach(listener, from) {
      if (!running || closed) return null;
      if (from === undefined) {
        listeners.add(listener);
        return { from: cursor, backlog: [] };
      }
      if (from < bufferStart) return null;
      listeners.add(listener);
      // Entries are in position order: binary search for the first one after `from`.
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ring[mid]!.position <= from) lo = mid + 1;
        else hi = mid;
      }
      return { from, backlog: ring.slice(lo) };
    },

    detach(listener) {
      listeners.delete(listener);
      if (listeners.size === 0 && running) {
        // Nobody follows the tail any more: stop polling (a new consumer starts it again from the head).
        void stop();
      }
    },

    get listenerCount() {
      return listeners.size;
    },

    async close() {
      closed = true;
      await starting?.catch(() => undefined);
      await stop();
      stopListeners();
    },
  };
}
