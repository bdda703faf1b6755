import { z } from 'zod';
import type { JobHandler } from '../../infra/queue/queue.ts';
import type { Runtime } from '../runtime.ts';
import { createStateCache } from '../../commands/state-cache.ts';
import { COMPLETION_JOB } from '../../shared/completions/completion-job.ts';
import { createCharacterPrompts } from '../completions/character-prompt.ts';
import { createCompletionRunner } from '../completions/completion-runner.ts';
import { adoptingHandler, type LocalCompletionRuns } from '../completions/local-completion-runs.ts';
import { createCompletionSealer } from '../completions/completion-sealing.ts';
import type { CompletionRelay } from '../../infra/relay/relay.ts';
import { SUMMARY_JOB } from '../../shared/memory/summary-job.ts';
import { summaryRequestDeps } from '../memory/summary-deps.ts';
import { createSummaryJobHandler } from '../memory/summary-writer.ts';
import { createMemoryTrigger } from '../memory/memory-trigger.ts';
import { EMBED_JOB } from '../../shared/memory/embedding-job.ts';
import { createEmbedJobHandler } from '../memory/embedding-writer.ts';
import { embeddingSetup } from '../memory/embedding-setup.ts';

export const QUEUE_NAME = 'character-chat';

/**
 * Chat completions: prompt, provider stream relayed (on the given relay) to the waiting response, the turn stored
 * once. The prompt builder (with its lorebook index cache) is shared by every handler made here.
 */
export function completionHandlers(
  runtime: Pick<Runtime, 'config' | 'providers' | 'database' | 'eventStore' | 'waiter' | 'dataKeys' | 'cpu' | 'blobStore'> &
    Partial<Pick<Runtime, 'queue' | 'logger' | 'memoryEmbeddings'>>,
): (relay: CompletionRelay) => JobHandler {
  const { config } = runtime;
  const prompts = createCharacterPrompts(runtime.database.db, config.READ_SCHEMA, runtime.cpu, runtime.memoryEmbeddings ?? null);
  const stateCache = createStateCache(undefined, config.STATE_CACHE_MAX_EVENTS);
  // A forgotten user's decided states must not outlive their keys (this process or another forgot them).
  runtime.dataKeys.onDestroyed(() => stateCache.clear());
  const chats = { eventStore: runtime.eventStore, stateCache, config };
  const sealer = createCompletionSealer(runtime.dataKeys);
  const { database, eventStore, providers, queue, logger } = runtime;
  // A stored turn may push a span out of the window: long-term memory's summary check (when a queue is at hand).
  const afterTurnSaved =
    queue && logger
      ? createMemoryTrigger(
          summaryRequestDeps({ db: database.db, readSchema: config.READ_SCHEMA, eventStore, cache: stateCache, queue, providers }, config),
          { db: database.db, readSchema: config.READ_SCHEMA, queue, model: config.MEMORY_EMBEDDING_MODEL ?? null },
          logger,
        )
      : undefined;
  return (relay) =>
    createCompletionRunner({
      providers: runtime.providers,
      relay,
      prompts,
      chats,
      eventStore: runtime.eventStore,
      waiter: runtime.waiter,
      readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
      sealer,
      images: { blobs: runtime.blobStore, quotaBytes: config.STORAGE_QUOTA_BYTES_PER_USER },
      ...(afterTurnSaved ? { afterTurnSaved } : {}),
    });
}

/**
 * Whose share of the worker a job counts against (WORKER_MAX_JOBS_PER_USER): a completion's user. A completion
 * this process already runs locally holds its slot there, so the worker's adoption of it takes none.
 */
export function completionUserOf(
  local: Pick<LocalCompletionRuns, 'running'> | undefined,
): (jobName: string, data: unknown) => string | null {
  return (jobName, data) => {
    if (jobName !== COMPLETION_JOB || typeof data !== 'object' || data === null) return null;
    const { userId, completionId } = data as { userId?: unknown; completionId?: unknown };
    if (typeof userId !== 'string') return null;
    if (typeof completionId === 'string' && local?.running(completionId)) return null;
    return userId;
  };
}

/** The job catalogue: one handler per job name, built from the runtime's ports. */
export function jobHandlers(runtime: Runtime, completionHandlerFor = completionHandlers(runtime)): Record<string, JobHandler> {
  const completion = completionHandlerFor(runtime.relay);
  return {
    // A completion this process already started for the API (embedded fast path) is adopted, not run again.
    [COMPLETION_JOB]: runtime.localCompletions ? adoptingHandler(runtime.localCompletions, completion) : completion,
    [SUMMARY_JOB]: createSummaryJobHandler({
      db: runtime.database.db,
      readSchema: runtime.config.READ_SCHEMA,
      eventStore: runtime.eventStore,
      providers: runtime.providers,
      waiter: runtime.waiter,
      readYourWritesTimeoutMs: runtime.config.READ_YOUR_WRITES_TIMEOUT_MS,
      provider: runtime.config.MEMORY_SUMMARY_PROVIDER,
      model: runtime.config.MEMORY_SUMMARY_MODEL,
    }),
    [EMBED_JOB]: createEmbedJobHandler({
      db: runtime.database.db,
      readSchema: runtime.config.READ_SCHEMA,
      eventStore: runtime.eventStore,
      waiter: runtime.waiter,
      readYourWritesTimeoutMs: runtime.config.READ_YOUR_WRITES_TIMEOUT_MS,
      embeddings: embeddingSetup(runtime.config),
    }),
    /**
     * Round trip through the queue and a worker (the operator's `npm run queue:check` and the plumbing test):
     * echoes its payload, optionally after a delay, honouring cancellation.
     */
    'diagnostics.echo': async (data: unknown, { signal, attempt }) => {
      const input = z.object({ payload: z.unknown(), delayMs: z.number().int().min(0).max(60_000).default(0) }).parse(data);
      if (input.delayMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, input.delayMs);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
            },
            { once: true },
          );
        });
      }
      return { payload: input.payload, attempt, workerPid: process.pid };
    },
  };
}
