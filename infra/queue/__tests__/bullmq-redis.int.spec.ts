import { randomUUID } from 'node:crypto';
import { test } from '@jest/globals';
import { Redis } from 'ioredis';
import { queueContract } from '../contract/queue-contract.ts';

// No Redis runs in CI by default; set REDIS_URL (e.g. redis://127.0.0.1:6379) to run this variant.
const url = process.env.REDIS_URL;

if (url) {
  queueContract('BullMQ on Redis', async () => {
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    return {
      backend: { kind: 'redis', url, prefix },
      teardown: async () => {
        const redis = new Redis(url);
        try {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
            cursor = next;
            if (keys.length > 0) await redis.del(...keys);
          } while (cursor !== '0');
        } finally {
          redis.disconnect();
        }
      },
    };
  });
} else {
  console.log('SKIP BullMQ Redis contract suite: REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379)');
  test.skip('BullMQ Redis contract suite (needs REDIS_URL)', () => undefined);
}
