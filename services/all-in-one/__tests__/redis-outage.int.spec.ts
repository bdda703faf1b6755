import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { redisReachable } from '../../../infra/queue/reachability.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import {
  apiClient,
  apiKeyOf,
  exited,
  freePort,
  killServiceProcesses,
  sleep,
  startServiceProcess,
  stopOrphanedPostgres,
  tempDataDir,
  waitFor,
  type ServiceProcess,
} from '../../../test/service-process.ts';

/**
 * Redis killed under a running service (REDIS_URL: rate limits, job queue and completion relay on Redis).
 * The test owns its Redis, so it starts its own `redis-server` (the binary .ci/run installs) rather than using
 * REDIS_URL's shared one; without the binary it prints a SKIP line.
 */
const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

if (!hasRedis) {
  console.log('SKIP Redis outage fault test: no redis-server on PATH (.ci/run installs it)');
  test.skip('Redis outage fault test (needs redis-server)', () => undefined);
} else {
  const dataDir = tempDataDir('ccb-redis-out-');
  const redisDir = mkdtempSync(path.join(os.tmpdir(), 'ccb-redis-'));
  let redisPort: number;
  let redis: ChildProcess | undefined;
  let upstream: FakeLlmServer;
  let service: ServiceProcess;
  let call: ReturnType<typeof apiClient>;

  const startRedis = async () => {
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir],
      { stdio: 'ignore' },
    );
    await waitFor('redis-server to answer', () => redisReachable(`redis://127.0.0.1:${redisPort}`, 500), 10_000, 50);
  };
  const killRedis = async () => {
    redis!.kill('SIGKILL');
    await exited(redis!);
    redis = undefined;
  };

  beforeAll(async () => {
    redisPort = await freePort();
    await startRedis();
    upstream = await startFakeOpenAIServer();
    upstream.setDefaultReply({ text: 'Queue is back.' });
    service = await startServiceProcess({
      dataDir,
      env: {
        LOG_LEVEL: 'warn',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        RATE_LIMITS_ENABLED: 'true',
        RATE_LIMITS: 'character_create=5/600',
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: upstream.url,
        LLM_MODEL: 'fake-model',
      },
    });
    call = apiClient(service.url, apiKeyOf(dataDir));
  }, 150_000);

  afterAll(async () => {
    if (service && service.child.exitCode !== null)
      console.log(`the service exited (${service.child.exitCode}):\n${service.output().slice(-8000)}`);
    await killServiceProcesses();
    await stopOrphanedPostgres(dataDir);
    if (redis) await killRedis();
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(redisDir, { recursive: true, force: true });
  });

  const create = (name: string) =>
    call('POST', '/api/v1/characters', { body: { name, first_message: 'Hi.' }, signal: AbortSignal.timeout(10_000) });

  describe('Redis down while the service serves', () => {
    test('rate limits fall back to the insurance limiter, /ready reports it, nothing crashes, and Redis coming back is picked up', async () => {
      const first = await create('Redis up 1');
      expect(first.status).toBe(201);
      expect(first.headers.get('ratelimit-remaining') ?? first.headers.get('x-ratelimit-remaining')).toBe('4');
      let status = await call('GET', '/api/v1/characters/rate-limit-status');
      expect(status.body).toMatchObject({ enabled: true, store: 'redis', degraded: false });
      let ready = await call('GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.rate_limits).toMatchObject({ ok: true, store: 'redis', degraded: false });

      await killRedis();

      // Reads and writes that need no Redis go on; the limits are counted in memory meanwhile (a fresh window).
      expect((await call('GET', '/api/v1/characters', { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
      const during: number[] = [];
      for (let i = 0; i < 7; i++) during.push((await create(`Redis down ${i}`)).status);
      expect(during).toEqual([201, 201, 201, 201, 201, 429, 429]);
      const refused = await create('Redis down, refused');
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      status = await call('GET', '/api/v1/characters/rate-limit-status');
      expect(status.body).toMatchObject({ enabled: true, store: 'redis', degraded: true });
      ready = await call('GET', '/ready', { signal: AbortSignal.timeout(10_000) });
      expect(ready.body.checks.rate_limits).toMatchObject({ store: 'redis', degraded: true });
      expect(ready.body.checks.queue.ok).toBe(false); // the job queue lives on Redis too
      expect(ready.status).toBe(503);
      // A completion needs the queue: a 503 problem, quickly, not a hang or a crash.
      const chat = await call('POST', '/api/v1/character_chats', { body: { character_id: first.body.id } });
      expect(chat.status).toBe(201);
      const completion = await call('POST', `/api/v1/character_chats/${chat.body.id}/complete`, {
        body: {},
        signal: AbortSignal.timeout(15_000),
      });
      expect(completion.status).toBe(503);
      expect(completion.body.code).toBe('queue_unavailable');
      // Some seconds without Redis: the clients' reconnect back-off grows meanwhile.
      await sleep(5000);
      expect(service.child.exitCode).toBeNull();

      await startRedis();
      await waitFor(
        '/ready once Redis is back',
        async () => {
          const r = await call('GET', '/ready');
          return r.status === 200 && r.body.checks.rate_limits.degraded === false;
        },
        45_000,
        250,
      );
      // Counting is back on Redis (which restarted empty): a fresh window there.
      const after = await create('Redis back');
      expect(after.status).toBe(201);
      expect(after.headers.get('ratelimit-remaining') ?? after.headers.get('x-ratelimit-remaining')).toBe('4');
      const completed = await call('POST', `/api/v1/character_chats/${chat.body.id}/complete`, {
        body: {},
        signal: AbortSignal.timeout(30_000),
      });
      expect({ status: completed.status, content: completed.body.content }).toEqual({ status: 200, content: 'Queue is back.' });
      expect(service.child.exitCode).toBeNull();
      expect(service.output()).not.toMatch(/unhandled rejection|uncaught/i);
    }, 180_000);
  });
}
