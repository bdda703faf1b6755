import { afterEach, describe, expect, test } from '@jest/globals';
import { newId } from '../../../../shared/ids.ts';
import { eventStoreContract } from '../../contract/event-store-contract.ts';
import { EventStoreUnavailableError, START_POSITION, type EventStore, type NewEvent, type RecordedEvent } from '../../event-store.ts';
import { createEsdbEventStoreWithClient } from '../esdb-event-store.ts';
import { createFakeEsdbClient, type FakeEsdbClient } from './esdb-fake-client.ts';

/*
 * The adapter's own logic (paging, exclusive starts, filtering system events, resubscribing) against an
 * in-memory fake of the client. The real server is covered by esdb-event-store.int.spec.ts (EVENTSTORE_URL).
 */

eventStoreContract('EventStoreDB adapter over the in-memory fake client', async () => {
  const store = createEsdbEventStoreWithClient(createFakeEsdbClient(), { resubscribeMinDelayMs: 1 });
  return { store, teardown: () => store.close() };
});

const ev = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  id: newId(),
  type,
  data,
  metadata: { userId: 'u1', correlationId: 'c1', causationId: 'c0', requestId: 'r1', schemaVersion: 1 },
});

describe('EventStoreDB adapter specifics (fake client)', () => {
  let client: FakeEsdbClient;
  let store: EventStore;
  const warnings: object[] = [];
  const open = (systemEventEvery = 0) => {
    client = createFakeEsdbClient({ systemEventEvery });
    store = createEsdbEventStoreWithClient(client, {
      resubscribeMinDelayMs: 1,
      resubscribeMaxDelayMs: 5,
      pingTimeoutMs: 50,
      logger: { warn: (obj) => void warnings.push(obj) },
    });
  };
  afterEach(async () => {
    await store.close();
    warnings.length = 0;
  });

  test('events and metadata are written with the reserved $correlationId/$causationId and read back without them', async () => {
    open();
    const e = ev('A', { n: 1 });
    await store.append('s-1', [e], 'no_stream');
    expect(client.log[0]!.metadata).toMatchObject({ correlationId: 'c1', $correlationId: 'c1', $causationId: 'c0' });
    const [read] = await store.readStream('s-1');
    expect(read!.metadata).toEqual(e.metadata);
    expect(read!.revision).toBe(1);
    expect(client.log[0]!.revision).toBe(0n);
  });

  test('readAll never returns its starting event (the client includes it) nor system events', async () => {
    open();
    await store.append('s-1', [ev('A1'), ev('A2')], 'no_stream');
    client.appendSystemEvent();
    client.appendSystemEvent('$$s-1', '$metadata');
    client.appendSystemEvent('$ce-s', 'Projected');
    await store.append('s-2', [ev('B1')], 'no_stream');
    client.appendSystemEvent();
    const all = await store.readAll();
    expect(all.map((e) => e.type)).toEqual(['A1', 'A2', 'B1']);
    expect((await store.readAll({ fromPosition: all[0]!.position })).map((e) => e.type)).toEqual(['A2', 'B1']);
    expect(await store.readAll({ fromPosition: all[2]!.position })).toEqual([]);
    expect((await store.readAll({ maxCount: 1 })).map((e) => e.type)).toEqual(['A1']);
  });

  test('readAll pages through long runs of system events', async () => {
    open();
    await store.append('s-1', [ev('First')], 'no_stream');
    for (let i = 0; i < 200; i++) client.appendSystemEvent();
    await store.append('s-1', [ev('Second')], 1);
    const first = (await store.readAll({ maxCount: 1 }))[0]!;
    expect((await store.readAll({ fromPosition: first.position, maxCount: 1 })).map((e) => e.type)).toEqual(['Second']);
  });

  test('headPosition is the newest event of ours, past system events on top of it, or START_POSITION', async () => {
    open();
    expect(await store.headPosition()).toBe(START_POSITION);
    client.appendSystemEvent();
    expect(await store.headPosition()).toBe(START_POSITION);
    const { position } = await store.append('s-1', [ev('A')], 'no_stream');
    for (let i = 0; i < 300; i++) client.appendSystemEvent();
    expect(await store.headPosition()).toBe(position);
  });

  test('readStream: missing stream, truncation by range, backwards ranges', async () => {
    open();
    expect(await store.readStream('nope')).toEqual([]);
    await store.append(
      's-1',
      ['A', 'B', 'C', 'D', 'E'].map((t) => ev(t)),
      'no_stream',
    );
    const types = (events: RecordedEvent[]) => events.map((e) => e.type);
    expect(types(await store.readStream('s-1', { direction: 'backwards', fromRevision: 2, toRevision: 4 }))).toEqual(['D', 'C', 'B']);
    expect(types(await store.readStream('s-1', { direction: 'backwards', fromRevision: 4 }))).toEqual(['E', 'D']);
    expect(types(await store.readStream('s-1', { toRevision: 2 }))).toEqual(['A', 'B']);
    expect(await store.readStream('s-1', { fromRevision: 4, toRevision: 3 })).toEqual([]);
    expect(types(await store.readStream('s-1', { fromRevision: 0, maxCount: 2 }))).toEqual(['A', 'B']); // as the PostgreSQL log
    await expect(store.readStream('s-1', { fromRevision: 1.5 })).rejects.toThrow(RangeError);
  });

  test('an idempotent re-append (answered without a position) still returns the original position', async () => {
    open();
    const events = [ev('A'), ev('B')];
    const first = await store.append('s-1', events, 'no_stream');
    await store.append('s-1', [ev('C')], 2);
    const again = await store.append('s-1', events, 'no_stream');
    expect(again).toEqual(first);
  });

  test('an idempotent replay acknowledged with position -1/-1 (no position) still returns the original position', async () => {
    client = createFakeEsdbClient({ systemEventEvery: 0, idempotentAckPosition: { commit: -1n, prepare: -1n } });
    store = createEsdbEventStoreWithClient(client);
    const events = [ev('A')];
    const first = await store.append('s-1', events, 'no_stream');
    await expect(store.append('s-1', events, 'no_stream')).resolves.toEqual(first);
  });

  test('an append the server never acknowledges fails with EventStoreUnavailableError after appendTimeoutMs', async () => {
    client = createFakeEsdbClient();
    store = createEsdbEventStoreWithClient(client, { appendTimeoutMs: 50 });
    client.hangAppends(true);
    await expect(store.append('s-1', [ev('A')], 'no_stream')).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });

  test('a subscription that drops resubscribes from the last delivered event: nothing lost, nothing twice', async () => {
    open(2);
    const controller = new AbortController();
    const seen: RecordedEvent[] = [];
    const total = 120;
    const subscriber = (async () => {
      for await (const batch of store.subscribeToAll({ signal: controller.signal, batchSize: 7 })) {
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(7);
        seen.push(...batch);
        if (seen.length >= total) controller.abort();
      }
    })();
    let drops = 0;
    for (let i = 0; i < total; i++) {
      await store.append(`s-${i % 5}`, [ev('E', { i })], 'any');
      if (i % 17 === 5) drops += client.dropSubscriptions();
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await subscriber;
    expect(drops).toBeGreaterThan(0);
    expect(warnings.length).toBeGreaterThan(0);
    expect(seen.map((e) => e.data.i)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(client.openSubscriptions).toBe(0);
  });

  test('a subscription ends when its signal aborts, and when the store closes', async () => {
    open();
    const controller = new AbortController();
    const idle = (async () => {
      for await (const _ of store.subscribeToAll({ signal: controller.signal })) void _;
    })();
    const untilClosed = (async () => {
      for await (const _ of store.subscribeToAll()) void _;
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect(client.openSubscriptions).toBe(2);
    controller.abort();
    await idle;
    await store.close();
    await untilClosed;
    expect(client.openSubscriptions).toBe(0);
  });

  test('ping fails with EventStoreUnavailableError when the server does not answer', async () => {
    open();
    await expect(store.ping()).resolves.toBeUndefined();
    client.hangReads(true);
    await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });
});
