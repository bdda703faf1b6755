import { sql } from 'kysely';
import type { Config } from '../infra/config.ts';
import { createDatabase, type Database } from '../infra/db/database.ts';
import { connectDatabase, type DatabaseConnection } from '../infra/db/connect.ts';
import { migrateReadModels } from '../infra/db/migrate.ts';
import { START_POSITION, type EventStore } from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { createDataKeyStore, type DataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createPayloadBlobEventStore } from '../infra/eventstore/payload-blobs/payload-blob-event-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import { createUserStore, type UserStore } from '../infra/auth/user-store.ts';
import { createBlobStore, type BlobStore } from '../infra/blobs/blob-store.ts';
import type { Logger } from '../infra/logger.ts';
import { createProgressWaiter, type ProgressWaiter } from '../projections/progress-waiter.ts';
import { createProjectionRunner, type ProjectionRunner } from '../projections/projection-runner.ts';
import { projections } from '../projections/registry.ts';
import { createProjectionRebuilds, type ProjectionRebuilds } from '../projections/projection-rebuilds.ts';
import {
  createGroupSlots,
  createJobQueue,
  createJobWorker,
  type GroupSlots,
  type JobQueue,
  type JobWorker,
  type QueueBackend,
} from '../infra/queue/queue.ts';
import { QUEUE_NAME, completionHandlers, completionUserOf, jobHandlers } from './worker/job-handlers.ts';
import { createLocalCompletionRuns, type LocalCompletionRuns } from './completions/local-completion-runs.ts';
import { COMPLETION_JOB_ATTEMPTS } from '../shared/completions/completion-job.ts';
import { Redis } from 'ioredis';
import { createMemoryRelay, createRedisRelay, type CompletionRelay } from '../infra/relay/relay.ts';
import { ProviderRegistry } from '../infra/llm/index.ts';
import { createCpuPool, type CpuPool } from '../infra/cpu/cpu-pool.ts';
import type { EmbeddingIndex } from './memory/embedding-index.ts';
import { openMemoryEmbeddings } from './memory/memory-embeddings.ts';
import { RATE_LIMIT_TABLE_SQL, createRateLimits, rateLimitsFromConfig, type RateLimits } from '../infra/ratelimit/rate-limits.ts';

export interface Roles {
  api: boolean;
  projector: boolean;
  worker: boolean;
}

/** The shared core of every process: database, event store, read models, and (by role) the projector. */
export interface Runtime {
  config: Config;
  logger: Logger;
  database: Database;
  /** Event store, payload-encrypting unless EVENT_ENCRYPTION=false. */
  eventStore: EventStore;
  /** Per-user payload keys (read even with EVENT_ENCRYPTION=false, so payloads sealed earlier still open). */
  dataKeys: DataKeyStore;
  userStore: UserStore;
  blobStore: BlobStore;
  runner?: ProjectionRunner;
  waiter: ProgressWaiter;
  /** Producer side of the job queue (BullMQ on Redis when REDIS_URL is set, else on PostgreSQL). */
  queue: JobQueue;
  worker?: JobWorker;
  /** Per-job channels from the workers to the waiting responses: in-process, or Redis Streams with REDIS_URL. */
  relay: CompletionRelay;
  /** The configured LLM providers (LLM_* settings). */
  providers: ProviderRegistry;
  /** Per-user rate limits (API role, when enabled). */
  rateLimits?: RateLimits;
  /** CPU-heavy work off the request thread (one pool per process; started at boot by the service mains, else on its first task). */
  cpu: CpuPool;
  /** Long-term memory's embedding index (MEMORY_EMBEDDING_MODEL; pgvector or in process), fused into search and recall; null when off. */
  memoryEmbeddings: EmbeddingIndex | null;
  /** Completions the API starts on this process's worker at once (API + worker roles, in-process relay). */
  localCompletions?: LocalCompletionRuns;
  connection: DatabaseConnection;
  projectionLag(): Promise<ProjectionLag[]>;
  /** Single-projection rebuilds started from the admin API (API role). */
  rebuilds?: ProjectionRebuilds;
  stop(): Promise<void>;
}

export interface ProjectionLag {
  name: string;
  state: string;
  position: string;
  lagEvents: number;
  lagSeconds: number;
  lastError: unknown;
}

async function openBackendEventStore(config: Config, database: Database, options: { listen?: boolean }): Promise<EventStore> {
  if (config.EVENTSTORE_URL) {
    const { createEsdbEventStore } = await import('../infra/eventstore/esdb/esdb-event-store.ts');
    return createEsdbEventStore({ connectionString: config.EVENTSTORE_URL, maxAppendBytes: config.EVENT_STORE_MAX_APPEND_BYTES });
  }
  await migrateEventLog(database.pool);
  return createPostgresEventStore({
    pool: database.pool,
    maxAppendBytes: config.EVENT_STORE_MAX_APPEND_BYTES,
    ...(options.listen === false ? {} : { connectionString: database.connectionString }),
  });
}

/**
 * The configured backend, with payloads too large for one append kept beside it (payload-blob-event-store.ts),
 * wrapped in payload encryption (keys in PostgreSQL, whatever the backend). With EVENT_ENCRYPTION=false new payloads
 * are written in clear but earlier sealed ones still open.
 */
export async function openEventStore(
  config: Config,
  database: Database,
  options: { listen?: boolean } = {},
): Promise<{ eventStore: EventStore; dataKeys: DataKeyStore }> {
  const backend = createPayloadBlobEventStore(await openBackendEventStore(config, database, options), database.pool);
  await backend.migrate();
  const dataKeys = createDataKeyStore({
    pool: database.pool,
    ...(options.listen === false ? {} : { connectionString: database.connectionString }),
    ...(config.EVENT_KEY_ENCRYPTION_KEY ? { keyEncryptionKey: config.EVENT_KEY_ENCRYPTION_KEY } : {}),
  });
  await dataKeys.migrate();
  return { eventStore: createEncryptingEventStore(backend, dataKeys, { sealNewEvents: config.EVENT_ENCRYPTION }), dataKeys };
}

export async function startRuntime(config: Config, roles: Roles, logger: Logger): Promise<Runtime> {
  const connection = await connectDatabase(config, logger);
  const { connectionString } = connection;
  const database = createDatabase(connectionString, {
    max: roles.api ? 30 : 10,
    applicationName: `character-chat-${Object.entries(roles)
      .filter(([, v]) => v)
      .map(([k]) => k)
      .join('+')}`,
  });
  try {
    const { eventStore, dataKeys } = await openEventStore(config, database);
    await migrateReadModels(database.db, config.READ_SCHEMA);
    const userStore = createUserStore(database.pool);
    await userStore.migrate();
    const blobStore = createBlobStore(database.pool);
    await blobStore.migrate(config.READ_SCHEMA);

    // The projector's commits are rebuildable from the log (checkpoint and rows commit together), so its
    // connections skip the WAL-flush wait: no second fsync on a command's response path.
    const projectorDatabase = roles.projector
      ? createDatabase(connectionString, { max: 6, applicationName: 'character-chat-projector', synchronousCommit: false })
      : undefined;
    const runner = projectorDatabase
      ? createProjectionRunner({
          connectionString,
          db: projectorDatabase.db,
          eventStore,
          schema: config.READ_SCHEMA,
          projections,
          logger: logger.child({ component: 'projector' }),
          applyMode: config.PROJECTION_APPLY,
        })
      : undefined;
    const waiter = createProgressWaiter({
      db: database.db,
      schema: config.READ_SCHEMA,
      projectionNames: projections.map((p) => p.name),
      ...(runner ? { local: runner.events } : {}),
    });
    await runner?.start();

    const queueBackend: QueueBackend = config.REDIS_URL
      ? { kind: 'redis', url: config.REDIS_URL }
      : { kind: 'postgres', connectionString, poolSize: 4 };
    const queueLogger = logger.child({ component: 'queue' });
    const queue = createJobQueue({ name: QUEUE_NAME, backend: queueBackend, logger: queueLogger });
    let worker: JobWorker | undefined;
    const relayOptions = { retentionSeconds: config.COMPLETION_STREAM_RETENTION_SECONDS };
    const relay = config.REDIS_URL ? createRedisRelay({ url: config.REDIS_URL, ...relayOptions }) : createMemoryRelay(relayOptions);
    const providers = new ProviderRegistry(config.llm);

    let rateLimitRedis: Redis | undefined;
    let rateLimits: RateLimits | undefined;
    if (roles.api && (config.RATE_LIMITS_ENABLED ?? config.AUTH_MODE === 'multi-user')) {
      if (config.REDIS_URL) {
        // Fail fast: while Redis is away the insurance (in-memory) limiters count instead.
        rateLimitRedis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 });
        rateLimitRedis.on('error', () => undefined);
        // Requests before the connection is up would be counted by the insurance limiters: give it a moment.
        await redisReady(rateLimitRedis, 3000);
      } else {
        await database.pool.query(RATE_LIMIT_TABLE_SQL);
      }
      rateLimits = createRateLimits(
        rateLimitRedis ? { kind: 'redis', client: rateLimitRedis } : { kind: 'postgres', pool: database.pool },
        rateLimitsFromConfig(config.RATE_LIMITS),
      );
    }

    const projectionLag = async (): Promise<ProjectionLag[]> => {
      const rows = await database.db.withSchema(config.READ_SCHEMA).selectFrom('projection_checkpoints').selectAll().execute();
      const local = new Map((runner?.status() ?? []).map((s) => [s.name, s]));
      return Promise.all(
        projections.map(async (p) => {
          const row = rows.find((r) => r.name === p.name);
          const position = row?.position ?? START_POSITION;
          const behind = await eventStore.readAll({ fromPosition: position, maxCount: 1000 });
          const oldest = behind[0];
          return {
            name: p.name,
            state: local.get(p.name)?.state ?? row?.status ?? 'unknown',
            position,
            lagEvents: behind.length,
            lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0,
            lastError: local.get(p.name)?.lastError ?? row?.last_error ?? null,
          };
        }),
      );
    };

    const cpu = createCpuPool({
      threads: config.CPU_POOL_THREADS,
      taskTimeoutMs: config.CPU_TASK_TIMEOUT_MS,
      minThreads: config.CPU_POOL_MIN_THREADS,
      idleTimeoutMs: config.CPU_POOL_IDLE_TIMEOUT_MS,
      cacheBooks: config.WORLD_INFO_CACHE_BOOKS,
    });
    const memoryEmbeddings =
      roles.api || roles.worker ? await openMemoryEmbeddings(config, database.db, logger.child({ component: 'memory' })) : null;
    const completionHandlerFor = completionHandlers({
      memoryEmbeddings,
      config,
      providers,
      database,
      eventStore,
      waiter,
      dataKeys,
      cpu,
      blobStore,
      queue,
      logger: logger.child({ component: 'worker' }),
    });
    // Each user's share of the workers (WORKER_MAX_JOBS_PER_USER), counted in the queue's datastore so that every
    // worker process and the embedded fast path take from the same slots.
    const userSlots: GroupSlots | undefined =
      roles.worker && config.WORKER_MAX_JOBS_PER_USER !== null
        ? await createGroupSlots({
            queueName: QUEUE_NAME,
            backend: queueBackend,
            maxPerGroup: config.WORKER_MAX_JOBS_PER_USER,
            leaseMs: config.WORKER_LOCK_DURATION_MS,
            wake: (jobId) => queue.promote(jobId),
            logger: queueLogger,
          })
        : undefined;
    // Embedded fast path: the API starts a completion on this process's worker at once (see local-completion-runs).
    const localCompletions =
      roles.api && roles.worker && relay.kind === 'memory' && config.COMPLETIONS_LOCAL_START
        ? createLocalCompletionRuns({
            handlerFor: completionHandlerFor,
            relay,
            capacity: config.WORKER_CONCURRENCY,
            maxAttempts: COMPLETION_JOB_ATTEMPTS,
            ...(userSlots ? { userSlots } : {}),
            logger: logger.child({ component: 'worker' }),
          })
        : undefined;
    const rebuilds = roles.api
      ? createProjectionRebuilds({
          connectionString,
          db: database.db,
          eventStore,
          schema: config.READ_SCHEMA,
          projections,
          logger: logger.child({ component: 'projection-rebuild' }),
        })
      : undefined;

    const runtimeBase = {
      config,
      logger,
      database,
      eventStore,
      dataKeys,
      userStore,
      blobStore,
      ...(runner ? { runner } : {}),
      waiter,
      queue,
      relay,
      providers,
      cpu,
      memoryEmbeddings,
      ...(rateLimits ? { rateLimits } : {}),
      ...(localCompletions ? { localCompletions } : {}),
      connection,
      projectionLag,
      ...(rebuilds ? { rebuilds } : {}),
      async stop() {
        // Order: stop taking jobs (running ones finish or go back to the queue), then the projector.
        await localCompletions?.close(config.SHUTDOWN_TIMEOUT_MS);
        await worker?.close(config.SHUTDOWN_TIMEOUT_MS);
        await userSlots?.close();
        await cpu.close();
        await queue.close();
        await relay.close();
        rateLimitRedis?.disconnect();
        await rebuilds?.close();
        waiter.close();
        await runner?.stop();
        await projectorDatabase?.close();
        await eventStore.close();
        await dataKeys.close();
        await database.close();
        await connection.stop();
      },
    };
    const runtime: Runtime = {
      ...runtimeBase,
      get worker() {
        return worker;
      },
    };
    if (roles.worker) {
      worker = createJobWorker({
        name: QUEUE_NAME,
        backend: queueBackend,
        handlers: jobHandlers(runtime, completionHandlerFor),
        concurrency: config.WORKER_CONCURRENCY,
        ...(userSlots ? { groups: { slots: userSlots, groupOf: completionUserOf(localCompletions) } } : {}),
        lockDurationMs: config.WORKER_LOCK_DURATION_MS,
        stalledIntervalMs: config.WORKER_LOCK_DURATION_MS,
        logger: logger.child({ component: 'worker' }),
      });
      await worker.ready();
    }
    return runtime;
  } catch (err) {
    await database.close().catch(() => undefined);
    await connection.stop().catch(() => undefined);
    throw err;
  }
}

/** Resolves when the client is connected, or after `ms` (the caller goes on either way). */
function redisReady(client: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (client.status === 'ready') return resolve();
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}

export async function databaseReachable(runtime: Runtime): Promise<void> {
  await sql`SELECT 1`.execute(runtime.database.db);
}
