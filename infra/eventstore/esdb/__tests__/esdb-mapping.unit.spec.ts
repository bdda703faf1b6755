import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import type { ServiceError } from '@grpc/grpc-js';
import { ConcurrencyError, EventStoreUnavailableError, type EventMetadata } from '../../event-store.ts';
import {
  formatEsdbPosition,
  fromEsdbCurrentRevision,
  fromEsdbEvent,
  fromEsdbExpectedRevision,
  fromEsdbMetadata,
  fromEsdbRevision,
  isSystemEvent,
  isTransientEsdbError,
  mapEsdbError,
  parseEsdbPosition,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbMetadata,
  toEsdbRevision,
} from '../esdb-mapping.ts';

const metadata: EventMetadata = { userId: 'u1', correlationId: 'c1', causationId: 'c0', requestId: 'r1', schemaVersion: 1 };

describe('revisions (ours count events from 1, EventStoreDB indexes from 0)', () => {
  test('recorded revisions', () => {
    expect(fromEsdbRevision(0n)).toBe(1);
    expect(fromEsdbRevision(41n)).toBe(42);
    expect(toEsdbRevision(1)).toBe(0n);
    expect(toEsdbRevision(42)).toBe(41n);
    expect(() => toEsdbRevision(0)).toThrow(RangeError);
    expect(() => toEsdbRevision(1.5)).toThrow(RangeError);
    expect(() => fromEsdbRevision(-1n)).toThrow(RangeError);
    expect(() => fromEsdbRevision(BigInt(Number.MAX_SAFE_INTEGER))).toThrow(RangeError);
  });

  test('the round trip is the identity', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (r) => fromEsdbRevision(toEsdbRevision(r)) === r));
  });

  test('expected revisions', () => {
    expect(toEsdbExpectedRevision('any')).toBe('any');
    expect(toEsdbExpectedRevision('no_stream')).toBe('no_stream');
    expect(toEsdbExpectedRevision('stream_exists')).toBe('stream_exists');
    // "at revision 0" = "has no events"; EventStoreDB can only say that with NO_STREAM.
    expect(toEsdbExpectedRevision(0)).toBe('no_stream');
    expect(toEsdbExpectedRevision(1)).toBe(0n);
    expect(toEsdbExpectedRevision(7)).toBe(6n);
    expect(() => toEsdbExpectedRevision(-1)).toThrow(RangeError);
    expect(() => toEsdbExpectedRevision(2.5)).toThrow(RangeError);
    expect(fromEsdbExpectedRevision(6n)).toBe(7);
    expect(fromEsdbExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(fromEsdbExpectedRevision(-1n)).toBe('no_stream');
  });

  test('the current revision reported by a conflict', () => {
    expect(fromEsdbCurrentRevision('no_stream')).toBe(0);
    expect(fromEsdbCurrentRevision(-1n)).toBe(0);
    expect(fromEsdbCurrentRevision(0n)).toBe(1);
    expect(fromEsdbCurrentRevision(9n)).toBe(10);
  });
});

describe('positions', () => {
  test('are zero-padded "<commit>-<prepare>"', () => {
    expect(formatEsdbPosition({ commit: 1234n, prepare: 1200n })).toBe('00000000000000001234-00000000000000001200');
    expect(formatEsdbPosition({ commit: 2n ** 64n - 1n, prepare: 0n })).toBe('18446744073709551615-00000000000000000000');
    expect(() => formatEsdbPosition({ commit: -1n, prepare: -1n })).toThrow(RangeError);
    expect(() => formatEsdbPosition({ commit: 2n ** 64n, prepare: 0n })).toThrow(RangeError);
  });

  test('parse back, and reject what is not a position', () => {
    expect(parseEsdbPosition('00000000000000001234-00000000000000001200')).toEqual({ commit: 1234n, prepare: 1200n });
    expect(parseEsdbPosition('5-3')).toEqual({ commit: 5n, prepare: 3n });
    for (const bad of ['', 'start', '12', '-1-2', '1-2-3', '1:2', ' 1-2', '99999999999999999999-0']) {
      expect(() => parseEsdbPosition(bad)).toThrow(RangeError);
    }
  });

  const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
  const position = fc.record({ commit: u64, prepare: u64 });

  test('round trip', () => {
    fc.assert(
      fc.property(position, (p) => {
        expect(parseEsdbPosition(formatEsdbPosition(p))).toEqual(p);
      }),
    );
  });

  test('string order is log order (commit, then prepare), and every position sorts after START_POSITION', () => {
    fc.assert(
      fc.property(position, position, (a, b) => {
        const tupleOrder = a.commit === b.commit ? Math.sign(Number(a.prepare - b.prepare)) : Math.sign(Number(a.commit - b.commit));
        const sa = formatEsdbPosition(a);
        const sb = formatEsdbPosition(b);
        const stringOrder = sa === sb ? 0 : sa < sb ? -1 : 1;
        expect(stringOrder).toBe(tupleOrder);
        expect(sa > '').toBe(true);
      }),
    );
  });
});

describe('errors', () => {
  test('WrongExpectedVersionError becomes ConcurrencyError with our revisions', () => {
    const err = new WrongExpectedVersionError(undefined, { streamName: 'chat-1', expected: 1n, current: 4n });
    const mapped = mapEsdbError(err, { streamId: 'chat-1', expected: 2 });
    expect(mapped).toBeInstanceOf(ConcurrencyError);
    expect(mapped).toMatchObject({ streamId: 'chat-1', expected: 2, actual: 5, code: 'concurrency_conflict' });
  });

  test('a conflict on a missing stream reports revision 0; without context the error itself is used', () => {
    const err = new WrongExpectedVersionError(undefined, { streamName: 'chat-2', expected: 'stream_exists', current: 'no_stream' });
    expect(mapEsdbError(err)).toMatchObject({ streamId: 'chat-2', expected: 'stream_exists', actual: 0 });
    const exact = new WrongExpectedVersionError(undefined, { streamName: 'chat-3', expected: 0n, current: 2n });
    expect(mapEsdbError(exact)).toMatchObject({ streamId: 'chat-3', expected: 1, actual: 3 });
  });

  test('unavailable, deadline, cancelled-by-server and not-leader become EventStoreUnavailableError', () => {
    const notLeader = new NotLeaderError({
      code: 5,
      details: 'not leader',
      message: 'not leader',
      metadata: { getMap: () => ({ 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' }) },
    } as unknown as ServiceError);
    for (const err of [new UnavailableError(undefined, 'down'), new DeadlineExceededError(), new CancelledError(), notLeader]) {
      expect(isTransientEsdbError(err)).toBe(true);
      const mapped = mapEsdbError(err);
      expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
      expect((mapped as EventStoreUnavailableError).cause).toBe(err);
    }
  });

  test('raw gRPC UNAVAILABLE/DEADLINE_EXCEEDED and failed cluster discovery are transient too', () => {
    const raw = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
    expect(mapEsdbError(raw)).toBeInstanceOf(EventStoreUnavailableError);
    expect(mapEsdbError(Object.assign(new Error('deadline'), { code: 4 }))).toBeInstanceOf(EventStoreUnavailableError);
    expect(mapEsdbError(new Error('Failed to discover after 10 attempts.'))).toBeInstanceOf(EventStoreUnavailableError);
  });

  test('everything else is passed through unchanged', () => {
    const notFound = new StreamNotFoundError(undefined, 'chat-9');
    const denied = new AccessDeniedError();
    const plain = new TypeError('bug');
    expect(mapEsdbError(notFound)).toBe(notFound);
    expect(mapEsdbError(denied)).toBe(denied);
    expect(mapEsdbError(plain)).toBe(plain);
    expect(mapEsdbError('not an error')).toBe('not an error');
    expect(isTransientEsdbError(denied)).toBe(false);
  });
});

describe('metadata', () => {
  test('written with the reserved $correlationId/$causationId as well', () => {
    expect(toEsdbMetadata({ ...metadata, traceId: 't1' })).toEqual({
      ...metadata,
      traceId: 't1',
      $correlationId: 'c1',
      $causationId: 'c0',
    });
  });

  test('our own `$` keys cannot override the reserved ones', () => {
    const sneaky = { ...metadata, $correlationId: 'other', $maxAge: 1 } as EventMetadata;
    expect(toEsdbMetadata(sneaky)).toEqual({ ...metadata, $correlationId: 'c1', $causationId: 'c0' });
  });

  test('read back without the `$` keys', () => {
    expect(fromEsdbMetadata(toEsdbMetadata({ ...metadata, extra: [1, 2] }))).toEqual({ ...metadata, extra: [1, 2] });
  });

  test('events written by other tooling with only the reserved names still carry correlation and causation', () => {
    expect(fromEsdbMetadata({ $correlationId: 'c9', $causationId: 'c8', userId: 'u' })).toEqual({
      correlationId: 'c9',
      causationId: 'c8',
      userId: 'u',
    });
  });

  test('non-object metadata is rejected', () => {
    for (const bad of [undefined, null, 'x', [1], new Uint8Array([1])]) expect(() => fromEsdbMetadata(bad)).toThrow(TypeError);
  });
});

describe('events', () => {
  const recorded = (overrides: Partial<Record<string, unknown>> = {}) =>
    ({
      streamId: 'chat-1',
      id: '0190f7a0-0000-7000-8000-000000000001',
      isJson: true,
      revision: 0n,
      type: 'MessagePosted',
      created: new Date('2026-01-02T03:04:05Z'),
      data: { text: 'hi' },
      metadata: toEsdbMetadata(metadata),
      position: { commit: 100n, prepare: 90n },
      ...overrides,
    }) as unknown as EsdbRecordedEvent;

  test('a new event becomes a JSON event with its id and both metadata flavours', () => {
    const data = toEsdbEvent({ id: '0190f7a0-0000-7000-8000-000000000001', type: 'MessagePosted', data: { text: 'hi' }, metadata });
    expect(data).toEqual({
      id: '0190f7a0-0000-7000-8000-000000000001',
      contentType: 'application/json',
      type: 'MessagePosted',
      data: { text: 'hi' },
      metadata: { ...metadata, $correlationId: 'c1', $causationId: 'c0' },
    });
  });

  test('a recorded event maps to the port shape', () => {
    expect(fromEsdbEvent(recorded())).toEqual({
      id: '0190f7a0-0000-7000-8000-000000000001',
      streamId: 'chat-1',
      revision: 1,
      position: '00000000000000000100-00000000000000000090',
      type: 'MessagePosted',
      data: { text: 'hi' },
      metadata,
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
  });

  test('binary events, unparseable data, missing positions and bad metadata fail loudly', () => {
    expect(() => fromEsdbEvent(recorded({ isJson: false, data: new Uint8Array([1]) }))).toThrow(/not JSON/);
    expect(() => fromEsdbEvent(recorded({ data: '{broken' }))).toThrow(/not a JSON object/);
    expect(() => fromEsdbEvent(recorded({ position: undefined }))).toThrow(/22\.6/);
    expect(() => fromEsdbEvent(recorded({ metadata: undefined }))).toThrow(/metadata/);
  });

  test('system events are `$` types or live in `$` streams', () => {
    expect(isSystemEvent({ streamId: 'chat-1', type: 'MessagePosted' })).toBe(false);
    expect(isSystemEvent({ streamId: 'chat-1', type: '$metadata' })).toBe(true);
    expect(isSystemEvent({ streamId: '$stats-127.0.0.1:2113', type: 'StatsCollected' })).toBe(true);
    expect(isSystemEvent({ streamId: '$$chat-1', type: '$metadata' })).toBe(true);
  });
});
