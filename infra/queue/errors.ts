import { UnrecoverableError } from 'bullmq';

/** Errors of the job queue port. Each carries a stable `code`; the API maps them once to problem details. */

/** A caller-chosen job id the backends cannot store unambiguously. The API maps it to 400. */
export class InvalidJobIdError extends Error {
  readonly code = 'invalid_job_id';
  readonly jobId: string;
  constructor(jobId: string, why: string) {
    super(`invalid job id ${JSON.stringify(jobId)}: ${why}`);
    this.name = 'InvalidJobIdError';
    this.jobId = jobId;
  }
}

/** The queue's datastore could not be reached in time; nothing is known to have happened. The API maps it to 503. */
export class QueueUnavailableError extends Error {
  readonly code = 'queue_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}

export class QueueClosedError extends Error {
  readonly code = 'queue_closed';
  constructor(queueName: string) {
    super(`queue ${queueName} is closed`);
    this.name = 'QueueClosedError';
  }
}

export class JobNotFoundError extends Error {
  readonly code = 'job_not_found';
  readonly jobId: string;
  constructor(jobId: string) {
    super(`job ${jobId} does not exist (never added, or removed after its retention period)`);
    this.name = 'JobNotFoundError';
    this.jobId = jobId;
  }
}

/** The job failed for good: no attempts left, or it failed with a non-retryable error. */
export class JobFailedError extends Error {
  readonly code = 'job_failed';
  readonly jobId: string;
  readonly failedReason: string;
  constructor(jobId: string, failedReason: string) {
    super(`job ${jobId} failed: ${failedReason}`);
    this.name = 'JobFailedError';
    this.jobId = jobId;
    this.failedReason = failedReason;
  }
}

/** Waiting gave up; the job itself goes on. */
export class JobWaitTimeoutError extends Error {
  readonly code = 'job_wait_timeout';
  readonly jobId: string;
  readonly timeoutMs: number;
  constructor(jobId: string, timeoutMs: number) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
    this.name = 'JobWaitTimeoutError';
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Thrown by a handler (or by `nonRetryable`) to fail its job at once, whatever attempts are left: bad input,
 * a 4xx from a provider, anything a retry cannot fix. Any other error is retried with back-off.
 */
export { UnrecoverableError };

export function nonRetryable(message: string, options?: { cause?: unknown }): UnrecoverableError {
  const error = new UnrecoverableError(message);
  if (options && 'cause' in options)
    Object.defineProperty(error, 'cause', { value: options.cause, enumerable: false, writable: true, configurable: true });
  return error;
}

/** How a job cancelled through `JobWorker.cancel` fails: for good, with the reason, never retried. */
export class JobCancelledError extends UnrecoverableError {
  readonly code = 'job_cancelled';
  readonly jobId: string;
  constructor(jobId: string, reason: string) {
    super(`cancelled: ${reason}`);
    this.name = 'JobCancelledError';
    this.jobId = jobId;
  }
}
