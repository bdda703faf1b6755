import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { Queue, QueueEvents, type IQueueBackend, type Job } from 'bullmq';
import {
  InvalidJobIdError,
  JobFailedError,
  JobNotFoundError,
  JobWaitTimeoutError,
  QueueClosedError,
  QueueUnavailableError,
} from '../errors.ts';
import { validateJobId } from '../job-id.ts';
import type { AddedJob, JobCounts, JobInfo, JobQueue, JobQueueOptions, JobState } from '../queue.ts';
import { bullmqBackend, isConnectionError } from './connection.ts';
import { toBullJobOptions } from './job-options.ts';
import { silentLogger } from './logger.ts';

type BackendQueueEvents = QueueEvents<unknown, IQueueBackend, unknown>;

const JOB_STATES: ReadonlySet<string> = new Set<JobState>([
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'waiting-children',
  'completed',
  'failed',
]);
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 5000;

export function validateQueueName(name: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(name)) {
    throw new RangeError(`invalid queue name ${JSON.stringify(name)}: use 1-128 letters, digits, ".", "_" or "-"`);
  }
  return name;
}

function parseReturnValue(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function createJobQueue<TJobs extends Record<string, unknown> = Record<string, unknown>>(options: JobQueueOptions): JobQueue<TJobs> {
  const name = validateQueueName(options.name);
  const { backend } = options;
  const operationTimeoutMs = options.operationTimeoutMs ?? 5000;
  const logger = (options.logger ?? silentLogger).child({ queue: name });
  const defaults = options.defaultJobOptions ?? {};
  toBullJobOptions('validate-defaults', {}, defaults); // fail at construction on bad defaults, not on the first add

  const producer = bullmqBackend(backend, 'producer');
  const queue = new Queue(
    name,
    { connection: producer.connection, ...(producer.prefix ? { prefix: producer.prefix } : {}) },
    producer.factory,
  );
  queue.on('error', (err) => logger.warn({ err }, 'job queue connection error'));

  let closed = false;
  let events: Promise<BackendQueueEvents> | undefined;
  let eventsInstance: BackendQueueEvents | undefined;
  const waiters = new Set<(err: Error) => void>();
  const addsInFlight = new Map<string, Promise<void>>();

  /** Bounds a datastore call: an unreachable store is a prompt QueueUnavailableError, never a hung request. */
  const run = async <T>(what: string, fn: () => Promise<T>, timeoutMs = operationTimeoutMs): Promise<T> => {
    if (closed) throw new QueueClosedError(name);
    const work = fn();
    work.catch(() => undefined); // it may settle after we gave up on it
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new QueueUnavailableError(`${what} on queue ${name}: ${backend.kind} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      if (!(err instanceof QueueUnavailableError) && isConnectionError(err)) {
        throw new QueueUnavailableError(`${what} on queue ${name}: ${backend.kind} unreachable: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  const queueEvents = (): Promise<BackendQueueEvents> => {
    if (events) return events;
    const creating = (async () => {
      const cfg = bullmqBackend(backend, 'events');
      const qe: BackendQueueEvents = new QueueEvents(
        name,
        { connection: cfg.connection, ...(cfg.prefix ? { prefix: cfg.prefix } : {}) },
        cfg.factory,
      );
      eventsInstance = qe;
      qe.setMaxListeners(0);
      qe.on('error', (err) => logger.warn({ err }, 'job queue events connection error'));
      try {
        await qe.waitUntilReady();
        return qe;
      } catch (err) {
        if (eventsInstance === qe) eventsInstance = undefined;
        await qe.close().catch(() => undefined);
        throw err;
      }
    })();
    events = creating;
    creating.catch(() => {
      if (events === creating) events = undefined;
    });
    return creating;
  };

  /** [1, returnvalue] completed, [2, failedReason] failed, [0] not yet, [-1] no such job. */
  const finishedState = async (jobId: string): Promise<[number, unknown]> => {
    const answer = await (queue.getBackend() as IQueueBackend).isFinished(jobId, true);
    return Array.isArray(answer) ? [answer[0], answer[1]] : [answer, undefined];
  };

  const toJobInfo = (job: Job, state: JobState): JobInfo => {
    const info: JobInfo = {
      id: job.id!,
      name: job.name,
      state,
      data: job.data,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      createdAt: new Date(job.timestamp),
    };
    if (state === 'completed') info.result = job.returnvalue;
    if (job.failedReason) info.failedReason = job.failedReason;
    if (job.processedOn) info.processedAt = new Date(job.processedOn);
    if (job.finishedOn) info.finishedAt = new Date(job.finishedOn);
    return info;
  };

  return {
    name,
    backend: backend.kind,

    async add(jobName, data, jobOptions = {}): Promise<AddedJob> {
      if (typeof jobName !== 'string' || jobName.length === 0) throw new RangeError('a job needs a name');
      const callerId = jobOptions.jobId;
      // Always our own id: BullMQ's generated ones come from a counter, so an add retried after a lost reply
      // (ioredis resends it after a reconnect) would create a second job; a fixed id de-duplicates it instead.
      const jobId = callerId === undefined ? randomUUID() : validateJobId(callerId);
      const bullOptions = toBullJobOptions(jobId, jobOptions, defaults);
      if (callerId === undefined) {
        return run('add', async () => {
          await queue.add(jobName, data, bullOptions);
          return { id: jobId, duplicate: false };
        });
      }
      // BullMQ ignores an add whose id exists but does not say so. Adds of one id from this process run one
      // after the other, so the check before the add decides; against another process, the stored job's
      // creation time tells whose add won (unless both were created in the same millisecond).
      const previous = addsInFlight.get(jobId);
      const adding = (previous ?? Promise.resolve()).then(() =>
        run('add', async (): Promise<AddedJob> => {
          if (await queue.getJob(jobId)) return { id: jobId, duplicate: true };
          const job = await queue.add(jobName, data, bullOptions);
          const stored = await queue.getJob(jobId);
          return { id: jobId, duplicate: stored !== undefined && stored.timestamp !== job.timestamp };
        }),
      );
      const settled = adding.then(
        () => undefined,
        () => undefined,
      );
      addsInFlight.set(jobId, settled);
      void settled.then(() => {
        if (addsInFlight.get(jobId) === settled) addsInFlight.delete(jobId);
      });
      return adding;
    },

    async getJob(jobId: string): Promise<JobInfo | undefined> {
      try {
        validateJobId(jobId);
      } catch (err) {
        if (err instanceof InvalidJobIdError) return undefined;
        throw err;
      }
      return run('getJob', async () => {
        const job = await queue.getJob(jobId);
        if (!job) return undefined;
        const state = await job.getState();
        return JOB_STATES.has(state) ? toJobInfo(job, state as JobState) : undefined;
      });
    },

    async getJobCounts(): Promise<JobCounts> {
      const counts = await run('getJobCounts', () =>
        queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'completed', 'failed'),
      );
      return {
        waiting: counts.waiting ?? 0,
        prioritized: counts.prioritized ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
        waitingChildren: counts['waiting-children'] ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      };
    },

    getQueueDepth(): Promise<number> {
      return run('getQueueDepth', () => queue.getJobCountByTypes('waiting', 'prioritized', 'delayed'));
    },

    async waitUntilFinished<R = unknown>(jobId: string, timeoutMs: number): Promise<R> {
      try {
        validateJobId(jobId);
      } catch (err) {
        if (err instanceof InvalidJobIdError) throw new JobNotFoundError(jobId);
        throw err;
      }
      // Per-job event names (`completed:<id>`) are not in QueueEvents' typed listener map.
      const qe = (await run('waitUntilFinished', queueEvents)) as unknown as EventEmitter;
      return new Promise<R>((resolve, reject) => {
        let settled = false;
        let pollTimer: NodeJS.Timeout | undefined;
        let pollMs = FIRST_POLL_MS;
        const settle = (finish: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          clearTimeout(pollTimer);
          qe.off(`completed:${jobId}`, onCompleted);
          qe.off(`failed:${jobId}`, onFailed);
          waiters.delete(onClose);
          finish();
        };
        const onCompleted = (args: { returnvalue: unknown }) => settle(() => resolve(args.returnvalue as R));
        const onFailed = (args: { failedReason: string }) => settle(() => reject(new JobFailedError(jobId, args.failedReason)));
        const onClose = (err: Error) => settle(() => reject(err));
        const deadline = setTimeout(() => settle(() => reject(new JobWaitTimeoutError(jobId, timeoutMs))), timeoutMs);
        qe.on(`completed:${jobId}`, onCompleted);
        qe.on(`failed:${jobId}`, onFailed);
        waiters.add(onClose);
        // The events only cover what happens from now on, and QueueEvents can miss one published between two
        // of its reads; checking the job's state (now, then with back-off) makes the wait exact regardless.
        const check = () => {
          if (settled) return;
          finishedState(jobId).then(
            ([status, result]) => {
              if (status === 1) settle(() => resolve(parseReturnValue(result) as R));
              else if (status === 2) settle(() => reject(new JobFailedError(jobId, String(result ?? ''))));
              else if (status < 0) settle(() => reject(new JobNotFoundError(jobId)));
              else schedule();
            },
            (err: unknown) => {
              logger.warn({ err, jobId }, 'checking a job state failed; retrying');
              schedule();
            },
          );
        };
        const schedule = () => {
          if (settled) return;
          pollTimer = setTimeout(check, pollMs);
          pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
        };
        check();
      });
    },

    async promote(jobId: string): Promise<boolean> {
      return run('promote', async () => {
        const job = await queue.getJob(jobId);
        if (!job) return false;
        try {
          await job.promote();
          return true;
        } catch (err) {
          if (isConnectionError(err)) throw err;
          // Not delayed (any more): on its way, or finished.
          const state = await job.getState();
          return state !== 'completed' && state !== 'failed' && state !== 'unknown';
        }
      });
    },

    async ping(timeoutMs = 2000): Promise<void> {
      await run('ping', () => queue.getJobCountByTypes('waiting'), timeoutMs);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const reject of [...waiters]) reject(new QueueClosedError(name));
      // Not awaiting `events`: while the datastore is down it never becomes ready; closing it ends that too.
      await eventsInstance?.close().catch((err: unknown) => logger.warn({ err }, 'closing queue events failed'));
      await queue.close().catch((err: unknown) => logger.warn({ err }, 'closing the queue failed'));
    },
  };
}
