/**
 * CPU-heavy work off the request thread: one pool of worker threads per process (piscina), sized to the cores
 * (`CPU_POOL_THREADS`), started at boot by the API and worker processes (else on its first task) and closed on
 * shutdown. A task the cost estimate calls small runs
 * inline instead (the hand-off would cost more); every other one runs on a thread, where a task that takes longer
 * than `CPU_TASK_TIMEOUT_MS` (queue wait included) is stopped, its thread replaced, and the caller gets a 503
 * `processing_timeout`. The event loop stays free for every other request meanwhile, and one user's tasks take at
 * most half the threads (at least one) at a time, so another user's task does not queue behind them.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { AppError } from '../../shared/errors.ts';
import { runsInline } from './cpu-task-costs.ts';
import { createOwnerSlots } from './owner-slots.ts';
import { DEFAULT_CACHED_BOOKS } from './packed-books.ts';
import {
  configureCpuTaskCaches,
  packForThread,
  runCpuTask,
  type CpuThreadData,
  type CpuTaskName,
  type CpuTaskOutcome,
  type CpuTaskRequest,
  type CpuTasks,
} from './cpu-tasks.ts';

export interface CpuPoolOptions {
  /** Worker threads; 0 runs everything on the calling thread. */
  threads: number;
  /** Longest a task may wait and run, ms. */
  taskTimeoutMs: number;
  /** Tasks waiting for a thread beyond which a new one is refused (503 `processing_busy`). */
  maxQueue?: number;
  /** Threads kept even when idle (CPU_POOL_MIN_THREADS, default 0: each thread holds its own heap, ~100+ MB). */
  minThreads?: number;
  /** A thread idle this long exits, giving its memory back (CPU_POOL_IDLE_TIMEOUT_MS, default 30 s). */
  idleTimeoutMs?: number;
  /** Lorebooks each thread (and the request thread) keeps indexed and decoded (WORLD_INFO_CACHE_BOOKS). */
  cacheBooks?: number;
}

export interface CpuPool {
  /** `owner`: the user the work is for (their tasks share at most half the threads). */
  run<K extends CpuTaskName>(task: K, input: CpuTasks[K]['input'], owner: string): Promise<CpuTasks[K]['output']>;
  readonly threads: number;
  /** Lorebooks kept per thread (WORLD_INFO_CACHE_BOOKS); the read side keeps as many book contents. */
  readonly cacheBooks: number;
  /** Starts the threads now (processes that serve requests call it at boot; otherwise the first task does). */
  start(): void;
  /** Tasks run inline and on threads since start (tests and metrics). */
  stats(): { inline: number; pooled: number; timedOut: number; threadsStarted: boolean; liveThreads: number };
  close(): Promise<void>;
}

const WORKER_FILE = fileURLToPath(new URL('./cpu-task-worker.ts', import.meta.url));

export function createCpuPool(options: CpuPoolOptions): CpuPool {
  const cacheBooks = options.cacheBooks ?? DEFAULT_CACHED_BOOKS;
  // Tasks small enough to run inline use this thread's caches: the same bound.
  configureCpuTaskCaches({ books: cacheBooks });
  let piscina: Piscina<CpuTaskRequest, CpuTaskOutcome> | undefined;
  let closed = false;
  const counts = { inline: 0, pooled: 0, timedOut: 0 };
  const slots = createOwnerSlots(Math.max(1, Math.floor(options.threads / 2)));

  const threadsPool = () =>
    (piscina ??= new Piscina<CpuTaskRequest, CpuTaskOutcome>({
      filename: WORKER_FILE,
      minThreads: Math.min(options.minThreads ?? 0, options.threads),
      maxThreads: options.threads,
      idleTimeout: options.idleTimeoutMs ?? 30_000,
      workerData: { cacheBooks } satisfies CpuThreadData,
      maxQueue: options.maxQueue ?? 1000,
      closeTimeout: options.taskTimeoutMs,
      // The threads run plain TypeScript like the main thread (Node's type stripping); no inherited --inspect etc.
      execArgv: [],
    }));

  const unwrap = (outcome: CpuTaskOutcome) => {
    if (outcome.ok) return outcome.value;
    throw new AppError(outcome.error.status, outcome.error.code, outcome.error.message, outcome.error.extra);
  };

  return {
    threads: options.threads,
    cacheBooks,
    async run(task, input, owner) {
      const request = { task, input } as CpuTaskRequest;
      if (options.threads === 0 || closed || runsInline(request)) {
        counts.inline++;
        return unwrap(runCpuTask(request)) as never;
      }
      counts.pooled++;
      const signal = AbortSignal.timeout(options.taskTimeoutMs);
      let release: (() => void) | undefined;
      try {
        release = await slots.acquire(owner, signal);
        return unwrap(await threadsPool().run(packForThread(request), { signal })) as never;
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') {
          counts.timedOut++;
          throw new AppError(
            503,
            'processing_timeout',
            `the ${task} work took longer than ${options.taskTimeoutMs} ms and was stopped (CPU_TASK_TIMEOUT_MS)`,
            { timeout_ms: options.taskTimeoutMs },
          );
        }
        if (err instanceof Error && /queue is at limit/i.test(err.message))
          throw new AppError(503, 'processing_busy', 'too much CPU-heavy work is waiting; try again shortly');
        throw err;
      } finally {
        release?.();
      }
    },
    start() {
      if (options.threads > 0 && !closed) threadsPool();
    },
    stats: () => ({ ...counts, threadsStarted: piscina !== undefined, liveThreads: piscina?.threads.length ?? 0 }),
    async close() {
      closed = true;
      await piscina?.close();
    },
  };
}
