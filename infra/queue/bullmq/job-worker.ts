import { EventEmitter } from 'node:events';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type IQueueBackend, type Job } from 'bullmq';
import { JobCancelledError } from '../errors.ts';
import type { JobContext, JobWorker, JobWorkerEvents, JobWorkerOptions, WorkerCloseResult } from '../queue.ts';
import { bullmqBackend, isErrorLike } from './connection.ts';
import { validateQueueName } from './job-queue.ts';
import { silentLogger } from './logger.ts';

/** The abort reason a handler's signal carries when the worker shuts down (the job goes back to the queue). */
export const SHUTDOWN_REASON = 'worker shutting down';

function toError(value: unknown): Error {
  if (isErrorLike(value)) return value;
  return new Error(typeof value === 'string' ? value : `non-Error thrown: ${String(JSON.stringify(value))}`);
}

const isUnrecoverable = (err: Error) => err instanceof UnrecoverableError || err.name === 'UnrecoverableError';

/** Resolves true if `promise` settles within `ms`, false otherwise. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const name = validateQueueName(options.name);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  const abortGraceMs = options.abortGraceMs ?? 5000;
  const logger = (options.logger ?? silentLogger).child({ queue: name });
  const handlers = new Map(Object.entries(options.handlers));
  if (handlers.size === 0) throw new RangeError('a worker needs at least one handler');
  for (const [jobName, handler] of handlers)
    if (typeof handler !== 'function') throw new TypeError(`handler for "${jobName}" is not a function`);

  const groups = options.groups;
  const parkMs = groups?.parkMs ?? 30_000;
  const events = new EventEmitter();
  const active = new Set<string>();
  const cancelled = new Map<string, string>();
  const interrupted = new Set<string>();
  let abortingAll = false;
  let closing: Promise<WorkerCloseResult> | undefined;

  const emitError = (err: unknown) => {
    const error = toError(err);
    if (events.listenerCount('error') > 0) events.emit('error', error);
    else logger.error({ err: error }, 'job worker error');
  };

  // Declares all three parameters: BullMQ only creates the AbortController when `processor.length >= 3`.
  const processor = async (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> => {
    const jobId = job.id!;
    const handler = handlers.get(job.name);
    if (!handler) throw new Error(`no handler for job "${job.name}" on this worker (it handles: ${[...handlers.keys()].join(', ')})`);
    const attempt = job.attemptsMade + 1;
    const group = groups && token !== undefined ? groups.groupOf(job.name, job.data) : null;
    if (group !== null && !(await groups!.slots.acquire(group, jobId, { park: true }))) {
      // Its group's slots are all taken: back to the queue without this worker's slot, until one is released.
      logger.debug({ jobId, jobName: job.name, group }, "parked: its group's slots are all taken");
      await job.moveToDelayed(Date.now() + parkMs, token);
      await groups!.slots
        .settleParked(group, jobId)
        .catch((err: unknown) => logger.warn({ err, jobId }, 'could not check a parked job for a missed wake-up; it runs after its delay'));
      throw new DelayedError();
    }
    events.emit('active', { jobId, jobName: job.name, attempt } satisfies JobWorkerEvents['active']);
    const aborted = signal ?? new AbortController().signal;
    active.add(jobId);
    // Started while close() was already aborting the others (a fetch was in flight): interrupt it too.
    if (abortingAll) {
      interrupted.add(jobId);
      worker.cancelJob(jobId, SHUTDOWN_REASON);
    }
    const context: JobContext = {
      jobId,
      jobName: job.name,
      attempt,
      maxAttempts: job.opts.attempts ?? 1,
      signal: aborted,
      log: logger.child({ jobId, jobName: job.name, attempt }),
    };
    try {
      return await handler(job.data, context);
    } catch (err) {
      const error = toError(err);
      if (aborted.aborted) {
        const reason = cancelled.get(jobId);
        if (reason !== undefined) throw new JobCancelledError(jobId, reason);
        if (interrupted.has(jobId) && token !== undefined) {
          // Interrupted, not failed: back to the queue, keeping its attempts, for another worker to run.
          let requeued = false;
          try {
            await job.moveToWait(token);
            requeued = true;
          } catch (moveError) {
            context.log.warn({ err: moveError }, 'could not put an interrupted job back; it fails this attempt instead');
          }
          if (requeued) throw new WaitingError();
        }
      }
      throw error;
    } finally {
      active.delete(jobId);
      cancelled.delete(jobId);
      interrupted.delete(jobId);
      if (group !== null) await groups!.slots.release(group, jobId);
    }
  };

  const cfg = bullmqBackend(options.backend, 'worker', { pool: concurrency + 2 });
  const worker: Worker<unknown, unknown, string, IQueueBackend, string | boolean | number | object, unknown> = new Worker(
    name,
    processor,
    {
      connection: cfg.connection,
      ...(cfg.prefix ? { prefix: cfg.prefix } : {}),
      concurrency,
      autorun: true,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 1,
      // Pause after a datastore error before the worker retries (fetching a job, storing a result). BullMQ's
      // default is 15 s, which is also how long a close() during an outage can hang, as that sleep is not
      // interruptible.
      runRetryDelay: 2000,
      ...(options.limiter ? { limiter: { max: options.limiter.max, duration: options.limiter.durationMs } } : {}),
    },
    cfg.factory,
  );

  worker.on('error', emitError);
  // 'active' is emitted by the processor once the job really runs (not for a job parked by its group's limit).
  // Both fire after the job's state change is stored, when `attemptsMade` already counts this run.
  worker.on('completed', (job, result) => {
    const durationMs = job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : 0;
    events.emit('completed', {
      jobId: job.id!,
      jobName: job.name,
      attempt: job.attemptsMade,
      result,
      durationMs,
    } satisfies JobWorkerEvents['completed']);
  });
  worker.on('failed', (job, err) => {
    if (!job) return void emitError(err);
    const willRetry = !isUnrecoverable(err) && job.attemptsMade < (job.opts.attempts ?? 1);
    events.emit('failed', {
      jobId: job.id!,
      jobName: job.name,
      attempt: job.attemptsMade,
      error: err,
      willRetry,
    } satisfies JobWorkerEvents['failed']);
  });
  worker.on('stalled', (jobId) => {
    events.emit('stalled', { jobId } satisfies JobWorkerEvents['stalled']);
  });

  return {
    name,
    backend: options.backend.kind,

    async ready(): Promise<void> {
      await worker.waitUntilReady();
    },

    cancel(jobId: string, reason = 'cancelled'): boolean {
      if (!active.has(jobId)) return false;
      cancelled.set(jobId, reason);
      return worker.cancelJob(jobId, reason);
    },

    activeJobIds: () => [...active],

    on<E extends keyof JobWorkerEvents>(event: E, listener: (payload: JobWorkerEvents[E]) => void): () => void {
      events.on(event, listener);
      return () => void events.off(event, listener);
    },

    close(timeoutMs = 30_000): Promise<WorkerCloseResult> {
      closing ??= (async () => {
        // worker.close() stops fetching and waits for the running jobs, with no time limit of its own.
        const closed = worker.close().catch(emitError);
        if (await settlesWithin(closed, timeoutMs)) return { abortedJobIds: [], abandonedJobIds: [] };
        abortingAll = true;
        const abortedJobIds = [...active];
        let abandonedJobIds: string[] = [];
        if (abortedJobIds.length > 0) {
          logger.warn({ jobIds: abortedJobIds, timeoutMs }, 'jobs still running at shutdown; aborting them');
          for (const jobId of abortedJobIds) {
            interrupted.add(jobId);
            worker.cancelJob(jobId, SHUTDOWN_REASON);
          }
          if (await settlesWithin(closed, abortGraceMs)) return { abortedJobIds, abandonedJobIds };
          abandonedJobIds = [...active];
          logger.error({ jobIds: abandonedJobIds, abortGraceMs }, 'jobs ignored their abort signal; leaving them to the stalled-job check');
        }
        // Still not closed: a datastore call is pending on a connection that retries forever (blocking
        // connections have no per-request retry limit), e.g. while the datastore is down. Force-closing the
        // backend drops its connections (worker.disconnect() would first wait for them to be ready), which
        // fails those calls so that close() can finish.
        logger.warn({}, 'worker did not close in time; dropping its connections');
        await settlesWithin(worker.getBackend().close(true).catch(emitError), 2000);
        if (!(await settlesWithin(closed, 2000))) {
          // A call waiting for a connection that was dropped while reconnecting can stay pending for good
          // (ioredis emits no 'end' then), and worker.close() with it; its lock-renewal timer would then keep
          // the process alive. There is nothing left to renew locks on, so stop it (a protected member).
          await (worker as unknown as { lockManager?: { close(): Promise<void> } }).lockManager?.close().catch(emitError);
          logger.error({}, 'worker still closing after its connections were dropped; gave up waiting');
        }
        return { abortedJobIds, abandonedJobIds };
      })();
      return closing;
    },
  };
}
