import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '../../../test/db.ts';
import { createJobQueue, createJobWorker, postgresReachable, QueueUnavailableError, redisReachable, type QueueBackend } from '../queue.ts';

// Nothing listens on port 1: connections are refused at once.
const deadRedis: QueueBackend = { kind: 'redis', url: 'redis://127.0.0.1:1' };
const deadPostgres: QueueBackend = { kind: 'postgres', connectionString: 'postgres://postgres:x@127.0.0.1:1/none' };

describe.each([
  ['Redis', deadRedis],
  ['PostgreSQL', deadPostgres],
])('an unreachable %s', (_label, backend) => {
  test('producer calls fail fast with QueueUnavailableError, and close does not hang', async () => {
    const queue = createJobQueue({ name: 'unreachable', backend, operationTimeoutMs: 500 });
    const t0 = Date.now();
    await expect(queue.add('job', {}, { jobId: 'retry-me-later' })).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.getJobCounts()).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.ping(300)).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - t0).toBeLessThan(3000);
    await queue.close();
  });

  test('a worker that never connected still closes', async () => {
    const worker = createJobWorker({ name: 'unreachable', backend, handlers: { job: async () => 'never' } });
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await expect(worker.close(500)).resolves.toEqual({ abortedJobIds: [], abandonedJobIds: [] });
    expect(Date.now() - t0).toBeLessThan(5000);
    // BullMQ's stalled-job check sleeps a fixed, uninterruptible 5 s after a connection error; let that
    // timer run out so the test leaves nothing behind.
    if (backend.kind === 'postgres') await new Promise((r) => setTimeout(r, 5000 - (Date.now() - t0)));
  }, 15_000);
});

describe('reachability checks', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  test('PostgreSQL', async () => {
    expect(await postgresReachable(db.url)).toBe(true);
    expect(await postgresReachable('postgres://postgres:x@127.0.0.1:1/none', 500)).toBe(false);
  });

  test('Redis', async () => {
    expect(await redisReachable('redis://127.0.0.1:1', 500)).toBe(false);
    if (process.env.REDIS_URL) expect(await redisReachable(process.env.REDIS_URL)).toBe(true);
  });
});
