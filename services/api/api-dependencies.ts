import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Config } from '../../infra/config.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { Logger } from '../../infra/logger.ts';
import type { ProgressWaiter } from '../../projections/progress-waiter.ts';
import type { BlobStore } from '../../infra/blobs/blob-store.ts';
import type { StateCache } from '../../commands/state-cache.ts';
import type { Authenticate } from './auth/authenticator.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<Record<string, unknown> | void>;
}

/** Everything the HTTP layer needs, built once by the runtime (services/runtime.ts). */
export interface ApiDependencies {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  db: Kysely<ReadModels>;
  readSchema: string;
  eventStore: EventStore;
  blobStore: BlobStore;
  /** Decided state of recently used streams (commands on long streams read only the new events). */
  stateCache: StateCache;
  waiter: ProgressWaiter;
  authenticate: Authenticate;
  readiness: ReadinessCheck[];
  /** Per-user rate limits; absent when disabled (single-user default). */
  rateLimits?: import('../../infra/ratelimit/rate-limits.ts').RateLimits;
  /** Extra Prometheus collectors (projection lag, queue depth) registered by the runtime. */
  metricsCollectors?: Array<(registry: import('prom-client').Registry) => void>;
}
