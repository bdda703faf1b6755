import { z } from 'zod';
import type { JobHandler } from '../../infra/queue/queue.ts';
import type { Runtime } from '../runtime.ts';
import { createStateCache } from '../../commands/state-cache.ts';
import { COMPLETION_JOB } from '../../shared/completions/completion-job.ts';
import { createCharacterPrompts } from '../completions/character-prompt.ts';
import { createCompletionRunner } from '../completions/completion-runner.ts';

export const QUEUE_NAME = 'character-chat';

/** The job catalogue: one handler per job name, built from the runtime's ports. */
export function jobHandlers(runtime: Runtime): Record<string, JobHandler> {
  const { config } = runtime;
  const stateCache = createStateCache();
  // A forgotten user's decided states must not outlive their keys (this process or another forgot them).
  runtime.dataKeys.onDestroyed(() => stateCache.clear());
  return {
    /** A chat completion: prompt, provider stream relayed to the waiting response, the turn stored once. */
    [COMPLETION_JOB]: createCompletionRunner({
      providers: runtime.providers,
      relay: runtime.relay,
      prompts: createCharacterPrompts(runtime.database.db, config.READ_SCHEMA),
      chats: { eventStore: runtime.eventStore, stateCache, config },
      eventStore: runtime.eventStore,
      waiter: runtime.waiter,
      readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
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
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
          }, { once: true });
        });
      }
      return { payload: input.payload, attempt, workerPid: process.pid };
    },
  };
}
