import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postgresReachable, redisReachable } from '../infra/queue/queue.ts';
import { databaseReachable, type Runtime } from './runtime.ts';

/**
 * The health of a process without the API (projector, worker), as its own state rather than the database's:
 * `GET /health` on HEALTH_PORT answers 200 or 503 with what it found. A container health check asks it through
 * `node services/cli/healthcheck.ts <role>`.
 *
 * - projector: the database answers and no projection has stopped on a failure; `leader` says whether this one
 *   holds the projector lock and applies events, or stands by (healthy too: it takes over when the leader dies).
 * - worker: it is taking jobs (started, not shutting down) and its queue's datastore answers; with its running jobs.
 */
export type HealthRole = 'projector' | 'worker';

export interface RoleHealth {
  status: 'ok' | 'unhealthy';
  role: HealthRole;
  pid: number;
  problems: string[];
  [detail: string]: unknown;
}

export async function checkRoleHealth(runtime: Runtime, role: HealthRole, state: { stopping: boolean }): Promise<RoleHealth> {
  const problems: string[] = [];
  const details: Record<string, unknown> = {};
  if (state.stopping) problems.push('shutting down');
  if (role === 'projector') {
    await databaseReachable(runtime).catch(() => problems.push('database unreachable'));
    const projections = runtime.runner?.status() ?? [];
    const failed = projections.filter((p) => p.state === 'failed').map((p) => p.name);
    if (failed.length) problems.push(`failed projections: ${failed.join(', ')}`);
    if (!runtime.runner) problems.push('no projector in this process');
    details.leader = projections.some((p) => p.state === 'running');
    details.projections = projections.map((p) => ({ name: p.name, state: p.state, position: p.position }));
  } else {
    const { config } = runtime;
    const reachable = config.REDIS_URL
      ? await redisReachable(config.REDIS_URL)
      : await postgresReachable(runtime.connection.connectionString);
    if (!reachable) problems.push(`queue datastore (${config.REDIS_URL ? 'redis' : 'postgres'}) unreachable`);
    if (!runtime.worker) problems.push('no worker in this process');
    details.active_jobs = runtime.worker?.activeJobIds() ?? [];
    details.concurrency = config.WORKER_CONCURRENCY;
  }
  return { status: problems.length ? 'unhealthy' : 'ok', role, pid: process.pid, problems, ...details };
}

/** Serves `GET /health` for the role; resolves with the server once it listens. */
export async function startRoleHealthServer(
  runtime: Runtime,
  role: HealthRole,
  options: { port: number; host: string },
): Promise<{ server: Server; url: string; stopping(): void; close(): Promise<void> }> {
  const state = { stopping: false };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not_found"}');
      return;
    }
    checkRoleHealth(runtime, role, state).then(
      (health) => res.writeHead(health.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health)),
      (err: unknown) =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'unhealthy', role, problems: [(err as Error).message] })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host}:${port}`,
    stopping: () => {
      state.stopping = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
