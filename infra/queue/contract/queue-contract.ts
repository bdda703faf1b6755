import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  createJobQueue,
  createJobWorker,
  InvalidJobIdError,
  JobFailedError,
  JobNotFoundError,
  JobWaitTimeoutError,
  nonRetryable,
  type JobContext,
  type JobHandler,
  type JobQueue,
  type JobWorker,
  type JobWorkerEvents,
  type JobWorkerOptions,
  type QueueBackend,
} from '../queue.ts';

/**
 * One behavioural contract for the job queue on every backend. Each test uses its own queue name, so runs
 * against a shared Redis or database never collide; back-off delays are a few milliseconds to keep it fast.
 */
export function queueContract(label: string, setup: () => Promise<{ backend: QueueBackend; teardown: () => Promise<void> }>): void {
  describe(`job queue contract: ${label}`, () => {
    let backend: QueueBackend;
    let teardown: () => Promise<void>;
    const queues: JobQueue[] = [];
    const workers: JobWorker[] = [];
    const workerErrors: Error[] = [];

    beforeAll(async () => {
      ({ backend, teardown } = await setup());
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.close(1000)));
      await Promise.all(queues.splice(0).map((q) => q.close()));
      expect(workerErrors.splice(0)).toEqual([]);
    });
    afterAll(async () => {
      await teardown?.();
    });

    const fastRetries = { backoff: { type: 'exponential', delayMs: 20, jitter: 0.5 } } as const;
    const newQueue = (tag: string) => {
      const queue = createJobQueue({ name: `t-${tag}-${randomUUID().slice(0, 8)}`, backend, defaultJobOptions: fastRetries });
      queues.push(queue);
      return queue;
    };
    const newWorker = (queue: JobQueue, handlers: Record<string, JobHandler>, options: Partial<JobWorkerOptions> = {}) => {
      const worker = createJobWorker({ name: queue.name, backend, handlers, abortGraceMs: 2000, ...options });
      worker.on('error', (err) => workerErrors.push(err));
      workers.push(worker);
      return worker;
    };
    const record = <E extends keyof JobWorkerEvents>(worker: JobWorker, event: E) => {
      const seen: JobWorkerEvents[E][] = [];
      worker.on(event, (payload) => seen.push(payload));
      return seen;
    };

    test('jobs run with their data and context and return results', async () => {
      const queue = newQueue('run');
      const contexts: Omit<JobContext, 'signal' | 'log'>[] = [];
      const worker = newWorker(queue, {
        double: async (data: { n: number }, { signal, log, ...context }) => {
          expect(signal).toBeInstanceOf(AbortSignal);
          log.info({ n: data.n }, 'doubling');
          contexts.push(context);
          return { doubled: data.n * 2 };
        },
      });
      const completed = record(worker, 'completed');
      const { id, duplicate } = await queue.add('double', { n: 21 }, { jobId: 'job-run-1' });
      expect({ id, duplicate }).toEqual({ id: 'job-run-1', duplicate: false });
      await expect(queue.waitUntilFinished(id, 10_000)).resolves.toEqual({ doubled: 42 });
      expect(contexts).toEqual([{ jobId: 'job-run-1', jobName: 'double', attempt: 1, maxAttempts: 3 }]);
      expect(await queue.getJob(id)).toMatchObject({ id, name: 'double', state: 'completed', result: { doubled: 42 }, data: { n: 21 } });
      await eventually(async () =>
        expect(completed).toMatchObject([{ jobId: id, jobName: 'double', attempt: 1, result: { doubled: 42 } }]),
      );
      // Without an id, the job gets a UUID.
      const generated = await queue.add('double', { n: 1 });
      expect(generated.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      await expect(queue.waitUntilFinished(generated.id, 10_000)).resolves.toEqual({ doubled: 2 });
    });

    test('a failing job is retried with back-off and then succeeds', async () => {
      const queue = newQueue('retry');
      const runs: { attempt: number; at: number }[] = [];
      const worker = newWorker(queue, {
        flaky: async (_data, { attempt }) => {
          runs.push({ attempt, at: Date.now() });
          if (attempt < 3) throw new Error(`transient ${attempt}`);
          return 'third time lucky';
        },
      });
      const failed = record(worker, 'failed');
      const { id } = await queue.add('flaky', {}, { backoff: { type: 'exponential', delayMs: 100, jitter: 0.5 } });
      await expect(queue.waitUntilFinished(id, 10_000)).resolves.toBe('third time lucky');
      expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
      // Exponential with jitter 0.5: the 1st retry waits 50-100 ms, the 2nd 100-200 ms.
      expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(45);
      expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(95);
      expect(failed.map((f) => [f.attempt, f.willRetry, f.error.message])).toEqual([
        [1, true, 'transient 1'],
        [2, true, 'transient 2'],
      ]);
      expect(await queue.getJob(id)).toMatchObject({ state: 'completed', attemptsMade: 3 });
    });

    test('a job that keeps failing fails after its attempts, with its error', async () => {
      const queue = newQueue('exhaust');
      let runs = 0;
      const worker = newWorker(queue, {
        broken: async (_data, { attempt }) => {
          runs++;
          throw new Error(`boom ${attempt}`);
        },
      });
      const failed = record(worker, 'failed');
      const { id } = await queue.add('broken', {}, { attempts: 3 });
      const err = await queue.waitUntilFinished(id, 10_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobFailedError);
      expect(err).toMatchObject({ jobId: id, failedReason: 'boom 3', code: 'job_failed' });
      expect(runs).toBe(3);
      // The worker reports the last failure after storing it, so possibly just after the waiter heard of it.
      await eventually(async () => expect(failed.map((f) => f.willRetry)).toEqual([true, true, false]));
      expect(await queue.getJob(id)).toMatchObject({ state: 'failed', attemptsMade: 3, maxAttempts: 3, failedReason: 'boom 3' });
    });

    test('an UnrecoverableError fails the job at once', async () => {
      const queue = newQueue('unrecoverable');
      let runs = 0;
      const worker = newWorker(queue, {
        invalid: async () => {
          runs++;
          throw nonRetryable('bad input: no prompt', { cause: new Error('zod') });
        },
      });
      const failed = record(worker, 'failed');
      const { id } = await queue.add('invalid', {}, { attempts: 5 });
      await expect(queue.waitUntilFinished(id, 10_000)).rejects.toMatchObject({ failedReason: 'bad input: no prompt' });
      expect(runs).toBe(1);
      await eventually(async () => expect(failed).toMatchObject([{ attempt: 1, willRetry: false }]));
      expect(await queue.getJob(id)).toMatchObject({ state: 'failed', attemptsMade: 1 });
    });

    test('adding the same job id again runs it once: sequentially, concurrently, and after it finished', async () => {
      const queue = newQueue('dedup');
      const runs = new Map<string, number>();
      newWorker(queue, {
        once: async (data: { v: number }, { jobId }) => {
          runs.set(jobId, (runs.get(jobId) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 30));
          return data.v;
        },
      });
      const first = await queue.add('once', { v: 1 }, { jobId: 'same-1' });
      const second = await queue.add('once', { v: 2 }, { jobId: 'same-1' });
      expect([first.duplicate, second.duplicate]).toEqual([false, true]);
      const racing = await Promise.all(Array.from({ length: 5 }, (_, i) => queue.add('once', { v: 10 + i }, { jobId: 'same-2' })));
      expect(racing.filter((r) => !r.duplicate)).toHaveLength(1);
      await expect(queue.waitUntilFinished('same-1', 10_000)).resolves.toBe(1);
      await queue.waitUntilFinished('same-2', 10_000);
      const again = await queue.add('once', { v: 3 }, { jobId: 'same-1' });
      expect(again).toEqual({ id: 'same-1', duplicate: true });
      await new Promise((r) => setTimeout(r, 100));
      expect(Object.fromEntries(runs)).toEqual({ 'same-1': 1, 'same-2': 1 });
      expect((await queue.getJobCounts()).completed).toBe(2);
    });

    test('job ids that the backends cannot store unambiguously are refused before anything is sent', async () => {
      const queue = newQueue('ids');
      for (const bad of ['a:b', 'a:b:c', '123', '007', '', ' x', 'tab\there', 'x'.repeat(257)]) {
        await expect(queue.add('any', {}, { jobId: bad })).rejects.toBeInstanceOf(InvalidJobIdError);
      }
      await expect(queue.add('any', {}, { jobId: 'chat-0190f7a0.completion_1' })).resolves.toMatchObject({ duplicate: false });
      expect(await queue.getJob('a:b')).toBeUndefined();
    });

    test('graceful close waits for the running job to finish', async () => {
      const queue = newQueue('graceful');
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const worker = newWorker(queue, {
        slow: async () => {
          started();
          await new Promise((r) => setTimeout(r, 300));
          return 'done';
        },
      });
      const { id } = await queue.add('slow', {});
      await running;
      expect(worker.activeJobIds()).toEqual([id]);
      const t0 = Date.now();
      await expect(worker.close(5000)).resolves.toEqual({ abortedJobIds: [], abandonedJobIds: [] });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      expect(await queue.getJob(id)).toMatchObject({ state: 'completed', result: 'done' });
    });

    test('close with a short timeout aborts the handler; the job goes back to the queue without spending an attempt', async () => {
      const queue = newQueue('interrupt');
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const reasons: unknown[] = [];
      const first = newWorker(queue, {
        long: async (_data, { signal }) => {
          started();
          await new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              reasons.push(signal.reason);
              reject(new Error('aborted'));
            }),
          );
        },
      });
      const { id } = await queue.add('long', {});
      await running;
      const result = await first.close(100);
      expect(result).toEqual({ abortedJobIds: [id], abandonedJobIds: [] });
      expect(reasons).toHaveLength(1);
      expect(await queue.getJob(id)).toMatchObject({ state: 'waiting', attemptsMade: 0 });
      const attempts: number[] = [];
      newWorker(queue, {
        long: async (_data, { attempt }) => {
          attempts.push(attempt);
          return 'finished elsewhere';
        },
      });
      await expect(queue.waitUntilFinished(id, 10_000)).resolves.toBe('finished elsewhere');
      expect(attempts).toEqual([1]);
    });

    test('cancel(jobId) aborts a running job, which then fails for good', async () => {
      const queue = newQueue('cancel');
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      let runs = 0;
      const worker = newWorker(queue, {
        stream: async (_data, { signal }) => {
          runs++;
          started();
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(`stopped: ${String(signal.reason)}`))));
        },
      });
      const { id } = await queue.add('stream', {}, { attempts: 3 });
      await running;
      expect(worker.cancel('not-running-here')).toBe(false);
      expect(worker.cancel(id, 'user pressed stop')).toBe(true);
      const err = await queue.waitUntilFinished(id, 10_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobFailedError);
      expect((err as JobFailedError).failedReason).toBe('cancelled: user pressed stop');
      expect(runs).toBe(1);
      expect(await queue.getJob(id)).toMatchObject({ state: 'failed', attemptsMade: 1 });
    });

    test('concurrency N runs N jobs at once', async () => {
      const queue = newQueue('concurrency');
      let running = 0;
      let peak = 0;
      newWorker(
        queue,
        {
          work: async () => {
            peak = Math.max(peak, ++running);
            await new Promise((r) => setTimeout(r, 120));
            running--;
          },
        },
        { concurrency: 3 },
      );
      const ids = await Promise.all(Array.from({ length: 7 }, () => queue.add('work', {}).then((j) => j.id)));
      await Promise.all(ids.map((id) => queue.waitUntilFinished(id, 10_000)));
      expect(peak).toBe(3);
    });

    test('a limiter spaces jobs out across the window', async () => {
      const queue = newQueue('limiter');
      const starts: number[] = [];
      newWorker(
        queue,
        {
          tick: async () => {
            starts.push(Date.now());
          },
        },
        { concurrency: 4, limiter: { max: 2, durationMs: 400 } },
      );
      const ids = await Promise.all(Array.from({ length: 6 }, () => queue.add('tick', {}).then((j) => j.id)));
      await Promise.all(ids.map((id) => queue.waitUntilFinished(id, 10_000)));
      starts.sort((a, b) => a - b);
      // Fixed windows of 2 jobs (whose phase is the backend's business): jobs i and i+4 are two windows apart.
      expect(starts[4]! - starts[0]!).toBeGreaterThan(380);
      expect(starts[5]! - starts[1]!).toBeGreaterThan(380);
    });

    test('getJobCounts and getQueueDepth reflect waiting, delayed, active, completed and failed jobs', async () => {
      const queue = newQueue('counts');
      await queue.add('ok', {});
      await queue.add('ok', {});
      await queue.add('fail', {});
      const { id: blockId } = await queue.add('block', {});
      await queue.add('ok', {}, { delayMs: 60_000 });
      expect(await queue.getJobCounts()).toEqual({
        waiting: 4,
        prioritized: 0,
        delayed: 1,
        active: 0,
        waitingChildren: 0,
        completed: 0,
        failed: 0,
      });
      expect(await queue.getQueueDepth()).toBe(5);

      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      newWorker(
        queue,
        {
          ok: async () => 'ok',
          fail: async () => {
            throw nonRetryable('no');
          },
          block: async () => released,
        },
        { concurrency: 4 },
      );
      await eventually(async () => {
        expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 1, active: 1, completed: 2, failed: 1 });
      });
      expect(await queue.getJob(blockId)).toMatchObject({ state: 'active' });
      expect(await queue.getQueueDepth()).toBe(1);
      release();
      await queue.waitUntilFinished(blockId, 10_000);
      expect(await queue.getJobCounts()).toMatchObject({ active: 0, completed: 3, failed: 1 });
    });

    test('waitUntilFinished: an unknown job, and a job that does not finish in time', async () => {
      const queue = newQueue('wait');
      await expect(queue.waitUntilFinished('never-added', 5000)).rejects.toBeInstanceOf(JobNotFoundError);
      await expect(queue.waitUntilFinished('bad:id', 5000)).rejects.toBeInstanceOf(JobNotFoundError);
      const { id } = await queue.add('nobody-handles-this-yet', {});
      await expect(queue.waitUntilFinished(id, 150)).rejects.toBeInstanceOf(JobWaitTimeoutError);
      expect(await queue.getJob(id)).toMatchObject({ state: 'waiting' });
      expect(await queue.getJob('never-added')).toBeUndefined();
    });

    test('a job whose name this worker has no handler for fails like any error (retried, e.g. by a newer worker)', async () => {
      const queue = newQueue('unknown');
      const worker = newWorker(queue, { known: async () => 'ok' });
      const failed = record(worker, 'failed');
      const { id } = await queue.add('unknown', {}, { attempts: 2 });
      await expect(queue.waitUntilFinished(id, 10_000)).rejects.toMatchObject({
        failedReason: expect.stringContaining('no handler for job "unknown"'),
      });
      await eventually(async () => expect(failed.map((f) => f.willRetry)).toEqual([true, false]));
    });

    test('ping answers while the backend is reachable', async () => {
      const queue = newQueue('ping');
      await expect(queue.ping()).resolves.toBeUndefined();
    });
  });
}

async function eventually(assertion: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
