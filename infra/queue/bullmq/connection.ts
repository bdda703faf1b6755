import { createPostgresBackend, createRedisBackend, type BackendFactory, type IQueueBackend } from 'bullmq';
import type { QueueBackend } from '../queue.ts';

/**
 * Who the connection is for:
 * - `producer`: a Queue used from request handlers. Redis: fail fast (no offline queue, one retry per request)
 *   so an outage is a quick 503, not a hung request; a retried add is safe because every job has an id.
 * - `worker` / `events`: long-lived blocking consumers (Worker, QueueEvents). Redis: `maxRetriesPerRequest:
 *   null`, as BullMQ requires, so a blocking read survives reconnects instead of failing after N retries.
 */
export type ConnectionRole = 'producer' | 'worker' | 'events';

export interface BullmqBackend {
  factory: BackendFactory<IQueueBackend, unknown>;
  connection: unknown;
  /** Queue/Worker `prefix` option (Redis key prefix). */
  prefix?: string;
}

const PG_CONNECT_TIMEOUT_MS = 5000;

export function bullmqBackend(backend: QueueBackend, role: ConnectionRole, size?: { pool?: number }): BullmqBackend {
  if (backend.kind === 'redis') {
    // ioredis waits `disconnectTimeout` (default 2 s) for a socket to close before destroying it, and arms
    // that timer even for a socket that is already gone (a connection that never came up).
    const connection =
      role === 'producer'
        ? { url: backend.url, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000, disconnectTimeout: 500 }
        : { url: backend.url, maxRetriesPerRequest: null, disconnectTimeout: 500 };
    return {
      factory: createRedisBackend as BackendFactory<IQueueBackend, unknown>,
      connection,
      ...(backend.prefix !== undefined ? { prefix: backend.prefix } : {}),
    };
  }
  // The config-object form is the only one that honours `migrate` and `schema`: a bare connection string or a
  // pg.Pool is used with the default schema and only *checks* it ("schema bullmq is not initialized" otherwise).
  // BullMQ owns the pool it builds from this and ends it on close; it adds one LISTEN connection of its own.
  const connection = {
    connectionString: backend.connectionString,
    migrate: true,
    ...(backend.schema !== undefined ? { schema: backend.schema } : {}),
    max: backend.poolSize ?? size?.pool ?? (role === 'producer' ? 4 : 2),
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: `bullmq-${role}`,
  };
  return { factory: createPostgresBackend as BackendFactory<IQueueBackend, unknown>, connection };
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // PostgreSQL: admin/crash shutdown, cannot connect now, connection exceptions.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const CONNECTION_ERROR_MESSAGES =
  /Connection is closed|enableOfflineQueue options is false|Reached the max retries per request|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNREFUSED|Cannot use a pool after calling end/i;

/**
 * Errors may come from another realm (Node core creates socket errors with its own `Error`, which is not the
 * `Error` of a vm context such as Jest's), so they are recognised by shape, not with `instanceof`.
 */
export function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** The datastore was unreachable (as opposed to a bug or a rejected argument). */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (!isErrorLike(err) || depth > 5) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  if (CONNECTION_ERROR_MESSAGES.test(err.message)) return true;
  // Node reports a refused dual-stack connect as an AggregateError of one error per address.
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some((e) => isConnectionError(e, depth + 1))) return true;
  return err.cause !== undefined && err.cause !== err && isConnectionError(err.cause, depth + 1);
}
