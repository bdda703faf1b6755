/**
 * An in-memory stand-in for the parts of `@eventstore/db-client` 6.2.1 the adapter uses, for tests on machines
 * where no EventStoreDB server can run. It reproduces the client's observable behaviour as read in its sources
 * (not a server): 0-based revisions and bigint positions; a forward `readAll` that INCLUDES the event at its
 * starting position while a subscription starts AFTER it; a missing stream failing the read with
 * StreamNotFoundError; WrongExpectedVersionError on conflicts; idempotent re-appends of the same event ids
 * answered without a position; system events interleaved in `$all`; subscriptions that drop with an error.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type AppendResult,
  type EventData,
  type Position,
  type SubscribeToAllOptions,
} from '@eventstore/db-client';
import type { EsdbClient } from '../esdb-event-store.ts';

interface StoredEvent {
  streamId: string;
  id: string;
  isJson: true;
  revision: bigint;
  type: string;
  created: Date;
  data: unknown;
  metadata: unknown;
  position: Position;
}

interface FakeSubscription {
  stream: Readable;
  live: boolean;
  after: string;
  typeRegex?: RegExp;
}

export interface FakeEsdbClient extends EsdbClient {
  /** Every event in `$all` order, system events included. */
  readonly log: readonly StoredEvent[];
  /** Appends a system event (as the server's stats and projections do). */
  appendSystemEvent(streamId?: string, type?: string): void;
  /** Fails every open subscription as a lost connection would; events not yet read are discarded. */
  dropSubscriptions(): number;
  /** Makes every later read hang until cancelled (an unresponsive server). */
  hangReads(hang: boolean): void;
  /** Makes every later append stay unanswered (a batch-append stream ended without an error). */
  hangAppends(hang: boolean): void;
  readonly openSubscriptions: number;
}

const key = (p: Position) => `${p.commit.toString().padStart(20, '0')}-${p.prepare.toString().padStart(20, '0')}`;
const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

function resolved(event: StoredEvent) {
  return { event: { ...event, data: copy(event.data), metadata: copy(event.metadata) }, commitPosition: event.position.commit };
}

/** A Readable that delivers `items` a few per tick (like a network read), then ends or fails. */
function readOf<T>(items: T[], failWith?: Error, hang = false): Readable & { cancel(): Promise<void> } {
  const stream = new Readable({ objectMode: true, read() {} });
  let index = 0;
  const pump = () => {
    if (stream.destroyed) return;
    for (let i = 0; i < 3 && index < items.length; i++) stream.push(items[index++]);
    if (index < items.length) return void setImmediate(pump);
    if (failWith) stream.destroy(failWith);
    else if (!hang) stream.push(null);
  };
  setImmediate(pump);
  return Object.assign(stream, {
    async cancel() {
      stream.push(null);
    },
  });
}

export function createFakeEsdbClient(
  options: {
    systemEventEvery?: number;
    /** What an idempotent replay is acknowledged with; default none. */ idempotentAckPosition?: Position;
  } = {},
): FakeEsdbClient {
  const log: StoredEvent[] = [];
  const streams = new Map<string, StoredEvent[]>();
  const subscriptions = new Set<FakeSubscription>();
  const systemEventEvery = options.systemEventEvery ?? 3;
  let offset = 4096n;
  let appends = 0;
  let hang = false;
  let hangAppends = false;

  const write = (streamId: string, events: readonly EventData[]): StoredEvent[] => {
    const stream = streams.get(streamId) ?? [];
    const written: StoredEvent[] = [];
    const prepares = events.map(() => (offset += 97n + BigInt(Math.floor(Math.random() * 50))));
    // Events of one append share the transaction's commit position and differ by prepare position.
    const commit = (offset += 13n);
    events.forEach((e, i) => {
      const stored: StoredEvent = {
        streamId,
        id: e.id,
        isJson: true,
        revision: BigInt(stream.length),
        type: e.type,
        created: new Date(),
        data: copy(e.data),
        metadata: copy(e.metadata),
        position: { commit, prepare: prepares[i]! },
      };
      stream.push(stored);
      log.push(stored);
      written.push(stored);
    });
    streams.set(streamId, stream);
    for (const sub of subscriptions) {
      if (!sub.live) continue;
      for (const stored of written) if (!sub.typeRegex || sub.typeRegex.test(stored.type)) sub.stream.push(resolved(stored));
    }
    return written;
  };

  const appendSystemEvent = (streamId = '$stats-127.0.0.1:2113', type = '$statsCollected') => {
    write(streamId, [{ id: randomUUID(), contentType: 'application/json', type, data: { cpu: 1 }, metadata: undefined }]);
  };

  /** The revision just before a run of the given ids already in the stream, if the whole run is there. */
  const findRun = (stream: StoredEvent[], ids: string[]): bigint | undefined => {
    const start = stream.findIndex((e) => e.id === ids[0]);
    if (start < 0) return undefined;
    return ids.every((id, i) => stream[start + i]?.id === id) ? BigInt(start) - 1n : undefined;
  };

  const fake: FakeEsdbClient = {
    log,
    get openSubscriptions() {
      return subscriptions.size;
    },
    appendSystemEvent,
    hangReads(value: boolean) {
      hang = value;
    },
    hangAppends(value: boolean) {
      hangAppends = value;
    },
    dropSubscriptions() {
      const n = subscriptions.size;
      for (const sub of [...subscriptions]) {
        subscriptions.delete(sub);
        sub.stream.destroy(new UnavailableError(undefined, '14 UNAVAILABLE: Connection dropped'));
      }
      return n;
    },

    async appendToStream(
      streamName: string,
      event: EventData | EventData[],
      opts: { expectedRevision?: AppendExpectedRevision } = {},
    ): Promise<AppendResult> {
      const events = Array.isArray(event) ? event : [event];
      const expected = opts.expectedRevision ?? ANY;
      if (hangAppends) return new Promise<never>(() => undefined);
      await new Promise((r) => setImmediate(r));
      const stream = streams.get(streamName) ?? [];
      const current = stream.length === 0 ? undefined : BigInt(stream.length - 1);
      const ids = events.map((e) => e.id);
      const run = findRun(stream, ids);
      const idempotent = (before: bigint): AppendResult => ({
        success: true,
        nextExpectedRevision: before + BigInt(ids.length),
        ...(options.idempotentAckPosition ? { position: options.idempotentAckPosition } : {}),
      });
      const conflict = () =>
        new WrongExpectedVersionError(undefined, { streamName, expected, current: current === undefined ? NO_STREAM : current });
      if (expected === NO_STREAM) {
        if (current !== undefined) {
          if (run === -1n) return idempotent(-1n);
          throw conflict();
        }
      } else if (expected === STREAM_EXISTS) {
        if (current === undefined) throw conflict();
        if (run !== undefined) return idempotent(run);
      } else if (expected === ANY) {
        if (run !== undefined) return idempotent(run);
      } else if (expected !== current) {
        if (run === expected) return idempotent(run);
        throw conflict();
      }
      const written = write(streamName, events);
      if (systemEventEvery > 0 && ++appends % systemEventEvery === 0) appendSystemEvent();
      const last = written[written.length - 1]!;
      return { success: true, nextExpectedRevision: last.revision, position: last.position };
    },

    readStream(
      streamName: string,
      opts: { fromRevision?: bigint | typeof START | typeof END; maxCount?: number | bigint; direction?: string } = {},
    ) {
      const stream = streams.get(streamName);
      const max = Number(opts.maxCount ?? Number.MAX_SAFE_INTEGER);
      if (!stream || stream.length === 0) return readOf([], new StreamNotFoundError(undefined, streamName)) as never;
      let items: StoredEvent[];
      if (opts.direction === BACKWARDS) {
        const from =
          opts.fromRevision === undefined || opts.fromRevision === END
            ? BigInt(stream.length - 1)
            : opts.fromRevision === START
              ? 0n
              : opts.fromRevision;
        items = stream.filter((e) => e.revision <= from).reverse();
      } else {
        const from =
          opts.fromRevision === undefined || opts.fromRevision === START
            ? 0n
            : opts.fromRevision === END
              ? BigInt(stream.length)
              : opts.fromRevision;
        items = stream.filter((e) => e.revision >= from);
      }
      return readOf(items.slice(0, max).map(resolved), undefined, hang) as never;
    },

    readAll(opts: { fromPosition?: Position | typeof START | typeof END; maxCount?: number | bigint; direction?: string } = {}) {
      const max = Number(opts.maxCount ?? Number.MAX_SAFE_INTEGER);
      const from = opts.fromPosition ?? (opts.direction === BACKWARDS ? END : START);
      let items: StoredEvent[];
      if (opts.direction === BACKWARDS) {
        items = [...log].reverse();
        // Inclusive of the starting position, like the forward read (the adapter must cope either way).
        if (from !== END && from !== START) items = items.filter((e) => key(e.position) <= key(from));
        if (from === START) items = [];
      } else {
        items = log;
        if (from === END) items = [];
        else if (from !== START) items = items.filter((e) => key(e.position) >= key(from));
      }
      return readOf(items.slice(0, max).map(resolved), undefined, hang) as never;
    },

    subscribeToAll(opts: SubscribeToAllOptions = {}) {
      const stream = new Readable({ objectMode: true, read() {} });
      const from = opts.fromPosition ?? START;
      const sub: FakeSubscription = {
        stream,
        live: false,
        after: from === START ? '' : from === END ? '\uffff' : key(from),
        ...(opts.filter && 'regex' in opts.filter ? { typeRegex: new RegExp(opts.filter.regex) } : {}),
      };
      subscriptions.add(sub);
      setImmediate(() => {
        if (stream.destroyed || !subscriptions.has(sub)) return;
        for (const e of log) if (key(e.position) > sub.after && (!sub.typeRegex || sub.typeRegex.test(e.type))) stream.push(resolved(e));
        sub.live = true;
      });
      return Object.assign(stream, {
        async unsubscribe() {
          subscriptions.delete(sub);
          if (!stream.destroyed) stream.push(null);
        },
      }) as never;
    },

    async dispose() {
      for (const sub of [...subscriptions]) {
        subscriptions.delete(sub);
        if (!sub.stream.destroyed) sub.stream.push(null);
      }
    },
  };
  return fake;
}
