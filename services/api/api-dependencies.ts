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

export interface CompletionDependencies {
  queue: import('../../infra/queue/queue.ts').JobQueue;
  relay: import('../../infra/relay/relay.ts').CompletionRelay;
  providers: import('../../infra/llm/index.ts').ProviderRegistry;
  /** Aborts a job running on a worker of this process (embedded mode); false when it does not run here. */
  cancelLocal(jobId: string, reason: string): boolean;
  /** Embedded fast path: completions started on this process's worker at once (absent when not available). */
  local?: import('../completions/local-completion-runs.ts').LocalCompletionRuns;
}

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
  /** Per-user payload keys of the event store (forgetting a user destroys theirs). */
  dataKeys: import('../../infra/eventstore/encryption/data-key-store.ts').DataKeyStore;
  waiter: ProgressWaiter;
  /** Writes answered before every projection applied them (inline posts): a caller's next read waits for them. */
  pendingOwnWrites: import('./http/pending-own-writes.ts').PendingOwnWrites;
  authenticate: Authenticate;
  /** Users and their API keys (multi-user mode; forgetting a user revokes theirs). */
  users: import('../../infra/auth/user-store.ts').UserStore;
  readiness: ReadinessCheck[];
  /** Per-user rate limits; absent when disabled (single-user default). */
  rateLimits?: import('../../infra/ratelimit/rate-limits.ts').RateLimits;
  /** Completions: the queue the jobs go to, the relay their tokens come back on, the configured providers. */
  completions: CompletionDependencies;
  /** The event feed of this process (GET /api/v1/events/stream): one shared live tail, closed on shutdown. */
  eventFeed: import('./event-feed/event-feed.ts').EventFeed;
  /** Operations on the projections: their status and lag (as /ready reports them) and single-projection rebuilds. */
  projections: {
    names: readonly string[];
    lag(): Promise<import('../runtime.ts').ProjectionLag[]>;
    rebuilds: import('../../projections/projection-rebuilds.ts').ProjectionRebuilds;
  };
  /** Long-term memory's embedding index (MEMORY_EMBEDDING_MODEL), fused into memory search and recall; null when off. */
  memoryEmbeddings?: import('../memory/embedding-index.ts').EmbeddingIndex | null;
  /** CPU-heavy work off the request thread (the runtime's pool). */
  cpu: import('../../infra/cpu/cpu-pool.ts').CpuPool;
  /** Extra Prometheus collectors (projection lag, queue depth) registered by the runtime. */
  metricsCollectors?: Array<(registry: import('prom-client').Registry) => void>;
}
