import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { createTestDatabase } from '../../../../test/db.ts';
import { createGroupSlots, createJobQueue, createJobWorker, type JobQueue, type JobWorker, type QueueBackend } from '../../queue.ts';

/**
 * Per-group concurrency on both queue backends: the slots are counted in the queue's datastore, so two workers
 * (two processes, as far as the datastore can tell) share one count; a job beyond its group's share waits
 * outside the workers' slots and runs as soon as one of its group's jobs ends; a dead holder's slot expires.
 */
const backends: Array<[string, () => Promise<{ backend: QueueBackend; teardown: () => Promise<void> }>]> = [
  [
    'postgres',
    async () => {
      const db = await createTestDatabase();
      return { backend: { kind: 'postgres', connectionString: db.url }, teardown: () => db.drop() };
    },
  ],
];
const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  backends.push([
    'redis',
    async () => {
      const prefix = `test-${randomUUID().slice(0, 8)}`;
      return {
        backend: { kind: 'redis', url: redisUrl, prefix },
        teardown: async () => {
          const redis = new Redis(redisUrl);
          try {
            const keys = await redis.keys(`${prefix}:*`);
            if (keys.length > 0) await redis.del(...keys);
          } finally {
            redis.disconnect();
          }
        },
      };
    },
  ]);
} else {
  console.log('SKIP per-group job slots on Redis: REDIS_URL is not set');
  test.skip('per-group job slots (redis): REDIS_URL is not set', () => undefined);
}

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.each(backends)('per-group job slots (%s)', (_label, setup) => {
  let backend: QueueBackend;
  let teardown: () => Promise<void>;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    ({ backend, teardown } = await setup());
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await teardown?.();
  });

  const newQueue = () => {
    const queue = createJobQueue({ name: `groups-${randomUUID().slice(0, 8)}`, backend });
    closers.push(() => queue.close());
    return queue;
  };
  const newSlots = async (queue: JobQueue, options: { max: number; leaseMs?: number }) => {
    const slots = await createGroupSlots({
      queueName: queue.name,
      backend,
      maxPerGroup: options.max,
      wake: (id) => queue.promote(id),
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    });
    closers.push(() => slots.close());
    return slots;
  };

  test("two workers share one count per group; the group's extra jobs wait delayed, outside the slots, and run as soon as a slot frees, each once", async () => {
    const queue = newQueue();
    const gates = new Map<string, () => void>();
    const runs: string[] = [];
    const running = new Set<string>();
    let mostOfG1 = 0;
    const handler = async (data: { group: string; n: number }) => {
      const id = `${data.group}-${data.n}`;
      runs.push(id);
      running.add(id);
      mostOfG1 = Math.max(mostOfG1, [...running].filter((r) => r.startsWith('g1-')).length);
      await new Promise<void>((resolve) => gates.set(id, resolve));
      running.delete(id);
      return id;
    };
    const workers: JobWorker[] = [];
    for (let i = 0; i < 2; i++) {
      // Separate slots objects over the same datastore: as two processes would have.
      const slots = await newSlots(queue, { max: 2 });
      const worker = createJobWorker({
        name: queue.name,
        backend,
        handlers: { job: handler },
        concurrency: 4,
        groups: { slots, groupOf: (_name, data) => (data as { group: string }).group },
      });
      closers.push(() => worker.close(1000));
      await worker.ready();
      workers.push(worker);
    }
    for (let n = 0; n < 6; n++) await queue.add('job', { group: 'g1', n }, { jobId: `g1-${n}` });
    await until(() => running.size === 2, 5000, 'two of g1 run');
    await new Promise((r) => setTimeout(r, 300));
    expect(running.size).toBe(2);
    // The other four wait as delayed jobs: 8 worker slots, 6 of them free.
    await until(async () => (await queue.getJobCounts()).delayed === 4, 5000, 'four of g1 delayed');
    expect(workers.flatMap((w) => w.activeJobIds()).sort()).toEqual([...running].sort());

    const started = Date.now();
    await queue.add('job', { group: 'g2', n: 0 }, { jobId: 'g2-0' });
    await until(() => running.has('g2-0'), 2000, 'another group runs at once');
    expect(Date.now() - started).toBeLessThan(1000);

    // Each end of a g1 job starts the next one at once (the parked jobs' own delay is 30 s).
    const g1Runs = () => runs.filter((r) => r.startsWith('g1-'));
    const released = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const next = [...running].find((r) => r.startsWith('g1-') && !released.has(r))!;
      const startedSoFar = g1Runs().length;
      const ended = Date.now();
      released.add(next);
      gates.get(next)!();
      if (startedSoFar < 6) {
        await until(() => g1Runs().length === startedSoFar + 1, 2000, 'the next g1 job starts');
        expect(Date.now() - ended).toBeLessThan(1000);
      }
      await until(() => !running.has(next), 2000, 'the released job ends');
    }
    for (const id of [...running]) gates.get(id)!();
    for (let n = 0; n < 6; n++) expect(await queue.waitUntilFinished(`g1-${n}`, 5000)).toBe(`g1-${n}`);
    expect(mostOfG1).toBe(2);
    expect(runs.filter((r) => r.startsWith('g1-')).sort()).toEqual(['g1-0', 'g1-1', 'g1-2', 'g1-3', 'g1-4', 'g1-5']);
    for (let n = 0; n < 6; n++) expect((await queue.getJob(`g1-${n}`))?.attemptsMade).toBe(1);
  }, 30_000);

  test('a holder is counted once however often it asks; parked holders are woken longest-waiting first', async () => {
    const queue = newQueue();
    const woken: string[] = [];
    const slots = await createGroupSlots({
      queueName: queue.name,
      backend,
      maxPerGroup: 1,
      wake: async (id) => (woken.push(id), id !== 'gone'),
    });
    closers.push(() => slots.close());
    expect(await slots.acquire('u', 'a')).toBe(true);
    expect(await slots.acquire('u', 'a')).toBe(true);
    expect(await slots.acquire('u', 'b', { park: true })).toBe(false);
    expect(await slots.acquire('u', 'gone', { park: true })).toBe(false);
    expect(await slots.acquire('u', 'c', { park: true })).toBe(false);
    expect(await slots.acquire('u', 'b', { park: true })).toBe(false); // keeps its place
    expect(await slots.acquire('other', 'x')).toBe(true);
    await slots.release('u', 'a');
    expect(woken).toEqual(['b']);
    expect(await slots.acquire('u', 'b')).toBe(true);
    await slots.release('u', 'b');
    // A holder that no longer exists is skipped for the next one.
    expect(woken).toEqual(['b', 'gone', 'c']);
    // Releasing what is not held wakes nobody.
    await slots.release('u', 'b');
    expect(woken).toEqual(['b', 'gone', 'c']);
  });

  test('a holder that stops renewing (its process died) frees its slot after the lease; one still alive keeps it', async () => {
    const queue = newQueue();
    const dying = await createGroupSlots({ queueName: queue.name, backend, maxPerGroup: 1, leaseMs: 400, wake: async () => true });
    const alive = await newSlots(queue, { max: 1, leaseMs: 400 });
    const other = await newSlots(queue, { max: 1, leaseMs: 400 });
    expect(await dying.acquire('d', 'h1')).toBe(true);
    expect(await alive.acquire('l', 'h2')).toBe(true);
    await dying.close(); // no release: renewals just stop
    expect(await other.acquire('d', 'h3')).toBe(false);
    expect(await other.acquire('l', 'h4')).toBe(false);
    await new Promise((r) => setTimeout(r, 700));
    expect(await other.acquire('d', 'h3')).toBe(true);
    expect(await other.acquire('l', 'h4')).toBe(false);
  });
});
