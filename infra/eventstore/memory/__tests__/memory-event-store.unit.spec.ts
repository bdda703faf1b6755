import { describe, expect, test } from '@jest/globals';
import { newId } from '../../../../shared/ids.ts';
import { eventStoreContract } from '../../contract/event-store-contract.ts';
import { ENVELOPE_FIELD } from '../../encryption/payload-envelope.ts';
import { EventStoreUnavailableError, type NewEvent } from '../../event-store.ts';
import { createMemoryEventStore } from '../memory-event-store.ts';

eventStoreContract('in-memory event log', async () => {
  const store = createMemoryEventStore();
  return { store, teardown: () => store.close() };
});

describe('in-memory event log', () => {
  const ev = (type: string, data: Record<string, unknown>, metadata: Partial<NewEvent['metadata']> = {}): NewEvent => ({
    id: newId(),
    type,
    data,
    metadata: { userId: 'alice', correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1, ...metadata },
  });

  test('the log cannot be changed by mutating what was appended or read', async () => {
    const store = createMemoryEventStore();
    const appended = ev('Named', { name: 'Seraphina', tags: ['forest'] });
    await store.append('s-1', [appended], 'no_stream');
    (appended.data.tags as string[]).push('changed');
    appended.metadata.userId = 'mallory';
    const [read] = await store.readStream('s-1');
    (read!.data.tags as string[]).push('changed too');
    read!.metadata.userId = 'mallory';
    const [again] = await store.readAll();
    expect(again!.data).toEqual({ name: 'Seraphina', tags: ['forest'] });
    expect(again!.metadata.userId).toBe('alice');
  });

  test('payloads are stored as JSON, as a database stores them', async () => {
    const store = createMemoryEventStore();
    await store.append('s-1', [ev('Dated', { at: new Date('2026-12-07T15:00:00Z'), gone: undefined })], 'no_stream');
    expect((await store.readStream('s-1'))[0]!.data).toEqual({ at: '2026-12-07T15:00:00.000Z' });
  });

  test('createdAt comes from the clock it is given', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const store = createMemoryEventStore({ clock: () => at });
    await store.append('s-1', [ev('A', {})], 'no_stream');
    expect((await store.readStream('s-1'))[0]!.createdAt).toEqual(at);
  });

  test("eraseClearPayloads redacts the subject's payloads stored in clear, and only those", async () => {
    const store = createMemoryEventStore();
    await store.append(
      's-1',
      [
        ev('Mine', { text: 'secret' }),
        ev('ForAlice', { text: 'by admin' }, { userId: 'admin', dataSubject: 'alice' }),
        ev('Sealed', { [ENVELOPE_FIELD]: { v: 1 } }),
        ev('Audit', { text: 'nobody' }, { userId: 'alice', dataSubject: null }),
        ev('Bobs', { text: 'bob' }, { userId: 'bob' }),
      ],
      'no_stream',
    );
    expect(await store.eraseClearPayloads!('alice')).toBe(2);
    expect(await store.eraseClearPayloads!('alice')).toBe(0);
    const events = await store.readStream('s-1');
    expect(events.map((e) => [e.type, e.redacted ?? false, e.data])).toEqual([
      ['Mine', true, {}],
      ['ForAlice', true, {}],
      ['Sealed', false, { [ENVELOPE_FIELD]: { v: 1 } }],
      ['Audit', false, { text: 'nobody' }],
      ['Bobs', false, { text: 'bob' }],
    ]);
    expect((await store.readAll({ subject: 'alice' })).map((e) => [e.type, e.redacted ?? false])).toEqual([
      ['Mine', true],
      ['ForAlice', true],
      ['Sealed', false],
    ]);
  });

  test('a closed store is unavailable and ends its subscriptions', async () => {
    const store = createMemoryEventStore();
    const subscription = (async () => {
      const batches = [];
      for await (const batch of store.subscribeToAll()) batches.push(batch);
      return batches;
    })();
    await store.close();
    await expect(subscription).resolves.toEqual([]);
    await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.append('s-1', [ev('A', {})], 'any')).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });

  test('bad arguments are refused', async () => {
    const store = createMemoryEventStore();
    await expect(store.append('s-1', [], 'any')).rejects.toBeInstanceOf(RangeError);
    await expect(store.append('s-1', [ev('A', {})], -1)).rejects.toBeInstanceOf(RangeError);
    await expect(store.readAll({ fromPosition: 'not-a-position' })).rejects.toBeInstanceOf(RangeError);
  });
});
