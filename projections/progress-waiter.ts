import type { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { ProjectionProgress } from '../shared/users/data-erasure-ports.ts';

/**
 * Read your writes: a command waits until every projection has applied its events. In one process the
 * runner's progress events resolve waits at once; across processes (api apart from projector) the
 * checkpoint table is polled while anyone waits.
 */
export interface ProgressWaiter extends ProjectionProgress {
  close(): void;
}

export function createProgressWaiter(options: {
  db: Kysely<ReadModels>;
  schema: string;
  projectionNames: readonly string[];
  local?: EventEmitter;
  pollIntervalMs?: number;
}): ProgressWaiter {
  const positions = new Map<string, string>();
  const waiters = new Set<{ position: string; resolve: (ok: boolean) => void }>();
  const pollIntervalMs = options.pollIntervalMs ?? 15;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling = false;

  const reached = (position: string) => options.projectionNames.every((name) => (positions.get(name) ?? '') >= position);

  const settle = () => {
    for (const w of waiters) {
      if (reached(w.position)) {
        waiters.delete(w);
        w.resolve(true);
      }
    }
    if (waiters.size === 0 && pollTimer) {
      clearInterval(pollTimer);
      pollTimer = undefined;
    }
  };

  const onProgress = (name: string, position: string) => {
    if ((positions.get(name) ?? '') < position) positions.set(name, position);
    settle();
  };
  options.local?.on('progress', onProgress);

  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const rows = await options.db.withSchema(options.schema).selectFrom('projection_checkpoints').select(['name', 'position']).execute();
      for (const row of rows) onProgress(row.name, row.position);
    } catch {
      // The next poll retries; waiters time out if the database stays away.
    } finally {
      polling = false;
    }
  };

  return {
    waitFor(position, timeoutMs) {
      if (reached(position)) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const waiter = {
          position,
          resolve: (ok: boolean) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiters.add(waiter);
        if (!options.local && !pollTimer) {
          pollTimer = setInterval(() => void poll(), pollIntervalMs);
          void poll();
        }
      });
    },
    close() {
      options.local?.off('progress', onProgress);
      if (pollTimer) clearInterval(pollTimer);
      for (const w of waiters) w.resolve(false);
      waiters.clear();
    },
  };
}
