import { test } from '@jest/globals';
import { relayContract } from '../contract/relay-contract.ts';
import { createRedisRelay } from '../relay.ts';

if (process.env.REDIS_URL) {
  const url = process.env.REDIS_URL;
  relayContract('redis', () => createRedisRelay({ url, prefix: `ccb-test:${process.pid}:`, retentionSeconds: 60, blockMs: 200 }));
} else {
  console.log('SKIP relay contract on Redis: REDIS_URL is not set');
  test.skip('relay contract (redis): REDIS_URL is not set', () => undefined);
}
