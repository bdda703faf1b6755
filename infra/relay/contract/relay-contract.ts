/**
 * The relay contract: every adapter of `CompletionRelay` passes these tests (in-process always; Redis when
 * REDIS_URL is set).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RelayGapError, RelayIdleError, type CompletionRelay, type RelayEntry } from '../relay.ts';

async function collect<T>(iterable: AsyncIterable<RelayEntry<T>>): Promise<Array<RelayEntry<T>>> {
  const out: Array<RelayEntry<T>> = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

export function relayContract(name: string, create: () => Promise<CompletionRelay> | CompletionRelay): void {
  describe(`relay contract (${name})`, () => {
    let relay: CompletionRelay;
    const channel = () => `contract-${randomUUID()}`;
    beforeAll(async () => {
      relay = await create();
    });
    afterAll(async () => {
      await relay?.close();
    });

    test('a reader gets every entry in order, then the end', async () => {
      const ch = channel();
      const reading = collect<{ n: number }>(relay.read(ch, { idleTimeoutMs: 5000 }));
      for (let n = 0; n < 50; n++) await relay.append(ch, { n });
      await relay.end(ch);
      const entries = await reading;
      expect(entries.map((e) => e.data.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      expect(new Set(entries.map((e) => e.id)).size).toBe(50);
    });

    test('entries appended without waiting keep their order', async () => {
      const ch = channel();
      await Promise.all(Array.from({ length: 200 }, (_, n) => relay.append(ch, n)));
      await relay.end(ch);
      expect((await collect<number>(relay.read(ch))).map((e) => e.data)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    });

    test('a late reader replays from the start; after an id it resumes after it', async () => {
      const ch = channel();
      const ids: string[] = [];
      for (const word of ['a', 'b', 'c', 'd']) ids.push(await relay.append(ch, word));
      await relay.end(ch);
      expect((await collect<string>(relay.read(ch))).map((e) => e.data)).toEqual(['a', 'b', 'c', 'd']);
      const resumed = await collect<string>(relay.read(ch, { after: ids[1]! }));
      expect(resumed.map((e) => e.data)).toEqual(['c', 'd']);
      expect(resumed.map((e) => e.id)).toEqual(ids.slice(2));
    });

    test('a reader that resumes mid-stream follows the live entries', async () => {
      const ch = channel();
      const first = await relay.append(ch, 1);
      const reading = collect<number>(relay.read(ch, { after: first, idleTimeoutMs: 5000 }));
      await new Promise((r) => setTimeout(r, 20));
      await relay.append(ch, 2);
      await relay.append(ch, 3);
      await relay.end(ch);
      expect((await reading).map((e) => e.data)).toEqual([2, 3]);
    });

    test('many readers of one channel each get everything', async () => {
      const ch = channel();
      const readers = Array.from({ length: 5 }, () => collect<number>(relay.read(ch, { idleTimeoutMs: 5000 })));
      for (let n = 0; n < 20; n++) await relay.append(ch, n);
      await relay.end(ch);
      for (const r of await Promise.all(readers)) expect(r.map((e) => e.data)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    });

    test('exists: false before the first entry, true after', async () => {
      const ch = channel();
      expect(await relay.exists(ch)).toBe(false);
      await relay.append(ch, 'x');
      expect(await relay.exists(ch)).toBe(true);
    });

    test('an aborted read ends quietly; an idle one throws RelayIdleError', async () => {
      const ch = channel();
      await relay.append(ch, 'only');
      const controller = new AbortController();
      const got: unknown[] = [];
      const reading = (async () => {
        for await (const e of relay.read(ch, { signal: controller.signal })) got.push(e.data);
      })();
      await new Promise((r) => setTimeout(r, 30));
      controller.abort();
      await reading;
      expect(got).toEqual(['only']);
      await expect(collect(relay.read(ch, { idleTimeoutMs: 100 }))).rejects.toBeInstanceOf(RelayIdleError);
    });

    test('resuming a channel that is gone is a RelayGapError', async () => {
      await expect(collect(relay.read(channel(), { after: '5' }))).rejects.toBeInstanceOf(RelayGapError);
    });

    test('a cancellation reaches a watcher, and one that starts watching later', async () => {
      const ch = channel();
      const seen: string[] = [];
      const stop = await relay.watchCancel(ch, (reason) => seen.push(`early:${reason}`));
      await relay.requestCancel(ch, 'client went away');
      const deadline = Date.now() + 3000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(['early:client went away']);
      stop();
      const late = await new Promise<string>((resolve) => {
        void relay.watchCancel(ch, resolve);
      });
      expect(late).toBe('client went away');
    });

    test('a watcher that stopped watching is not called', async () => {
      const ch = channel();
      const seen: string[] = [];
      const stop = await relay.watchCancel(ch, (reason) => seen.push(reason));
      stop();
      await relay.requestCancel(ch, 'late');
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).toEqual([]);
    });
  });
}
