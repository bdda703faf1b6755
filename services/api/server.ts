import http from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import type { Runtime } from '../runtime.ts';
import { databaseReachable } from '../runtime.ts';
import type { ApiDependencies, ReadinessCheck } from './api-dependencies.ts';
import { createApp } from './app.ts';
import { multiUserAuthenticator, singleUserAuthenticator } from './auth/authenticator.ts';
import { resolveSingleUserKey } from '../../infra/auth/single-user-key.ts';
import { createStateCache } from '../../commands/state-cache.ts';
import { createEventFeed, type EventFeed } from './event-feed/event-feed.ts';
import { createProjectionRebuilds } from '../../projections/projection-rebuilds.ts';
import { projections } from '../../projections/registry.ts';
import { createPendingOwnWrites } from './http/pending-own-writes.ts';

export interface ApiServer {
  server: http.Server;
  url: string;
  deps: ApiDependencies;
  /** Stops accepting connections and waits for in-flight requests (bounded by SHUTDOWN_TIMEOUT_MS). */
  close(): Promise<void>;
}

function projectionLagCollector(runtime: Runtime) {
  return (registry: Registry) => {
    const events = new Gauge({
      name: 'projection_lag_events',
      help: 'Events not yet applied by a projection (capped at 1000)',
      labelNames: ['projection'] as const,
      registers: [registry],
    });
    const seconds = new Gauge({
      name: 'projection_lag_seconds',
      help: 'Age of the oldest event a projection has not applied',
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        for (const lag of await runtime.projectionLag().catch(() => [])) {
          this.set({ projection: lag.name }, lag.lagSeconds);
          events.set({ projection: lag.name }, lag.lagEvents);
        }
      },
    });
    void seconds;
  };
}

function eventFeedCollector(feed: EventFeed) {
  return (registry: Registry) => {
    new Gauge({
      name: 'event_feed_consumers',
      help: 'Event feed streams open on this process, by state (live: on the shared tail; paging: catching up)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const { consumers, live } = feed.stats();
        this.set({ state: 'live' }, live);
        this.set({ state: 'paging' }, consumers - live);
      },
    });
    new Gauge({
      name: 'event_feed_detachments',
      help: 'Times an event feed consumer fell too far behind the live tail and went back to paging (since start)',
      registers: [registry],
      collect() {
        this.set(feed.stats().detachments);
      },
    });
  };
}

function queueDepthCollector(runtime: Runtime) {
  return (registry: Registry) => {
    new Gauge({
      name: 'queue_depth',
      help: 'Jobs accepted but not started (waiting, prioritized, delayed)',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        const depth = await runtime.queue.getQueueDepth().catch(() => undefined);
        if (depth !== undefined) this.set({ queue: runtime.queue.name }, depth);
      },
    });
  };
}

export async function buildApiDependencies(
  runtime: Runtime,
  extra: { readiness?: ReadinessCheck[]; metricsCollectors?: ApiDependencies['metricsCollectors'] } = {},
): Promise<ApiDependencies> {
  const { config, logger } = runtime;
  let authenticate;
  if (config.AUTH_MODE === 'multi-user') {
    // Forgetting a user (in any process: the data-key store hears of it by NOTIFY) drops what was cached of them.
    authenticate = multiUserAuthenticator(config, runtime.userStore, {
      invalidations: [(listener) => runtime.dataKeys.onDestroyed(listener)],
    });
  } else {
    const { key, created, file } = await resolveSingleUserKey(config.dataDir, config.API_KEY);
    if (created) {
      // Printed once, at the start that created it; afterwards it is only in the file.
      process.stdout.write(
        `\nGenerated API key (kept in ${file}, mode 0600):\n\n  ${key}\n\nSend it as X-API-KEY or Authorization: Bearer.\n\n`,
      );
    }
    if (key.length < 16) logger.warn('API_KEY is shorter than 16 characters: fine on a loopback address, too weak anywhere else');
    authenticate = singleUserAuthenticator(key);
  }
  const stateCache = createStateCache(undefined, config.STATE_CACHE_MAX_EVENTS);
  // A forgotten user's decided states must not outlive their keys (this process or another forgot them).
  runtime.dataKeys.onDestroyed(() => stateCache.clear());
  const eventFeed = createEventFeed({
    eventStore: runtime.eventStore,
    logger,
    heartbeatMs: config.EVENT_FEED_HEARTBEAT_MS,
    bufferSize: config.EVENT_FEED_BUFFER_EVENTS,
    maxConnectionsPerUser: config.EVENT_FEED_MAX_CONNECTIONS_PER_USER,
    waitForProjections: (position, timeoutMs) => runtime.waiter.waitFor(position, timeoutMs),
  });
  return {
    config,
    logger,
    pool: runtime.database.pool,
    db: runtime.database.db,
    readSchema: config.READ_SCHEMA,
    eventStore: runtime.eventStore,
    blobStore: runtime.blobStore,
    stateCache,
    dataKeys: runtime.dataKeys,
    waiter: runtime.waiter,
    pendingOwnWrites: createPendingOwnWrites(runtime.waiter, config.READ_YOUR_WRITES_TIMEOUT_MS),
    cpu: runtime.cpu,
    memoryEmbeddings: runtime.memoryEmbeddings,
    completions: {
      queue: runtime.queue,
      relay: runtime.relay,
      providers: runtime.providers,
      cancelLocal: (jobId, reason) =>
        (runtime.localCompletions?.cancel(jobId, reason) ?? false) || (runtime.worker?.cancel(jobId, reason) ?? false),
      ...(runtime.localCompletions ? { local: runtime.localCompletions } : {}),
    },
    authenticate,
    users: runtime.userStore,
    eventFeed,
    projections: {
      names: projections.map((p) => p.name),
      lag: () => runtime.projectionLag(),
      rebuilds:
        runtime.rebuilds ??
        createProjectionRebuilds({
          connectionString: runtime.database.connectionString,
          db: runtime.database.db,
          eventStore: runtime.eventStore,
          schema: config.READ_SCHEMA,
          projections,
          logger,
        }),
    },
    ...(runtime.rateLimits ? { rateLimits: runtime.rateLimits } : {}),
    readiness: [
      { name: 'database', check: () => databaseReachable(runtime) },
      {
        name: 'event_store',
        check: async () => {
          await runtime.eventStore.ping();
          return { kind: runtime.eventStore.kind };
        },
      },
      {
        name: 'memory_embeddings',
        check: async () =>
          runtime.memoryEmbeddings
            ? { backend: runtime.memoryEmbeddings.backend, model: runtime.memoryEmbeddings.model }
            : { backend: 'off' },
      },
      {
        name: 'projections',
        check: async () => {
          const lags = await runtime.projectionLag();
          const failed = lags.filter((l) => l.state === 'failed');
          return { ok: failed.length === 0, projections: lags };
        },
      },
      {
        name: 'queue',
        check: async () => {
          await runtime.queue.ping(2000);
          return { backend: runtime.queue.backend };
        },
      },
      ...(runtime.rateLimits
        ? [
            {
              name: 'rate_limits',
              // A store outage does not make the service unready: the insurance limiters count meanwhile.
              check: async () => ({ ok: true, store: runtime.rateLimits!.store, degraded: !(await runtime.rateLimits!.storeHealthy()) }),
            },
          ]
        : []),
      ...(extra.readiness ?? []),
    ],
    metricsCollectors: [
      projectionLagCollector(runtime),
      queueDepthCollector(runtime),
      eventFeedCollector(eventFeed),
      ...(extra.metricsCollectors ?? []),
    ],
  };
}

export async function startApiServer(
  deps: ApiDependencies,
  options: { port: number; host: string; shutdownTimeoutMs: number },
): Promise<ApiServer> {
  const { app } = createApp(deps);
  const { HTTP_HEADERS_TIMEOUT_MS: headers, HTTP_REQUEST_TIMEOUT_MS: request, HTTP_KEEP_ALIVE_TIMEOUT_MS: keepAlive } = deps.config;
  // Slow clients (slowloris): headers must arrive within `headers`, the whole request within `request`; the
  // expiry check runs often enough that a limit is enforced within a quarter of it (Node checks every 30 s).
  const server = http.createServer(
    { connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(Math.min(headers, request) / 4))) },
    app,
  );
  server.headersTimeout = Math.min(headers, request);
  server.requestTimeout = request;
  // Longer than the usual proxy idle timeout would invite races; shorter than headersTimeout, as Node expects.
  server.keepAliveTimeout = Math.min(keepAlive, server.headersTimeout);
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    deps,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs);
      // Event feed streams never end on their own: end them (each after its current write) so they drain.
      await Promise.race([deps.eventFeed.close(), new Promise((resolve) => setTimeout(resolve, options.shutdownTimeoutMs).unref())]);
      server.closeIdleConnections(); // the feed's connections, idle now
      await closed;
      clearTimeout(timer);
    },
  };
}
