/**
 * The job queue port: durable background jobs (LLM completions first) with retries, de-duplication by job id,
 * cancellation and graceful shutdown. One implementation (BullMQ 6) on two datastores, chosen by configuration:
 * Redis (distributed deployment) or PostgreSQL (embedded default). Both pass infra/queue/contract/.
 *
 * Guarantees the callers can build on:
 * - A job added with a caller-chosen `jobId` exists at most once while it (or its finished record) is retained:
 *   re-adding it answers `duplicate: true` and runs nothing. Retention (`removeOnComplete`/`removeOnFail`,
 *   by age) is therefore the de-duplication window; jobs added without an id get a random UUID.
 * - A job is retried with exponential back-off and jitter (3 attempts by default) unless its handler throws an
 *   `UnrecoverableError` (see `nonRetryable`), and a job interrupted by a worker shutting down goes back to the
 *   queue without spending an attempt. A worker that dies is detected by BullMQ's stalled-job check (a lock
 *   not renewed for `lockDurationMs`) and its job is run again, so handlers must be idempotent.
 * - Job data and results are stored as JSON: no bigint, Dates come back as strings.
 */
export type QueueBackend =
  | { kind: 'redis'; url: string; /** Key prefix, default `bull`. */ prefix?: string }
  | {
      kind: 'postgres';
      connectionString: string;
      /** Schema holding BullMQ's tables and functions, created (and migrated) on first use. Default `bullmq`. */
      schema?: string;
      /** Connections per Queue/Worker pool; each also holds one dedicated LISTEN connection. */
      poolSize?: number;
    };

/** How long finished jobs are kept: the de-duplication window of their ids. */
export interface JobRetention {
  /** Seconds after finishing. */
  age: number;
  /** Keep at most this many as well (oldest removed first). Leave unset for a strict time window. */
  count?: number;
}

export interface JobBackoff {
  type: 'exponential' | 'fixed';
  /** Exponential: the first retry waits up to this, each later one twice as long. */
  delayMs: number;
  /** 0..1: the fraction of each delay that is randomised (0.5 waits between 50% and 100% of it). */
  jitter?: number;
}

export interface JobOptions {
  /** Idempotency key: 1–256 characters, no `:`, not all digits, no whitespace. Default: a random UUID. */
  jobId?: string;
  /** Total runs including the first. */
  attempts?: number;
  backoff?: JobBackoff;
  delayMs?: number;
  /** 1 (highest) .. 2 097 152; jobs without a priority run before prioritised ones. */
  priority?: number;
  removeOnComplete?: JobRetention;
  removeOnFail?: JobRetention;
}

export type DefaultJobOptions = Omit<JobOptions, 'jobId' | 'delayMs'>;

export interface AddedJob {
  id: string;
  /**
   * The id was already taken, so nothing was added. Exact for sequential retries; when two producers race with
   * the same id only one job exists, but both may see `false` if they add within the same millisecond.
   */
  duplicate: boolean;
}

export type JobState = 'waiting' | 'prioritized' | 'delayed' | 'active' | 'waiting-children' | 'completed' | 'failed';

export interface JobCounts {
  waiting: number;
  prioritized: number;
  delayed: number;
  active: number;
  waitingChildren: number;
  completed: number;
  failed: number;
}

export interface JobInfo {
  id: string;
  name: string;
  state: JobState;
  data: unknown;
  /** Runs that failed so far (a retried job has had `attemptsMade` failures). */
  attemptsMade: number;
  maxAttempts: number;
  result?: unknown;
  failedReason?: string;
  createdAt: Date;
  processedAt?: Date;
  finishedAt?: Date;
}

import type { GroupSlots } from './group-slots/group-slots.ts';

/** `TJobs` maps job names to their data types, e.g. `JobQueue<{ completion: CompletionJob }>`. */
export interface JobQueue<TJobs extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  readonly backend: QueueBackend['kind'];
  /** Throws InvalidJobIdError, QueueUnavailableError (nothing known to be added: retry with the same id). */
  add<N extends keyof TJobs & string>(jobName: N, data: TJobs[N], options?: JobOptions): Promise<AddedJob>;
  getJob(jobId: string): Promise<JobInfo | undefined>;
  getJobCounts(): Promise<JobCounts>;
  /**
   * Moves a delayed job to the waiting ones now. True when the job will run (promoted, or already waiting or
   * active); false when it does not exist or has finished.
   */
  promote(jobId: string): Promise<boolean>;
  /** Jobs accepted but not started yet (waiting + prioritized + delayed): the queue-depth gauge. */
  getQueueDepth(): Promise<number>;
  /**
   * The job's result once it completes; throws JobFailedError when it fails for good, JobNotFoundError,
   * JobWaitTimeoutError (the job goes on) or QueueClosedError.
   */
  waitUntilFinished<R = unknown>(jobId: string, timeoutMs: number): Promise<R>;
  /** Cheap round trip for /ready; throws QueueUnavailableError. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface JobQueueOptions {
  name: string;
  backend: QueueBackend;
  /** Merged over DEFAULT_JOB_OPTIONS (3 attempts, exponential back-off from 1 s with jitter 0.5, completed
   * jobs kept 24 h, failed ones 7 days); per-job options win. */
  defaultJobOptions?: DefaultJobOptions;
  /** Longest a producer call waits for the datastore before QueueUnavailableError (ms). Default 5000. */
  operationTimeoutMs?: number;
  logger?: QueueLogger;
}

/** A pino-compatible logger (pino's `Logger` satisfies it). */
export interface QueueLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): QueueLogger;
}

export interface JobContext {
  jobId: string;
  jobName: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /**
   * Aborted by `JobWorker.cancel(jobId)` (the job then fails for good) or by a shutdown that ran out of time
   * (the job goes back to the queue). Pass it to fetch() and stop promptly.
   */
  signal: AbortSignal;
  /** Bound to the job id, name and attempt. */
  log: QueueLogger;
  /**
   * Set on a speculative run (a completion started by the API beside its queue job): resolves when the job may
   * act outside (call a provider), rejects when it must not (the job already existed). Absent: go ahead.
   */
  proceed?: Promise<void>;
}

// `any` so a handler can declare its own data type; data arrives as parsed JSON and should be validated (zod).
export type JobHandler<D = any, R = unknown> = (data: D, context: JobContext) => Promise<R>;

export interface JobWorkerOptions {
  name: string;
  backend: QueueBackend;
  /** One handler per job name. A job whose name has none fails (and is retried, e.g. by a newer worker). */
  handlers: Record<string, JobHandler>;
  /** Jobs run at once by this worker. Default 1. */
  concurrency?: number;
  /** At most `max` jobs per `durationMs`, across all workers of the queue. */
  limiter?: { max: number; durationMs: number };
  /** A job whose lock is not renewed for this long is considered stalled and run again. Default 30000. */
  lockDurationMs?: number;
  /**
   * Per-group concurrency (per user, for completions): a job whose group (`groupOf`, null for none) already has
   * all its slots taken does not run and does not keep a slot of this worker: it goes back to the queue as a
   * delayed job, parked, and is woken when one of its group's jobs ends (or after `parkMs`, default 30000, should
   * that wake-up be lost). The slots are shared by every worker on the same datastore.
   */
  groups?: { slots: GroupSlots; groupOf(jobName: string, data: unknown): string | null; parkMs?: number };
  /** How often this worker looks for stalled jobs. Default 30000. */
  stalledIntervalMs?: number;
  /** After `close(timeoutMs)` aborts the running jobs, how long it waits for them to stop (ms). Default 5000. */
  abortGraceMs?: number;
  logger?: QueueLogger;
}

export interface JobWorkerEvents {
  active: { jobId: string; jobName: string; attempt: number };
  completed: { jobId: string; jobName: string; attempt: number; result: unknown; durationMs: number };
  failed: { jobId: string; jobName: string; attempt: number; error: Error; willRetry: boolean };
  /** A job of this queue lost its lock (its worker died or blocked the event loop) and was put back. */
  stalled: { jobId: string };
  /** Datastore and internal errors; with no listener they are logged. */
  error: Error;
}

export interface WorkerCloseResult {
  /** Jobs still running at the timeout, whose signals were aborted. */
  abortedJobIds: string[];
  /** Jobs that did not stop within `abortGraceMs` after that; their locks expire and they run again elsewhere. */
  abandonedJobIds: string[];
}

export interface JobWorker {
  readonly name: string;
  readonly backend: QueueBackend['kind'];
  /** Resolves once connected and taking jobs. */
  ready(): Promise<void>;
  /** Aborts a job running on this worker; it then fails for good with JobCancelledError. False if not running here. */
  cancel(jobId: string, reason?: string): boolean;
  activeJobIds(): string[];
  on<E extends keyof JobWorkerEvents>(event: E, listener: (payload: JobWorkerEvents[E]) => void): () => void;
  /**
   * Stops taking jobs and waits up to `timeoutMs` (default 30000) for the running ones; then aborts their
   * signals, puts them back in the queue without spending an attempt, and waits up to `abortGraceMs`. If the
   * worker still has not closed (a handler ignores its signal, or the datastore is down), it drops its
   * connections and returns: a job left running is then recovered by the stalled-job check.
   */
  close(timeoutMs?: number): Promise<WorkerCloseResult>;
}

export * from './errors.ts';
export type { GroupSlots } from './group-slots/group-slots.ts';
export { createGroupSlots } from './group-slots/group-slots.ts';
export { validateJobId } from './job-id.ts';
export { DEFAULT_JOB_OPTIONS } from './bullmq/job-options.ts';
export { createJobQueue } from './bullmq/job-queue.ts';
export { createJobWorker, SHUTDOWN_REASON } from './bullmq/job-worker.ts';
export { postgresReachable, redisReachable } from './reachability.ts';
