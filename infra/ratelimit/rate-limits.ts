import type { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Per-user limits per action (the original system's operations), on rate-limiter-flexible: Redis when the
 * service runs distributed, PostgreSQL in the embedded default. Every store limiter has an in-memory
 * insurance limiter, so a store outage degrades to per-process counting instead of failing requests.
 */
export const RATE_LIMIT_ACTIONS = [
  'character_import',
  'character_create',
  'chat_create',
  'message_send',
  'message_edit',
  'message_delete',
  'message_search',
  'chat_completion',
  'world_book_ops',
  'dictionary_process',
  'blob_upload',
  'persona_ops',
  'group_ops',
] as const;
export type RateLimitAction = (typeof RATE_LIMIT_ACTIONS)[number];

export interface ActionLimit {
  points: number;
  durationSeconds: number;
}

/**
 * The original system's defaults: 100 operations per hour, 60 message sends and 20 completions per minute. Ours on
 * top: dictionary processing as often as message sends (it processes a message's worth of text), and stored uploads
 * (avatars, card assets, message images) as often as card imports; persona writes (create, import, change) and
 * group writes as often as world-book operations.
 */
export const DEFAULT_RATE_LIMITS: Record<RateLimitAction, ActionLimit> = {
  character_import: { points: 100, durationSeconds: 3600 },
  character_create: { points: 100, durationSeconds: 3600 },
  chat_create: { points: 100, durationSeconds: 3600 },
  message_send: { points: 60, durationSeconds: 60 },
  message_edit: { points: 100, durationSeconds: 3600 },
  message_delete: { points: 100, durationSeconds: 3600 },
  message_search: { points: 100, durationSeconds: 3600 },
  chat_completion: { points: 20, durationSeconds: 60 },
  world_book_ops: { points: 100, durationSeconds: 3600 },
  dictionary_process: { points: 60, durationSeconds: 60 },
  blob_upload: { points: 100, durationSeconds: 3600 },
  persona_ops: { points: 100, durationSeconds: 3600 },
  group_ops: { points: 100, durationSeconds: 3600 },
};

export type RateLimitStore = { kind: 'redis'; client: Redis } | { kind: 'postgres'; pool: pg.Pool } | { kind: 'memory' };

export interface RateLimitDecision {
  allowed: boolean;
  action: RateLimitAction;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  windowSeconds: number;
}

export interface RateLimits {
  readonly store: RateLimitStore['kind'];
  consume(action: RateLimitAction, userId: string): Promise<RateLimitDecision>;
  /** Gives back a point consumed for a request that was then refused by another of its limits. */
  refund(action: RateLimitAction, userId: string): Promise<void>;
  /** The caller's standing for every action, consuming nothing. */
  status(userId: string): Promise<RateLimitDecision[]>;
  /** Whether the shared store answers (false means the insurance limiters are counting). */
  storeHealthy(): Promise<boolean>;
}

function decision(action: RateLimitAction, limit: ActionLimit, res: RateLimiterRes | null, allowed: boolean): RateLimitDecision {
  return {
    allowed,
    action,
    limit: limit.points,
    remaining: res ? Math.max(0, res.remainingPoints) : limit.points,
    resetMs: res ? Math.max(0, res.msBeforeNext) : 0,
    windowSeconds: limit.durationSeconds,
  };
}

export function createRateLimits(store: RateLimitStore, limits: Record<RateLimitAction, ActionLimit> = DEFAULT_RATE_LIMITS): RateLimits {
  const limiters = new Map<RateLimitAction, RateLimiterAbstract>();
  for (const action of RATE_LIMIT_ACTIONS) {
    const { points, durationSeconds } = limits[action];
    const base = { points, duration: durationSeconds, keyPrefix: `rl_${action}` };
    const insuranceLimiter = new RateLimiterMemory(base);
    if (store.kind === 'redis') {
      limiters.set(action, new RateLimiterRedis({ ...base, storeClient: store.client, rejectIfRedisNotReady: true, insuranceLimiter }));
    } else if (store.kind === 'postgres') {
      limiters.set(
        action,
        new RateLimiterPostgres({
          ...base,
          storeClient: store.pool,
          storeType: 'pool',
          tableName: 'rate_limits',
          schemaName: 'public',
          tableCreated: true,
          clearExpiredByTimeout: true,
          insuranceLimiter,
        }),
      );
    } else {
      limiters.set(action, insuranceLimiter);
    }
  }
  return {
    store: store.kind,
    async consume(action, userId) {
      const limit = limits[action];
      try {
        const res = await limiters.get(action)!.consume(userId, 1);
        return decision(action, limit, res, true);
      } catch (err) {
        if (err instanceof RateLimiterRes) return decision(action, limit, err, false);
        throw err;
      }
    },
    async refund(action, userId) {
      await limiters.get(action)!.reward(userId, 1);
    },
    async status(userId) {
      return Promise.all(
        RATE_LIMIT_ACTIONS.map(async (action) => {
          const res = await limiters
            .get(action)!
            .get(userId)
            .catch(() => null);
          const limit = limits[action];
          return decision(action, limit, res, !res || res.remainingPoints > 0 || res.consumedPoints < limit.points);
        }),
      );
    },
    async storeHealthy() {
      if (store.kind === 'redis') return store.client.status === 'ready';
      if (store.kind === 'postgres')
        return store.pool.query('SELECT 1').then(
          () => true,
          () => false,
        );
      return true;
    },
  };
}

/** The table RateLimiterPostgres uses, created up front (its own asynchronous creation races first requests). */
export const RATE_LIMIT_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS public.rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);`;

/** Parses `RATE_LIMITS` overrides over the defaults; an unknown action is an error naming it. */
export function rateLimitsFromConfig(overrides: string | undefined): Record<RateLimitAction, ActionLimit> {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const part of (overrides ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [action, spec] = part.split('=') as [string, string];
    if (!(RATE_LIMIT_ACTIONS as readonly string[]).includes(action))
      throw new Error(`RATE_LIMITS names an unknown action ${action} (known: ${RATE_LIMIT_ACTIONS.join(', ')})`);
    const [points, seconds] = spec.split('/').map(Number) as [number, number];
    if (!(points > 0 && seconds > 0)) throw new Error(`RATE_LIMITS: ${part} needs positive points and seconds`);
    limits[action as RateLimitAction] = { points, durationSeconds: seconds };
  }
  return limits;
}
