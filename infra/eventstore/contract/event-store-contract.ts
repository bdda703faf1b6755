import { randomUUID } from 'node:crypto';
import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { newId } from '../../../shared/ids.ts';
import { chunkEntries } from '../../../shared/world-books/entry-chunks.ts';
import { createEntry } from '../../../shared/worldinfo/entry.ts';
import { AppendTooLargeError, assertAppendFits, DEFAULT_MAX_APPEND_BYTES, splitForAppend } from '../append-size.ts';
import { ConcurrencyError, START_POSITION, subjectOf, type EventStore, type NewEvent, type RecordedEvent } from '../event-store.ts';

/**
 * One behavioural contract for every event store adapter. Each adapter's spec calls this with a factory; the
 * streams use a random prefix so the suite can run against a shared server.
 */
export function eventStoreContract(name: string, setup: () => Promise<{ store: EventStore; teardown: () => Promise<void> }>): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    let teardown: () => Promise<void>;
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const stream = (label: string) => `${prefix}-${label}-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown?.();
    });

    const ev = (type: string, data: Record<string, unknown> = {}, userId = 'u1'): NewEvent => ({
      id: newId(),
      type,
      data,
      metadata: { userId, correlationId: 'c1', causationId: 'c0', requestId: 'r1', schemaVersion: 1 },
    });

    test('a new stream starts at revision 1 and counts its events', async () => {
      const s = stream('new');
      const r1 = await store.append(s, [ev('A'), ev('B')], 'no_stream');
      expect(r1.revision).toBe(2);
      const r2 = await store.append(s, [ev('C')], 2);
      expect(r2.revision).toBe(3);
      expect(r2.position > r1.position).toBe(true);
      const events = await store.readStream(s);
      expect(events.map((e) => [e.type, e.revision])).toEqual([
        ['A', 1],
        ['B', 2],
        ['C', 3],
      ]);
      expect(events.every((e) => e.streamId === s)).toBe(true);
    });

    test('data and metadata survive the round trip', async () => {
      const s = stream('meta');
      const e = ev('Typed', { text: 'Ünïcødé ✓ "quotes" \\ back', nested: { list: [1, 2, { x: null }] }, big: 2 ** 52 }, 'user-42');
      await store.append(s, [e], 'any');
      const [read] = await store.readStream(s);
      expect(read!.id).toBe(e.id);
      expect(read!.data).toEqual(e.data);
      expect(read!.metadata).toMatchObject(e.metadata);
      expect(read!.createdAt).toBeInstanceOf(Date);
    });

    test('expected revision: no_stream fails on an existing stream', async () => {
      const s = stream('nostream');
      await store.append(s, [ev('A')], 'no_stream');
      const err = await store.append(s, [ev('B')], 'no_stream').catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect((err as ConcurrencyError).actual).toBe(1);
    });

    test('expected revision: stream_exists fails on a missing stream and passes on an existing one', async () => {
      const s = stream('exists');
      await expect(store.append(s, [ev('A')], 'stream_exists')).rejects.toBeInstanceOf(ConcurrencyError);
      await store.append(s, [ev('A')], 'any');
      await expect(store.append(s, [ev('B')], 'stream_exists')).resolves.toMatchObject({ revision: 2 });
    });

    test('expected revision: a stale exact revision fails with the actual one and appends nothing', async () => {
      const s = stream('exact');
      await store.append(s, [ev('A'), ev('B')], 'no_stream');
      const err = await store.append(s, [ev('C')], 1).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect((err as ConcurrencyError).actual).toBe(2);
      expect((err as ConcurrencyError).expected).toBe(1);
      expect(await store.readStream(s)).toHaveLength(2);
      await expect(store.append(s, [ev('C')], 0)).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append(s, [ev('C')], 3)).rejects.toBeInstanceOf(ConcurrencyError);
    });

    test('expected revision: any always appends', async () => {
      const s = stream('any');
      await store.append(s, [ev('A')], 'any');
      await store.append(s, [ev('B')], 'any');
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([1, 2]);
    });

    test('of concurrent appends at the same expected revision exactly one wins', async () => {
      const s = stream('race');
      await store.append(s, [ev('A')], 'no_stream');
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.append(s, [ev('B')], 1)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.every((r) => r.reason instanceof ConcurrencyError)).toBe(true);
      expect(await store.readStream(s)).toHaveLength(2);
    });

    test('retrying an append that committed (same event ids) does not duplicate it', async () => {
      const s = stream('retry');
      const events = [ev('A'), ev('B')];
      const first = await store.append(s, events, 'no_stream');
      const again = await store.append(s, events, 'no_stream');
      expect(again.revision).toBe(first.revision);
      expect(await store.readStream(s)).toHaveLength(2);
    });

    /** The multi-stream append, where the adapter has it (EventStoreDB writes one stream per append). */
    const multi = () => {
      if (!store.appendMultiple) {
        expect(store.kind).toBe('eventstoredb');
        return undefined;
      }
      return store.appendMultiple.bind(store);
    };

    test('appendMultiple: several streams in one append, each at its own revision', async () => {
      const appendMultiple = multi();
      if (!appendMultiple) return;
      const a = stream('multi-a');
      const b = stream('multi-b');
      await store.append(b, [ev('B0')], 'no_stream');
      const [ra, rb] = await appendMultiple([
        { streamId: a, events: [ev('A1'), ev('A2')], expectedRevision: 'no_stream' },
        { streamId: b, events: [ev('B1')], expectedRevision: 1 },
      ]);
      expect(ra!.revision).toBe(2);
      expect(rb!.revision).toBe(2);
      expect((await store.readStream(a)).map((e) => e.type)).toEqual(['A1', 'A2']);
      expect((await store.readStream(b)).map((e) => [e.type, e.position])).toEqual([
        ['B0', expect.any(String)],
        ['B1', rb!.position],
      ]);
      // In the log once visible (PostgreSQL shows a commit once older transactions, of other suites, are done).
      const ours = async () => (await readEverything(store, START_POSITION)).filter((e) => e.streamId === a || e.streamId === b);
      let fromLog = await ours();
      for (let i = 0; i < 100 && fromLog.length < 4; i++) {
        await new Promise((r) => setTimeout(r, 20));
        fromLog = await ours();
      }
      expect(fromLog.map((e) => e.type)).toEqual(['B0', 'A1', 'A2', 'B1']);
    });

    test('appendMultiple: a stale expected revision on one stream appends nothing to any', async () => {
      const appendMultiple = multi();
      if (!appendMultiple) return;
      const a = stream('multi-stale-a');
      const b = stream('multi-stale-b');
      await store.append(b, [ev('B0')], 'no_stream');
      const err = await appendMultiple([
        { streamId: a, events: [ev('A1')], expectedRevision: 'no_stream' },
        { streamId: b, events: [ev('B1')], expectedRevision: 'no_stream' },
      ]).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect((err as ConcurrencyError).streamId).toBe(b);
      expect((err as ConcurrencyError).actual).toBe(1);
      expect(await store.readStream(a)).toEqual([]);
      expect(await store.readStream(b)).toHaveLength(1);
    });

    test('appendMultiple: of concurrent claims on the same stream exactly one wins, and a retry does not duplicate', async () => {
      const appendMultiple = multi();
      if (!appendMultiple) return;
      const claimed = stream('multi-claim');
      const claims = Array.from({ length: 6 }, () => [
        { streamId: claimed, events: [ev('Claimed')], expectedRevision: 'no_stream' as const },
        { streamId: stream('multi-owner'), events: [ev('Created')], expectedRevision: 'no_stream' as const },
      ]);
      const results = await Promise.allSettled(claims.map((c) => appendMultiple(c)));
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.every((r) => r.status === 'fulfilled' || r.reason instanceof ConcurrencyError)).toBe(true);
      for (const [i, c] of claims.entries()) expect(await store.readStream(c[1]!.streamId)).toHaveLength(i === won ? 1 : 0);
      const again = await appendMultiple(claims[won]!);
      expect(again).toEqual((results[won] as PromiseFulfilledResult<unknown>).value);
      expect(await store.readStream(claimed)).toHaveLength(1);
    });

    test('readStream: missing stream is empty; ranges, limits and backwards reads', async () => {
      expect(await store.readStream(stream('missing'))).toEqual([]);
      const s = stream('range');
      await store.append(
        s,
        ['A', 'B', 'C', 'D', 'E'].map((t) => ev(t)),
        'no_stream',
      );
      expect((await store.readStream(s, { fromRevision: 2, toRevision: 4 })).map((e) => e.type)).toEqual(['B', 'C', 'D']);
      expect((await store.readStream(s, { maxCount: 2 })).map((e) => e.type)).toEqual(['A', 'B']);
      expect((await store.readStream(s, { direction: 'backwards', maxCount: 2 })).map((e) => e.type)).toEqual(['E', 'D']);
      expect((await store.readStream(s, { fromRevision: 4 })).map((e) => e.type)).toEqual(['D', 'E']);
    });

    test('readAll is ordered, exclusive of its starting position, and pages', async () => {
      const before = await store.headPosition();
      const s1 = stream('all1');
      const s2 = stream('all2');
      await store.append(s1, [ev('A1'), ev('A2')], 'no_stream');
      await store.append(s2, [ev('B1')], 'no_stream');
      await store.append(s1, [ev('A3')], 2);
      const mine = (events: RecordedEvent[]) => events.filter((e) => e.streamId === s1 || e.streamId === s2);
      // readAll may hold committed events back while an older transaction anywhere in the cluster is still open
      // (never skipping one is the guarantee, not immediacy), so wait for them to become visible.
      let all = mine(await readEverything(store, before));
      for (let waited = 0; all.length < 4 && waited < 15_000; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
        all = mine(await readEverything(store, before));
      }
      expect(all.map((e) => e.type)).toEqual(['A1', 'A2', 'B1', 'A3']);
      const positions = all.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
      const after = mine(await readEverything(store, all[1]!.position));
      expect(after.map((e) => e.type)).toEqual(['B1', 'A3']);
      expect((await store.headPosition()) >= all[3]!.position).toBe(true);
    });

    test("readAll with a subject returns only that data subject's events (dataSubject over userId, null is nobody's), in order, paged", async () => {
      const before = await store.readableHeadPosition();
      const alice = `${prefix}-alice-${randomUUID().slice(0, 8)}`;
      const bob = `${prefix}-bob-${randomUUID().slice(0, 8)}`;
      const s1 = stream('subj1');
      const s2 = stream('subj2');
      const byAdmin = (type: string, subject: string | null): NewEvent => {
        const e = ev(type, { by: 'admin' }, 'admin');
        return { ...e, metadata: { ...e.metadata, dataSubject: subject } };
      };
      await store.append(
        s1,
        [ev('A1', {}, alice), ev('B1', {}, bob), byAdmin('AdminForAlice', alice), byAdmin('Audit', null)],
        'no_stream',
      );
      await store.append(s2, [ev('A2', {}, alice), byAdmin('AdminForBob', bob), ev('A3', { text: 'x'.repeat(100) }, alice)], 'no_stream');
      const readSubject = async (subject: string, maxCount: number) => {
        const out: RecordedEvent[] = [];
        for (let cursor = before; ;) {
          const page = await store.readAll({ fromPosition: cursor, maxCount, subject });
          expect(page.length).toBeLessThanOrEqual(maxCount);
          out.push(...page);
          if (page.length < maxCount) return out;
          cursor = page[page.length - 1]!.position;
        }
      };
      let aliceEvents = await readSubject(alice, 2);
      for (let waited = 0; aliceEvents.length < 4 && waited < 15_000; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
        aliceEvents = await readSubject(alice, 2);
      }
      expect(aliceEvents.map((e) => e.type)).toEqual(['A1', 'AdminForAlice', 'A2', 'A3']);
      expect(aliceEvents[1]!.metadata).toMatchObject({ userId: 'admin', dataSubject: alice });
      expect(aliceEvents[3]!.data).toEqual({ text: 'x'.repeat(100) });
      const positions = aliceEvents.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
      expect((await readSubject(bob, 1000)).map((e) => e.type)).toEqual(['B1', 'AdminForBob']);
      expect(await readSubject(`${prefix}-nobody`, 10)).toEqual([]);
      // Exclusive of its starting position, like any readAll.
      expect((await store.readAll({ fromPosition: aliceEvents[1]!.position, subject: alice })).map((e) => e.type)).toEqual(['A2', 'A3']);
    });

    test('readableHeadPosition: at most headPosition, reaches what was appended, and a short subject read covers everything up to it', async () => {
      const carol = `${prefix}-carol-${randomUUID().slice(0, 8)}`;
      const s = stream('readable');
      const before = await store.readableHeadPosition();
      const first = await store.append(s, [ev('C1', {}, carol), ev('Other', {}, 'someone-else')], 'no_stream');
      let readable = await store.readableHeadPosition();
      for (let waited = 0; readable < first.position && waited < 15_000; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
        readable = await store.readableHeadPosition();
      }
      expect(readable >= first.position).toBe(true);
      expect(readable <= (await store.headPosition())).toBe(true);
      // Nothing of carol's is after `first`: a subject read from there finds nothing up to `readable`, whose
      // whole prefix of the log is final (an unfiltered read from the start includes it).
      const horizon = await store.readableHeadPosition();
      expect(await store.readAll({ fromPosition: first.position, subject: carol })).toEqual([]);
      const all = await readEverything(store, before);
      expect(all.some((e) => e.position === horizon)).toBe(true);
      expect(all.filter((e) => e.position <= horizon && subjectOf(e.metadata) === carol).map((e) => e.type)).toEqual(['C1']);
    });

    test('subscribeToAll catches up and then goes live', async () => {
      const s = stream('sub');
      const start = await store.headPosition();
      await store.append(s, [ev('Before')], 'no_stream');
      const controller = new AbortController();
      const seen: string[] = [];
      const consumer = (async () => {
        for await (const batch of store.subscribeToAll({ fromPosition: start, signal: controller.signal })) {
          for (const e of batch) if (e.streamId === s) seen.push(e.type);
          if (seen.length >= 3) controller.abort();
        }
      })();
      await new Promise((r) => setTimeout(r, 50));
      await store.append(s, [ev('Live1')], 1);
      await store.append(s, [ev('Live2')], 2);
      await withTimeout(consumer, 10_000, 'subscriber to see the live events');
      expect(seen).toEqual(['Before', 'Live1', 'Live2']);
    });

    test('8 concurrent writers and a live subscriber: every committed event exactly once, each stream in order', async () => {
      const start = await store.headPosition();
      const writers = 8;
      const appendsPerWriter = 60;
      const streams = Array.from({ length: 12 }, (_, i) => stream(`w${i}`));
      const committed = new Set<string>();
      const controller = new AbortController();
      const seen: RecordedEvent[] = [];
      let writersDone = false;
      const subscriber = (async () => {
        for await (const batch of store.subscribeToAll({ fromPosition: start, batchSize: 37, signal: controller.signal })) {
          for (const e of batch) if (e.streamId.startsWith(prefix) && streams.includes(e.streamId)) seen.push(e);
          if (writersDone && seen.length >= committed.size) controller.abort();
        }
      })();
      const writer = async (w: number) => {
        for (let i = 0; i < appendsPerWriter; i++) {
          const s = streams[(w * 7 + i) % streams.length]!;
          const batch = [ev(`W${w}`, { w, i }), ev(`W${w}`, { w, i, second: true })].slice(0, 1 + (i % 2));
          // Mix optimistic appends (some of which lose and roll back, leaving holes in the sequence) with 'any'.
          if (i % 3 === 0) {
            const current = (await store.readStream(s, { direction: 'backwards', maxCount: 1 }))[0]?.revision ?? 0;
            try {
              await store.append(s, batch, current === 0 ? 'no_stream' : current);
            } catch (err) {
              if (!(err instanceof ConcurrencyError)) throw err;
              continue;
            }
          } else {
            await store.append(s, batch, 'any');
          }
          for (const e of batch) committed.add(e.id);
        }
      };
      await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
      writersDone = true;
      // Nudge the subscriber in case it is idle with everything already seen.
      await store.append(stream('nudge'), [ev('Nudge')], 'any');
      await withTimeout(subscriber, 30_000, 'subscriber to see every committed event');

      const ids = seen.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length); // exactly once
      expect(new Set(ids)).toEqual(committed); // every committed event, nothing else
      const byStream = new Map<string, number[]>();
      for (const e of seen) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.revision]);
      for (const [s, revisions] of byStream) {
        expect({ s, revisions }).toEqual({ s, revisions: revisions.map((_, i) => i + 1) });
      }
      const positions = seen.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
    }, 60_000);

    test("every backend takes appends up to the same limit (EventStoreDB's default) and refuses a larger one, writing nothing", async () => {
      expect(store.maxAppendBytes).toBe(DEFAULT_MAX_APPEND_BYTES);
      const s = stream('too-large');
      const big = ev('Big', { text: 'x'.repeat(DEFAULT_MAX_APPEND_BYTES) });
      await expect(store.append(s, [big], 'no_stream')).rejects.toBeInstanceOf(AppendTooLargeError);
      // Many events that only together exceed it: refused whole, not cut.
      const many = Array.from({ length: 40 }, () => ev('Part', { text: 'y'.repeat(30_000) }));
      await expect(store.append(s, many, 'no_stream')).rejects.toMatchObject({ code: 'append_too_large', limit: DEFAULT_MAX_APPEND_BYTES });
      expect(await store.readStream(s)).toEqual([]);
      // What fits is taken (sealed by the encrypting decorator it is a third larger: counted as stored).
      const fits = ev('Fits', { text: 'z'.repeat(Math.floor(DEFAULT_MAX_APPEND_BYTES * 0.7)) });
      expect((await store.append(s, [fits], 'no_stream')).revision).toBe(1);
    }, 60_000);

    test('a large lorebook import (5,000 entries, several MiB) is stored as events in appends that each fit, and reads back whole', async () => {
      const s = stream('lorebook');
      const bookId = newId();
      const records = Array.from({ length: 5_000 }, (_, i) => ({
        entryId: newId(),
        entry: createEntry({
          uid: i,
          keys: [`place ${i}`, `alias ${i}`],
          content: `Entry ${i}: ${'an old tale of the northern hills. '.repeat(12)}`,
        }),
      }));
      // As one event it would be refused by EventStoreDB: this is the write that must be split.
      const whole = ev('WorldBookCreated', { worldBookId: bookId, entries: records });
      expect(() => assertAppendFits(s, [whole], store.maxAppendBytes)).toThrow(AppendTooLargeError);
      const [first, ...rest] = chunkEntries(records);
      const events = [
        ev('WorldBookCreated', { worldBookId: bookId, entries: first!, continuedEntries: records.length - first!.length }),
        ...rest.map((entries) => ev('WorldBookEntriesImported', { worldBookId: bookId, entries })),
      ];
      const parts = splitForAppend(events, store.maxAppendBytes);
      expect(parts.length).toBeGreaterThan(1);
      let revision = 0;
      for (const part of parts) revision = (await store.append(s, part, revision === 0 ? 'no_stream' : revision)).revision;
      expect(revision).toBe(events.length);
      const read = await store.readStream(s);
      expect(read.map((e) => e.type)).toEqual(events.map((e) => e.type));
      const entries = read.flatMap((e) => e.data.entries as typeof records);
      expect(entries.map((r) => r.entryId)).toEqual(records.map((r) => r.entryId));
      expect(entries[4_999]).toEqual(records[4_999]);
    }, 120_000);
  });
}

async function readEverything(store: EventStore, from: string = START_POSITION): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let cursor = from;
  for (;;) {
    const page = await store.readAll({ fromPosition: cursor, maxCount: 2 });
    if (page.length === 0) return out;
    out.push(...page);
    cursor = page[page.length - 1]!.position;
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
