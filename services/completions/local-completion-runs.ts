/**
 * The embedded fast path of a completion. When the API and the worker share one process (the embedded default,
 * in-process relay), waiting for the queue to hand the job to the worker costs more than the rest of the time to
 * first token. So the API still puts the BullMQ job (job id = completion id: the durable record, the
 * de-duplication of retried requests, the retry after a crash), and at the same moment starts the same handler
 * here. The job's output is held until the queue has accepted the job as new; a duplicate drops it.
 * When the worker of this process then picks the job up, it adopts the local run (waits for its outcome)
 * instead of running it a second time. If the process dies, the job is still in the queue and runs again
 * after restart, exactly as a job whose worker died; the stored turn has ids derived from the completion id,
 * so nothing is stored twice.
 *
 * A local run counts against its user's share of the worker (WORKER_MAX_JOBS_PER_USER, the same shared slots the
 * worker takes): it holds one of the user's slots until it ends, and when the user has none free it does not start
 * here; the queued job then waits in the queue like any other job beyond the user's share.
 */
import {
  nonRetryable,
  SHUTDOWN_REASON,
  type GroupSlots,
  type JobContext,
  type JobHandler,
  type QueueLogger,
} from '../../infra/queue/queue.ts';
import type { CompletionRelay } from '../../infra/relay/relay.ts';
import type { QueuedCompletionJob } from '../../shared/completions/completion-job.ts';

interface LocalRun {
  job: QueuedCompletionJob;
  admitted: Promise<boolean>;
  controller: AbortController;
  outcome: Promise<unknown>;
  cancelled: string | null;
}

export interface LocalCompletionRuns {
  /**
   * Runs the job here now; its relay output waits for `admitted` (true: the queue took the job as new; false:
   * it already existed, the run is dropped). False when the local capacity or the user's share is used up (the
   * queue runs it).
   */
  start(job: QueuedCompletionJob, admitted: Promise<boolean>): Promise<boolean>;
  /** A run started here and not yet adopted: its job, and whether the queue took the job as new. */
  running(completionId: string): { job: QueuedCompletionJob; admitted: Promise<boolean> } | undefined;
  /** For the queued job's handler: the outcome of the admitted local run of this id, or null (run it). */
  adopt(completionId: string): Promise<{ outcome: Promise<unknown> } | null>;
  cancel(completionId: string, reason: string): boolean;
  /** The queue never got the job (it was unreachable): no worker will adopt the run, so drop it once it ends. */
  forget(completionId: string): void;
  /** Interrupts the runs still going (their queued jobs go back to the queue with the worker's shutdown). */
  close(timeoutMs: number): Promise<void>;
}

class DroppedRunError extends Error {
  constructor() {
    super('the completion job already existed; this run was dropped');
    this.name = 'DroppedRunError';
  }
}

/** A relay whose writes wait for the admission, and are refused when it is denied. */
function heldRelay(relay: CompletionRelay, admitted: Promise<boolean>): CompletionRelay {
  const gate = admitted.then((ok) => {
    if (!ok) throw new DroppedRunError();
  });
  gate.catch(() => undefined);
  return {
    kind: relay.kind,
    // Each write is issued when the gate opens, in the order of the calls, so the channel keeps their order.
    append: (channel, data) => gate.then(() => relay.append(channel, data)),
    end: (channel) => gate.then(() => relay.end(channel)),
    read: (channel, options) => relay.read(channel, options),
    exists: (channel) => relay.exists(channel),
    requestCancel: (channel, reason) => relay.requestCancel(channel, reason),
    watchCancel: (channel, onCancel) => relay.watchCancel(channel, onCancel),
    close: async () => undefined,
  };
}

export function createLocalCompletionRuns(options: {
  /** Builds the completion handler on a relay (the held one of each run). */
  handlerFor: (relay: CompletionRelay) => JobHandler;
  relay: CompletionRelay;
  /** Runs at once at most (the worker's concurrency); beyond it the queue hands jobs out as usual. */
  capacity: number;
  /** The job's attempts (the local run is attempt 1). */
  maxAttempts: number;
  /** Per-user slots shared with the worker (groups are user ids); absent: no per-user limit. */
  userSlots?: GroupSlots;
  logger: QueueLogger;
}): LocalCompletionRuns {
  const runs = new Map<string, LocalRun>();
  let active = 0;
  let closed = false;
  const { userSlots } = options;

  return {
    async start(job, admitted) {
      if (closed || active >= options.capacity || runs.has(job.completionId)) return false;
      const id = job.completionId;
      active += 1; // reserved while the user's slot is asked for
      let slot = false;
      try {
        slot = userSlots ? await userSlots.acquire(job.userId, id) : true;
      } catch (err) {
        options.logger.warn({ err, jobId: id }, "could not count the user's running completions; the queue runs this one");
      }
      // Another start of the same id got in meanwhile: it holds the (same) slot.
      if (!slot || closed || runs.has(id)) {
        active -= 1;
        if (slot && closed && !runs.has(id)) await userSlots?.release(job.userId, id);
        return false;
      }
      const controller = new AbortController();
      const proceed = admitted.then((ok) => {
        if (!ok) throw new DroppedRunError();
      });
      proceed.catch(() => undefined);
      const context: JobContext = {
        jobId: id,
        jobName: 'chat.completion',
        attempt: 1,
        maxAttempts: options.maxAttempts,
        signal: controller.signal,
        log: options.logger.child({ jobId: id, local: true }),
        // The prompt is built meanwhile; the provider is not called for a run that turns out to be a duplicate.
        proceed,
      };
      const run: LocalRun = { job, admitted, controller, outcome: Promise.resolve(), cancelled: null };
      run.outcome = options
        .handlerFor(heldRelay(options.relay, admitted))(job, context)
        .catch((err: unknown) => {
          if (run.cancelled !== null) throw nonRetryable(`cancelled: ${run.cancelled}`, { cause: err });
          throw err;
        })
        .finally(async () => {
          active -= 1;
          await userSlots?.release(job.userId, id);
        });
      run.outcome.catch(() => undefined);
      runs.set(id, run);
      void admitted.then(
        (ok) => {
          if (ok) return;
          controller.abort(new DroppedRunError());
          if (runs.get(id) === run) runs.delete(id);
        },
        () => {
          controller.abort(new DroppedRunError());
          if (runs.get(id) === run) runs.delete(id);
        },
      );
      return true;
    },

    running(completionId) {
      const run = runs.get(completionId);
      return run ? { job: run.job, admitted: run.admitted.catch(() => false) } : undefined;
    },

    async adopt(completionId) {
      const run = runs.get(completionId);
      if (!run) return null;
      const ok = await run.admitted.catch(() => false);
      if (!ok || runs.get(completionId) !== run) return null;
      runs.delete(completionId);
      return { outcome: run.outcome };
    },

    forget(completionId) {
      const run = runs.get(completionId);
      if (!run) return;
      void run.outcome
        .catch(() => undefined)
        .finally(() => {
          if (runs.get(completionId) === run) runs.delete(completionId);
        });
    },

    cancel(completionId, reason) {
      const run = runs.get(completionId);
      if (!run || run.controller.signal.aborted) return false;
      run.cancelled = reason;
      run.controller.abort(new Error(reason));
      return true;
    },

    async close(timeoutMs) {
      closed = true;
      const pending = [...runs.values()];
      for (const run of pending) run.controller.abort(SHUTDOWN_REASON);
      const settled = Promise.allSettled(pending.map((r) => r.outcome));
      await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

/** The queued job's handler: adopt the local run of the same completion, or run the job. */
export function adoptingHandler(local: LocalCompletionRuns, handler: JobHandler): JobHandler {
  return async (data, context) => {
    const completionId = (data as { completionId?: unknown } | null)?.completionId;
    const adopted = typeof completionId === 'string' ? await local.adopt(completionId) : null;
    if (!adopted) return handler(data, context);
    const { outcome } = adopted;
    return new Promise((resolve, reject) => {
      const onAbort = () =>
        reject(context.signal.reason instanceof Error ? context.signal.reason : new Error(String(context.signal.reason)));
      if (context.signal.aborted) return onAbort();
      context.signal.addEventListener('abort', onAbort, { once: true });
      outcome.then(resolve, reject).finally(() => context.signal.removeEventListener('abort', onAbort));
    });
  };
}
