import { EventEmitter } from 'node:events';
import {
  checkExpectedRevision,
  ConcurrencyError,
  EventStoreUnavailableError,
  START_POSITION,
  subjectOf,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
} from '../event-store.ts';
import { assertAppendFits, DEFAULT_MAX_APPEND_BYTES } from '../append-size.ts';
import { ENVELOPE_FIELD } from '../encryption/payload-envelope.ts';

/**
 * The event store port in one process's memory: the same contract suite as the PostgreSQL log and EventStoreDB
 * (infra/eventstore/memory/__tests__/), so command workflows can be tested in milliseconds on a real adapter.
 * Nothing is persisted. An append is checked and applied without awaiting anything, so it is atomic as the
 * port requires; payloads are stored as JSON round trips (as a database would) and every read hands out copies,
 * so no caller can change the log by mutating what it appended or read.
 */

/** A position is the event's 1-based place in the log, zero-padded so strings sort in log order. */
function formatPosition(index: number): string {
  return String(index).padStart(20, '0');
}

function parsePosition(position: string): number {
  if (position === START_POSITION) return 0;
  if (!/^\d{1,20}$/.test(position)) throw new RangeError(`not an in-memory event log position: ${position}`);
  return Number(position);
}

const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const copyOf = (event: RecordedEvent): RecordedEvent => ({
  ...event,
  data: structuredClone(event.data),
  metadata: structuredClone(event.metadata),
  createdAt: new Date(event.createdAt),
});

function validateExpected(expected: ExpectedRevision): void {
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0))
    throw new RangeError(`invalid expected revision ${expected}`);
}

export interface MemoryEventStoreOptions {
  /** The time recorded as each event's `createdAt`. */
  clock?: () => Date;
  /** The largest append taken (bytes); the same default as the other backends. */
  maxAppendBytes?: number;
}

export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const clock = options.clock ?? (() => new Date());
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  /** The log: `log[i]` is at position i + 1. */
  const log: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const bySubject = new Map<string, RecordedEvent[]>();
  const byEventId = new Map<string, RecordedEvent>();
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new EventStoreUnavailableError('in-memory event store is closed');
  };

  /** A retried append whose events all committed, in order, to this stream answers as the first one did. */
  const alreadyAppended = (streamId: string, events: NewEvent[]): AppendResult | undefined => {
    const found = events.map((e) => byEventId.get(e.id));
    if (found.some((e) => e === undefined)) return undefined;
    const first = found[0]!;
    const consecutive = found.every((e, i) => e!.streamId === streamId && e!.revision === first.revision + i);
    if (!consecutive) return undefined;
    const last = found[found.length - 1]!;
    return { revision: last.revision, position: last.position };
  };

  const readLog = ({ fromPosition = START_POSITION, maxCount = 1000, subject }: ReadAllOptions): RecordedEvent[] => {
    const after = parsePosition(fromPosition);
    if (subject === undefined) return log.slice(after, after + maxCount).map(copyOf);
    const events = bySubject.get(subject) ?? [];
    // The subject's events are in log order: skip those at or before the cursor by binary search.
    let low = 0;
    let high = events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (parsePosition(events[mid]!.position) <= after) low = mid + 1;
      else high = mid;
    }
    return events.slice(low, low + maxCount).map(copyOf);
  };

  const readAll = async (readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    return readLog(readOptions);
  };

  const waitForAppend = (signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const finish = () => {
        appended.off('appended', finish);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      appended.once('appended', finish);
      signal?.addEventListener('abort', finish, { once: true });
    });

  /**
   * Whether an append may go ahead: the answer of the first append when this is its retry (same event ids),
   * undefined when it is new; throws when the stream is not at the expected revision.
   */
  const check = ({ streamId, events, expectedRevision }: StreamAppend): AppendResult | undefined => {
    if (events.length === 0) throw new RangeError('append needs at least one event');
    assertAppendFits(streamId, events, maxAppendBytes);
    validateExpected(expectedRevision);
    const actual = streams.get(streamId)?.length ?? 0;
    if (events.some((e) => byEventId.has(e.id))) {
      const retried = alreadyAppended(streamId, events);
      if (retried) return retried;
      throw new ConcurrencyError(streamId, expectedRevision, actual);
    }
    if (!checkExpectedRevision(expectedRevision, actual)) throw new ConcurrencyError(streamId, expectedRevision, actual);
    return undefined;
  };

  const write = (streamId: string, events: NewEvent[]): AppendResult => {
    const stream = streams.get(streamId) ?? [];
    const actual = stream.length;
    const createdAt = clock();
    const recorded = events.map((event, i): RecordedEvent => ({
      id: event.id,
      streamId,
      revision: actual + i + 1,
      position: formatPosition(log.length + i + 1),
      type: event.type,
      data: jsonCopy(event.data),
      metadata: jsonCopy(event.metadata),
      createdAt: new Date(createdAt),
    }));
    for (const event of recorded) {
      log.push(event);
      stream.push(event);
      byEventId.set(event.id, event);
      const subject = subjectOf(event.metadata);
      if (subject === null) continue;
      const subjectEvents = bySubject.get(subject);
      if (subjectEvents) subjectEvents.push(event);
      else bySubject.set(subject, [event]);
    }
    streams.set(streamId, stream);
    const last = recorded[recorded.length - 1]!;
    return { revision: last.revision, position: last.position };
  };

  return {
    kind: 'memory',
    maxAppendBytes,

    async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
      assertOpen();
      const retried = check({ streamId, events, expectedRevision });
      if (retried) return retried;
      const result = write(streamId, events);
      appended.emit('appended');
      return result;
    },

    async appendMultiple(appends: StreamAppend[]): Promise<AppendResult[]> {
      assertOpen();
      if (appends.length === 0) throw new RangeError('append needs at least one event per stream');
      if (new Set(appends.map((a) => a.streamId)).size !== appends.length) throw new RangeError('appendMultiple: each stream at most once');
      // Every stream is checked before any is written: nothing is awaited in between, so it is all or nothing.
      const retried = appends.map(check);
      if (retried.every((r) => r !== undefined)) return retried;
      const partly = appends.find((_, i) => retried[i] !== undefined);
      if (partly) throw new ConcurrencyError(partly.streamId, partly.expectedRevision, streams.get(partly.streamId)?.length ?? 0);
      const results = appends.map((a) => write(a.streamId, a.events));
      appended.emit('appended');
      return results;
    },

    async readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      assertOpen();
      const from = opts.fromRevision ?? 1;
      const to = opts.toRevision ?? Number.MAX_SAFE_INTEGER;
      const inRange = (streams.get(streamId) ?? []).filter((e) => e.revision >= from && e.revision <= to);
      if (opts.direction === 'backwards') inRange.reverse();
      return inRange.slice(0, opts.maxCount ?? Number.MAX_SAFE_INTEGER).map(copyOf);
    },

    readAll,

    async *subscribeToAll({ fromPosition = START_POSITION, batchSize = 500, signal }: SubscribeOptions = {}): AsyncIterable<
      RecordedEvent[]
    > {
      let cursor = fromPosition;
      while (!signal?.aborted && !closed) {
        const batch = readLog({ fromPosition: cursor, maxCount: batchSize });
        if (batch.length > 0) {
          cursor = batch[batch.length - 1]!.position;
          yield batch;
          continue;
        }
        // The read and this wait run in one step: no append can land between them unseen.
        await waitForAppend(signal);
      }
    },

    async headPosition(): Promise<string> {
      assertOpen();
      return log.length === 0 ? START_POSITION : formatPosition(log.length);
    },

    // Every append is readable the moment it returns: nothing commits behind another.
    async readableHeadPosition(): Promise<string> {
      assertOpen();
      return log.length === 0 ? START_POSITION : formatPosition(log.length);
    },

    async eraseStreamPayloads(streamId: string, beforeRevision: number): Promise<number> {
      assertOpen();
      let erased = 0;
      for (const event of streams.get(streamId) ?? []) {
        if (event.redacted || event.revision >= beforeRevision) continue;
        event.data = {};
        event.redacted = true;
        erased++;
      }
      return erased;
    },

    async eraseClearPayloads(dataSubject: string): Promise<number> {
      assertOpen();
      let erased = 0;
      for (const event of bySubject.get(dataSubject) ?? []) {
        if (event.redacted || ENVELOPE_FIELD in event.data) continue;
        // The log's records are shared by every index: redact in place.
        event.data = {};
        event.redacted = true;
        erased++;
      }
      return erased;
    },

    async ping(): Promise<void> {
      assertOpen();
    },

    async close(): Promise<void> {
      closed = true;
      appended.emit('appended');
    },
  };
}
