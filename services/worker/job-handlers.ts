import { z } from 'zod';
import type { JobHandler } from '../../infra/queue/queue.ts';
import type { Runtime } from '../runtime.ts';

export const QUEUE_NAME = 'character-chat';

/** The job catalogue: one handler per job name, built from the runtime's ports. */
export function jobHandlers(_runtime: Runtime): Record<string, JobHandler> {
  return {
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
