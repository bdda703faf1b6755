import { Redis } from 'ioredis';

/**
 * A Redis database of a test file's own (REDIS_URL with its database index replaced), or undefined without
 * REDIS_URL. Other test files run services with the same queue name on the same Redis at once, so a file whose
 * jobs must not be taken by another file's worker uses a database of its own.
 */
export function ownRedisDatabase(index: number): string | undefined {
  if (!process.env.REDIS_URL) return undefined;
  const url = new URL(process.env.REDIS_URL);
  url.pathname = `/${index}`;
  return url.toString();
}

/** Empties that database: a second run against the same server must not find the first run's jobs, whose ids
 * (from fixed idempotency keys) it would take for its own and replay. */
export async function flushRedisDatabase(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
