/**
 * The event store port on EventStoreDB (the distributed deployment).
 *
 * Client: `@eventstore/db-client` 6.2.1, the last release under that name. Its successor
 * (`@kurrent/kurrentdb-client`) reads through a native Rust bridge (`@kurrent/bridge`), i.e. a platform-specific
 * binary in the install; this package is pure JavaScript over gRPC, which keeps `npm ci` portable. It talks to
 * EventStoreDB/KurrentDB servers 22.6 and newer (stream reads carry positions from 22.6 on).
 *
 * Conversions (revisions, positions, metadata, errors) live in esdb-mapping.ts.
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  excludeSystemEvents,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type ReadPosition,
  type ReadRevision,
  type StreamingRead,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  START_POSITION,
  type AppendResult,
  type EventStore,
  subjectOf,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from '../event-store.ts';
import { assertAppendFits, DEFAULT_MAX_APPEND_BYTES } from '../append-size.ts';
import {
  formatEsdbPosition,
  fromEsdbEvent,
  fromEsdbRevision,
  isSystemEvent,
  isTransientEsdbError,
  mapEsdbError,
  parseEsdbPosition,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbRevision,
} from './esdb-mapping.ts';

/** The part of the client the adapter uses (a test can hand in a fake). */
export type EsdbClient = Pick<EventStoreDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'>;

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`; see the client's connection-string grammar. */
  connectionString: string;
  /** How long `ping()` waits for the server (ms). Default 5000. */
  pingTimeoutMs?: number;
  /**
   * Longest an append may take before EventStoreUnavailableError (ms). Default 15000 (the server's own deadline
   * is 10 s). The outcome is then unknown; retrying with the same event ids and expected revision is safe.
   */
  appendTimeoutMs?: number;
  /** Resubscription back-off after a dropped subscription: first delay and cap (ms). Defaults 100 and 5000. */
  resubscribeMinDelayMs?: number;
  resubscribeMaxDelayMs?: number;
  /** Told about every dropped subscription before it resubscribes (pino-compatible). */
  logger?: { warn(obj: object, msg?: string): void };
  /** The largest append taken (bytes, as append-size.ts counts them); the server's default `MaxAppendSize`. */
  maxAppendBytes?: number;
}

const DEFAULT_READ_ALL_COUNT = 1000;
const MAX_READ_PAGE = 4096;
const HEAD_SCAN_PAGE = 256;

export function createEsdbEventStore(options: EsdbEventStoreOptions): EventStore {
  return createEsdbEventStoreWithClient(EventStoreDBClient.connectionString(options.connectionString), options);
}

/** The adapter over a given client; `close()` disposes it. */
export function createEsdbEventStoreWithClient(
  client: EsdbClient,
  options: Omit<EsdbEventStoreOptions, 'connectionString'> = {},
): EventStore {
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  const appendTimeoutMs = options.appendTimeoutMs ?? 15_000;
  const minDelay = options.resubscribeMinDelayMs ?? 100;
  const maxDelay = options.resubscribeMaxDelayMs ?? 5000;
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const closing = new AbortController();

  /** Position of an event the server has just acknowledged without one (idempotent replays do that). */
  const positionOfRevision = async (streamId: string, esdbRevision: bigint): Promise<string> => {
    let found: string | undefined;
    await drain(client.readStream(streamId, { fromRevision: esdbRevision, maxCount: 1 }), (resolved) => {
      if (resolved.event?.position) found = formatEsdbPosition(resolved.event.position);
      return false;
    });
    if (found === undefined)
      throw new Error(`EventStoreDB returned no position for ${streamId}@${esdbRevision}: server 22.6 or newer is required`);
    return found;
  };

  const readAll = async ({ fromPosition = START_POSITION, maxCount = DEFAULT_READ_ALL_COUNT, subject }: ReadAllOptions = {}): Promise<
    RecordedEvent[]
  > => {
    const out: RecordedEvent[] = [];
    if (maxCount <= 0) return out;
    let cursor = fromPosition;
    // A forward read of $all includes the event at its starting position, so one extra is read and skipped;
    // system events are filtered here (v6 has no server-side filter on reads), hence whole pages.
    const pageSize = Math.min(Math.max(maxCount + 1, 64), MAX_READ_PAGE);
    for (;;) {
      let received = 0;
      let advanced = false;
      await drain(
        client.readAll({
          fromPosition: cursor === START_POSITION ? START : parseEsdbPosition(cursor),
          maxCount: pageSize,
          direction: FORWARDS,
        }),
        (resolved) => {
          received++;
          const event = resolved.event;
          if (!event) return true;
          const position = formatEsdbPosition(event.position);
          if (position <= cursor) return true;
          cursor = position;
          advanced = true;
          if (isSystemEvent(event)) return true;
          // A subject read filters here, on the metadata (in clear), before anything maps or opens the payload.
          if (subject !== undefined && subjectOf(event.metadata as EventMetadata) !== subject) return true;
          out.push(fromEsdbEvent(event));
          return out.length < maxCount;
        },
      );
      if (out.length >= maxCount || received < pageSize || !advanced) return out;
    }
  };

  const headPosition = async (): Promise<string> => {
    // Newest first; system events (stats, projections' bookkeeping) may sit on top of the last one of ours.
    let from: ReadPosition = END;
    let cursor: string | undefined;
    let pageSize = 1;
    try {
      for (;;) {
        let received = 0;
        let head: string | undefined;
        await drain(client.readAll({ fromPosition: from, maxCount: pageSize, direction: BACKWARDS }), (resolved) => {
          received++;
          const event = resolved.event;
          if (!event) return true;
          const position = formatEsdbPosition(event.position);
          if (cursor !== undefined && position >= cursor) return true; // in case the start is inclusive
          cursor = position;
          if (isSystemEvent(event)) return true;
          head = position;
          return false;
        });
        if (head !== undefined) return head;
        if (received < pageSize || cursor === undefined) return START_POSITION;
        from = parseEsdbPosition(cursor);
        pageSize = HEAD_SCAN_PAGE;
      }
    } catch (err) {
      throw mapEsdbError(err);
    }
  };

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });

  async function* subscribeToAll({ fromPosition = START_POSITION, batchSize = 500, signal }: SubscribeOptions = {}): AsyncIterable<
    RecordedEvent[]
  > {
    const stop = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    let cursor = fromPosition;
    let failures = 0;
    while (!stop.aborted) {
      const subscription: AllStreamSubscription = client.subscribeToAll({
        fromPosition: cursor === START_POSITION ? START : parseEsdbPosition(cursor),
        filter: excludeSystemEvents(),
      });
      // Errors reach the iterator below; this keeps a late one (after we stopped reading) from being unhandled.
      subscription.on('error', () => undefined);
      const onStop = () => subscription.destroy();
      stop.addEventListener('abort', onStop, { once: true });
      let dropped: unknown;
      try {
        for await (const first of subscription) {
          failures = 0;
          const batch: RecordedEvent[] = [];
          // Batch what has already arrived; never wait for more.
          let next: AllStreamResolvedEvent | null = first;
          while (next !== null) {
            const event = next.event;
            if (event) {
              // The server filter drops `$` types; events in `$` streams with other types are dropped here.
              if (!isSystemEvent(event)) batch.push(fromEsdbEvent(event));
              cursor = formatEsdbPosition(event.position);
            }
            next = batch.length < batchSize ? (subscription.read() as AllStreamResolvedEvent | null) : null;
          }
          if (batch.length > 0) yield batch;
          if (stop.aborted) return;
        }
        // Ended without an error: the server closed the call or the client was disposed.
      } catch (err) {
        if (stop.aborted) return;
        if (!isTransientEsdbError(err)) throw mapEsdbError(err);
        dropped = err;
      } finally {
        stop.removeEventListener('abort', onStop);
        subscription.destroy();
        await subscription.unsubscribe().catch(() => undefined);
      }
      if (stop.aborted) return;
      // Full jitter, so a fleet of projectors does not reconnect in lockstep after a server restart.
      const retryInMs = Math.round(Math.random() * Math.min(maxDelay, minDelay * 2 ** failures));
      failures++;
      options.logger?.warn(
        { err: dropped, position: cursor, attempt: failures, retryInMs },
        'EventStoreDB subscription dropped; resubscribing',
      );
      await sleep(retryInMs, stop);
    }
  }

  return {
    kind: 'eventstoredb',
    maxAppendBytes,

    async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
      if (events.length === 0) throw new RangeError('append needs at least one event');
      // Checked here too, by the same count as the other backends, so the refusal does not depend on the server.
      const bytes = assertAppendFits(streamId, events, maxAppendBytes);
      const esdbExpected = toEsdbExpectedRevision(expectedRevision);
      let timer: NodeJS.Timeout | undefined;
      try {
        const appending = client.appendToStream(streamId, events.map(toEsdbEvent), { expectedRevision: esdbExpected });
        appending.catch(() => undefined);
        // The client settles a batched append only on a reply or a stream error; a stream the server ends
        // cleanly would leave it pending for good.
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new EventStoreUnavailableError(`EventStoreDB did not acknowledge the append to ${streamId} within ${appendTimeoutMs} ms`),
              ),
            appendTimeoutMs,
          );
        });
        const result = await Promise.race([appending, timeout]);
        // An idempotent replay of an earlier append is acknowledged without a position.
        const position =
          result.position && result.position.commit >= 0n && result.position.prepare >= 0n
            ? formatEsdbPosition(result.position)
            : await positionOfRevision(streamId, result.nextExpectedRevision);
        return { revision: fromEsdbRevision(result.nextExpectedRevision), position };
      } catch (err) {
        throw mapEsdbError(err, { streamId, expected: expectedRevision, bytes });
      } finally {
        clearTimeout(timer);
      }
    },

    async readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      for (const [key, value] of Object.entries(opts)) {
        if (key !== 'direction' && value !== undefined && !Number.isSafeInteger(value))
          throw new RangeError(`readStream ${key} must be an integer, got ${String(value)}`);
      }
      // Like the PostgreSQL log (`revision >= from`), a start below the first revision means the first.
      const from = Math.max(1, opts.fromRevision ?? 1);
      const to = opts.toRevision ?? Number.MAX_SAFE_INTEGER;
      const maxCount = opts.maxCount ?? Number.MAX_SAFE_INTEGER;
      if (to < from || maxCount <= 0) return [];
      const backwards = opts.direction === 'backwards';
      const count = Math.min(maxCount, to - from + 1);
      const start: ReadRevision = backwards ? (opts.toRevision === undefined ? END : toEsdbRevision(to)) : toEsdbRevision(from);
      const out: RecordedEvent[] = [];
      try {
        await drain(
          client.readStream(streamId, { fromRevision: start, maxCount: count, direction: backwards ? BACKWARDS : FORWARDS }),
          (resolved) => {
            if (!resolved.event) return true;
            const event = fromEsdbEvent(resolved.event);
            // Out of range only around a truncated stream ($tb): stop once past the range's far end.
            if (event.revision > to) return backwards;
            if (event.revision < from) return !backwards;
            out.push(event);
            return out.length < count;
          },
        );
      } catch (err) {
        if (err instanceof StreamNotFoundError) return [];
        throw mapEsdbError(err);
      }
      return out;
    },

    async readAll(opts?: ReadAllOptions): Promise<RecordedEvent[]> {
      try {
        return await readAll(opts);
      } catch (err) {
        throw mapEsdbError(err);
      }
    },

    subscribeToAll,

    // $all is written in order by one leader: whatever a read sees, nothing can appear before it later.
    readableHeadPosition: () => headPosition(),

    headPosition,

    async ping(): Promise<void> {
      const read = client.readAll({ fromPosition: START, maxCount: 1, direction: FORWARDS });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        void read.cancel();
      }, pingTimeoutMs);
      try {
        await drain(read, () => false);
      } catch (err) {
        throw mapEsdbError(err);
      } finally {
        clearTimeout(timer);
      }
      if (timedOut) throw new EventStoreUnavailableError(`EventStoreDB did not answer within ${pingTimeoutMs} ms`);
    },

    async close(): Promise<void> {
      closing.abort();
      await client.dispose();
    },
  };
}

/**
 * Iterates a read with `for await` until `onItem` returns false or the read ends. A read left early is cancelled:
 * leaving the loop only destroys the client's Transform, not the gRPC call feeding it.
 */
async function drain<T>(read: StreamingRead<T>, onItem: (item: T) => boolean): Promise<void> {
  read.on('error', () => undefined);
  let finished = false;
  try {
    for await (const item of read) {
      if (!onItem(item)) return;
    }
    finished = true;
  } finally {
    if (!finished) await read.cancel().catch(() => undefined);
  }
}
