import type { JobsOptions, KeepJobs } from 'bullmq';
import type { DefaultJobOptions, JobBackoff, JobOptions, JobRetention } from '../queue.ts';

export const DEFAULT_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delayMs: 1000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies DefaultJobOptions;

/** BullMQ's own limit for `priority` (2^21). */
const PRIORITY_LIMIT = 2 ** 21;

function positiveInteger(value: number, what: string, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
  return value;
}

function toKeepJobs(retention: JobRetention, what: string): KeepJobs {
  positiveInteger(retention.age, `${what}.age`);
  return retention.count === undefined
    ? { age: retention.age }
    : { age: retention.age, count: positiveInteger(retention.count, `${what}.count`) };
}

function toBackoff(backoff: JobBackoff): NonNullable<JobsOptions['backoff']> {
  positiveInteger(backoff.delayMs, 'backoff.delayMs', 0);
  const jitter = backoff.jitter ?? 0;
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff.jitter must be within 0..1, got ${jitter}`);
  return { type: backoff.type, delay: backoff.delayMs, jitter };
}

/** Everything explicit on every job, so what runs never depends on a Queue instance's defaults. */
export function toBullJobOptions(jobId: string, options: JobOptions, defaults: DefaultJobOptions): JobsOptions {
  const merged = { ...DEFAULT_JOB_OPTIONS, ...defaults, ...options };
  const out: JobsOptions = {
    jobId,
    attempts: positiveInteger(merged.attempts, 'attempts'),
    backoff: toBackoff(merged.backoff),
    // Never `true` (remove at once): a finished job must stay for de-duplication and for waitUntilFinished.
    removeOnComplete: toKeepJobs(merged.removeOnComplete, 'removeOnComplete'),
    removeOnFail: toKeepJobs(merged.removeOnFail, 'removeOnFail'),
  };
  if (merged.delayMs !== undefined && merged.delayMs > 0) out.delay = positiveInteger(merged.delayMs, 'delayMs', 0);
  if (merged.priority !== undefined) {
    positiveInteger(merged.priority, 'priority');
    if (merged.priority > PRIORITY_LIMIT) throw new RangeError(`priority must be <= ${PRIORITY_LIMIT}, got ${merged.priority}`);
    out.priority = merged.priority;
  }
  return out;
}
