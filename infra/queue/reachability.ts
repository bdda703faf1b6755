import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * One-off reachability checks for /ready and start-up diagnostics, on a fresh connection each (they never
 * interfere with the queue's own connections and never hang longer than `timeoutMs`).
 */
export async function redisReachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const ping = (async () => {
      await client.connect();
      return (await client.ping()) === 'PONG';
    })();
    ping.catch(() => undefined);
    return await Promise.race([ping, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    // On an already closed client, disconnect() would still arm ioredis' 2 s `disconnectTimeout` timer.
    if (client.status !== 'end') client.disconnect();
  }
}

export async function postgresReachable(connectionString: string, timeoutMs = 2000): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
