import type { Response } from 'express';
import { START_POSITION, type EventStore, type RecordedEvent } from '../../../infra/eventstore/event-store.ts';
import type { Logger } from '../../../infra/logger.ts';
import { AppError } from '../../../shared/errors.ts';
import { openSse, sseFrame } from '../http/sse.ts';
import { matches, toFeedEntry, type FeedEntry, type FeedFilter } from './feed-event.ts';
import { createCatchUpPermits } from './catch-up-permits.ts';
import { createLiveTail, type TailListener } from './live-tail.ts';

export interface EventFeedOptions {
  eventStore: EventStore;
  logger: Logger;
  /** A comment (with the consumer's position) is sent when nothing else was for this long. */
  heartbeatMs: number;
  /** Entries the live tail keeps for consumers handing over from paging; also the most a consumer may have undelivered. */
  bufferSize: number;
  /**
   * Events read per page while a consumer catches up, when other streams wait for a catch-up read (small pages
   * keep the memory per stream small); a stream paging alone reads four times as many at once.
   */
  pageSize?: number;
  /** Catch-up pages read and encoded at once across all of this process's streams (see catch-up-permits.ts). */
  catchUpConcurrency?: number;
  /** Streams one user may have open at once on this process; one more is a 429 `too_many_feed_connections`. */
  maxConnectionsPerUser: number;
  /** Resolves once the read models have applied the log up to a position (false on timeout): `projected` streams. */
  waitForProjections?: (position: string, timeoutMs: number) => Promise<boolean>;
}

export interface FeedRequest {
  /** Who asks: the per-user connection cap counts this. */
  userId: string;
  filter: FeedFilter;
  /** Deliver events after this position (START_POSITION: from the beginning); undefined: from now on. */
  after: string | undefined;
  /**
   * Send each event only once the read models show it (bounded by `PROJECTED_WAIT_MS`), so a client that reloads a
   * view on an event sees the change: what a UI wants. Default: as soon as it is in the log.
   */
  projected?: boolean;
}

const PROJECTED_WAIT_MS = 5_000;

export interface EventFeedStats {
  consumers: number;
  /** Consumers following the shared live tail (the others are paging through the log). */
  live: number;
  /** Times a consumer fell too far behind the live tail and went back to paging. */
  detachments: number;
  tailRunning: boolean;
}

export interface EventFeed {
  /** Streams events to `res` as SSE until the client disconnects or the feed closes. */
  serve(res: Response, request: FeedRequest): Promise<void>;
  stats(): EventFeedStats;
  /** Ends every stream (each after the write in progress) and stops the live tail: part of a graceful shutdown. */
  close(): Promise<void>;
}

/** One page of a consumer's catch-up, read and encoded. */
interface CatchUpPage {
  /** The SSE messages of the events that passed the filter. */
  out: string;
  /** As many events as asked for: there may be more. */
  full: boolean;
  last: string | undefined;
  lastMatch: string | undefined;
  horizon: string | undefined;
}

/** A refused stream may try again after this long (a slot frees when one of the user's streams closes). */
const RETRY_AFTER_SECONDS = 5;

/**
 * The event feed of one API process. Each consumer catches up by paging `readAll` from its own cursor, then
 * joins the shared live tail (hand-over by position, see live-tail.ts). A consumer that cannot keep up (more
 * than `bufferSize` events waiting behind a full socket) is detached and pages again from the last event it was
 * given: it never loses one. Filtered-out events still move its cursor; heartbeats carry that cursor as the SSE
 * `id`, so a reconnect after a long filtered stretch does not re-read it.
 */
export function createEventFeed(options: EventFeedOptions): EventFeed {
  const { eventStore, logger, heartbeatMs, bufferSize, maxConnectionsPerUser } = options;
  const pageSize = options.pageSize ?? 250;
  const permits = createCatchUpPermits(options.catchUpConcurrency ?? 4);
  const tail = createLiveTail({ eventStore, bufferSize, logger });
  const consumers = new Set<{ stop(): void; isLive(): boolean; finished: Promise<void> }>();
  let detachments = 0;
  let closed = false;
  /** Open streams per user (the cap). */
  const connections = new Map<string, number>();

  /**
   * One page of the log after `from`. A user's own feed (a `subject`) reads only their events, so nobody else's
   * row is read or payload opened; `horizon` is then a readable head taken before the read: when the page is not
   * full, nothing of theirs lies between its last event and the horizon, and the cursor may move there.
   */
  const readPage = async (
    from: string,
    subject: string | null,
    maxCount: number,
  ): Promise<{ events: RecordedEvent[]; horizon?: string }> => {
    if (subject === null) return { events: await eventStore.readAll({ fromPosition: from, maxCount }) };
    const horizon = await eventStore.readableHeadPosition();
    return { events: await eventStore.readAll({ fromPosition: from, maxCount, subject }), horizon };
  };

  /**
   * Reads and encodes one page under a permit; only the SSE text leaves (the events are garbage at once). Null
   * when the consumer stopped while waiting for a permit.
   */
  const catchUpPage = async (from: string, filter: FeedFilter, signal: AbortSignal): Promise<CatchUpPage | null> => {
    const release = await permits.acquire(signal);
    if (!release) return null;
    try {
      const maxCount = permits.waiting === 0 ? pageSize * 4 : pageSize;
      const { events, horizon } = await readPage(from, filter.subject, maxCount);
      let out = '';
      let lastMatch: string | undefined;
      for (const event of events) {
        const entry = toFeedEntry(event);
        if (matches(filter, entry)) {
          out += entry.frame();
          lastMatch = entry.position;
        }
      }
      return { out, full: events.length === maxCount, last: events.at(-1)?.position, lastMatch, horizon };
    } finally {
      release();
    }
  };

  async function serve(res: Response, request: FeedRequest): Promise<void> {
    const { filter } = request;
    let ended = closed;
    let mode: 'paging' | 'live' = 'paging';
    /** Everything up to here was written to the response (or filtered out). */
    let cursor = request.after ?? START_POSITION;
    /** The last `id:` the client was given (its Last-Event-ID on a reconnect). */
    let lastSentId: string | undefined;
    /** Live mode: matching entries not yet written, and the last tail position looked at. */
    let queue: FeedEntry[] = [];
    let seen = cursor;
    /** Wakes the loop waiting for tail entries (or sleeping between empty pages). */
    let wake: (() => void) | undefined;
    /** Wakes the loop waiting for the socket to drain; only a drain, a close or stop() may. */
    let unblock: (() => void) | undefined;
    /** Paging: the next page, already requested (only while no other stream waits for a read). */
    let prefetched: { from: string; page: Promise<CatchUpPage | null> } | undefined;
    /** Aborted when the consumer stops, so it leaves the queue for a catch-up permit. */
    const stopped = new AbortController();
    const wakeUp = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const waitForWake = (ms?: number) =>
      new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(wakeUp, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    const listener: TailListener = {
      onEntries(entries) {
        if (mode !== 'live') return;
        for (const e of entries) {
          if (e.position <= seen) continue;
          seen = e.position;
          if (matches(filter, e)) queue.push(e);
        }
        // Nothing waiting: everything up to `seen` was written or filtered out (a heartbeat may announce it).
        if (queue.length === 0) cursor = seen;
        if (queue.length > bufferSize) {
          // Too far behind: let go of the live tail (and of the undelivered entries); paging continues after the
          // last entry that was written.
          tail.detach(listener);
          mode = 'paging';
          queue = [];
          detachments++;
        }
        wakeUp();
      },
      onTailStopped() {
        if (mode !== 'live') return;
        mode = 'paging';
        queue = [];
        wakeUp();
      },
    };

    /** Writes (once the read models show `position` for a projected stream), then waits while the socket's buffer is full. */
    const write = async (chunk: string, position?: string) => {
      if (request.projected && position !== undefined && options.waitForProjections)
        await options.waitForProjections(position, PROJECTED_WAIT_MS);
      if (ended || res.write(chunk)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          unblock = undefined;
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
        unblock = done;
      });
    };

    const heartbeat = setInterval(() => {
      if (ended || unblock) return;
      // The position rides along when the client's Last-Event-ID lags behind it (filtered-out events): a
      // message with an `id` and no data moves an EventSource's lastEventId without dispatching an event.
      const id = cursor !== START_POSITION && cursor !== lastSentId ? cursor : undefined;
      if (id !== undefined) lastSentId = id;
      res.write(`: heartbeat\n${id !== undefined ? `id: ${id}\n` : ''}\n`);
    }, heartbeatMs);
    heartbeat.unref();

    let finished!: () => void;
    const consumer = {
      stop() {
        ended = true;
        stopped.abort();
        wakeUp();
        unblock?.();
      },
      isLive: () => mode === 'live',
      finished: new Promise<void>((resolve) => {
        finished = resolve;
      }),
    };
    const onClose = () => consumer.stop();
    res.on('close', onClose);

    const loop = async () => {
      openSse(res);
      if (request.after === undefined) {
        // From now on: join the tail at its position, and tell the client where that is.
        while (!ended) {
          await tail.ensureStarted();
          const attached = tail.attach(listener, undefined);
          if (attached) {
            mode = 'live';
            cursor = attached.from;
            seen = cursor;
            if (cursor !== START_POSITION) lastSentId = cursor;
            res.write(`: from now on\n${cursor !== START_POSITION ? `id: ${cursor}\n` : ''}\n`);
            break;
          }
          await waitForWake(50);
        }
      } else {
        res.write(': catching up\n\n');
      }
      while (!ended) {
        if (mode === 'paging') {
          const page = await (prefetched?.from === cursor ? prefetched.page : catchUpPage(cursor, filter, stopped.signal));
          prefetched = undefined;
          if (ended || !page) break;
          if (page.full && permits.waiting === 0) {
            // Read the next page while this one is written, unless other streams wait for a read (then a page read
            // ahead would only hold memory and a permit).
            const from = page.last!;
            prefetched = { from, page: catchUpPage(from, filter, stopped.signal) };
            prefetched.page.catch(() => undefined);
          }
          if (page.lastMatch !== undefined) lastSentId = page.lastMatch;
          if (page.last !== undefined) cursor = page.last;
          if (!page.full && page.horizon !== undefined && page.horizon > cursor) cursor = page.horizon;
          if (page.out) await write(page.out, page.last);
          if (ended || page.full) continue;
          // Caught up with the log as far as it is readable: follow the shared tail if it reaches back this far.
          await tail.ensureStarted();
          if (ended) break;
          const attached = tail.attach(listener, cursor);
          if (attached) {
            mode = 'live';
            seen = cursor;
            queue = [];
            listener.onEntries(attached.backlog);
          } else if (page.last === undefined) {
            await waitForWake(50);
          }
        } else {
          if (queue.length === 0) {
            await waitForWake();
            continue;
          }
          const batch = queue;
          queue = [];
          let out = '';
          for (const entry of batch) out += entry.frame();
          lastSentId = batch[batch.length - 1]!.position;
          cursor = seen;
          await write(out, lastSentId);
        }
      }
    };

    consumers.add(consumer);
    try {
      await loop();
    } catch (err) {
      if (!res.headersSent) throw err;
      if (!ended) {
        logger.warn({ err }, 'event feed: stream ended by an error');
        const code = closed ? 'shutting_down' : 'event_feed_failed';
        const detail = closed
          ? 'the server is shutting down; reconnect with Last-Event-ID'
          : 'the event feed failed; reconnect with Last-Event-ID';
        if (!res.writableEnded) res.write(sseFrame({ event: 'feed-error', data: JSON.stringify({ code, detail }) }));
      }
    } finally {
      ended = true;
      clearInterval(heartbeat);
      res.off('close', onClose);
      tail.detach(listener);
      consumers.delete(consumer);
      if (!res.writableEnded) res.end();
      finished();
    }
  }

  return {
    async serve(res, request) {
      if (closed) throw new AppError(503, 'shutting_down', 'the server is shutting down');
      const open = connections.get(request.userId) ?? 0;
      if (open >= maxConnectionsPerUser) {
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        throw new AppError(
          429,
          'too_many_feed_connections',
          `at most ${maxConnectionsPerUser} event streams may be open at once per user; close one (or retry in ${RETRY_AFTER_SECONDS} s)`,
          {
            limit: maxConnectionsPerUser,
            retry_after_seconds: RETRY_AFTER_SECONDS,
          },
        );
      }
      connections.set(request.userId, open + 1);
      try {
        await serve(res, request);
      } finally {
        const left = (connections.get(request.userId) ?? 1) - 1;
        if (left > 0) connections.set(request.userId, left);
        else connections.delete(request.userId);
      }
    },
    stats: () => ({
      consumers: consumers.size,
      live: [...consumers].filter((c) => c.isLive()).length,
      detachments,
      tailRunning: tail.listenerCount > 0,
    }),
    async close() {
      closed = true;
      const all = [...consumers];
      for (const c of all) c.stop();
      await Promise.all(all.map((c) => c.finished));
      await tail.close();
    },
  };
}
