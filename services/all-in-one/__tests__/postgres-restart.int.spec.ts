import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../infra/db/embedded-postgres.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import {
  apiClient,
  apiKeyOf,
  killServiceProcesses,
  sleep,
  startServiceProcess,
  tempDataDir,
  waitFor,
  type ServiceProcess,
} from '../../../test/service-process.ts';

/**
 * PostgreSQL restarted under a running service (one it does not own, as in a distributed deployment):
 * while it is away requests fail fast with a 503 problem and /ready says so; once it is back the same
 * process serves again (pools, projector, LISTEN connection, job queue and worker reconnect by themselves).
 */
const dataDir = tempDataDir('ccb-pgrestart-');
const pgDir = path.join(dataDir, 'external-postgres');
let postgres: EmbeddedPostgres | undefined;
let upstream: FakeLlmServer;
let service: ServiceProcess;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  // Durable (fsync, synchronous commit): an immediate shutdown must not lose what was acknowledged.
  postgres = await startEmbeddedPostgres({ dir: pgDir });
  upstream = await startFakeOpenAIServer();
  upstream.setDefaultReply({ text: 'Back again.' });
  service = await startServiceProcess({
    dataDir,
    env: {
      LOG_LEVEL: 'warn',
      DATABASE_URL: postgres.connectionString('postgres'),
      // Rate limits on their PostgreSQL store, generous enough for the load below.
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMITS: 'message_send=100000/60,character_create=100000/60,chat_completion=100000/60,chat_create=100000/60',
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
  await postgres?.stop();
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A request that must answer (whatever the status) within `ms`: a hang is a failure. */
async function timed(method: string, urlPath: string, body?: unknown, ms = 15_000) {
  const started = Date.now();
  try {
    const res = await call(method, urlPath, { ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(ms) });
    return { ...res, ms: Date.now() - started };
  } catch (err) {
    throw new Error(`${method} ${urlPath} failed after ${Date.now() - started} ms: ${(err as Error).message}`, { cause: err });
  }
}

/** Clients that keep writing and reading until stopped; every answer must be a success or a 503 problem. */
function load(chatId: string) {
  let stop = false;
  const statuses: number[] = [];
  const unexpected: unknown[] = [];
  let n = 0;
  const client = async (k: number) => {
    while (!stop) {
      const i = n++;
      const at = new Date().toISOString();
      const res = await (
        k % 2 === 0
          ? timed('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { sender: 'user', content: `load ${i}` }, 30_000)
          : timed('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=20&order=desc`, undefined, 30_000)
      ).catch((err: Error) => ({ status: 0, ms: Infinity, body: `${at} ${err.message}` }));
      statuses.push(res.status);
      if (![200, 201, 202, 503].includes(res.status) || res.ms > 20_000)
        unexpected.push({ status: res.status, ms: res.ms, body: res.body });
      if (res.status === 503) await sleep(50);
    }
  };
  const clients = Array.from({ length: 4 }, (_, k) => client(k));
  return {
    statuses,
    async stop() {
      stop = true;
      await Promise.all(clients);
      return { statuses, unexpected };
    },
  };
}

/** Stops the server as an operator would (`fast`: rolls back and checkpoints) or as a crash would (`immediate`). */
async function stopPostgres(mode: 'fast' | 'immediate'): Promise<void> {
  if (mode === 'fast') await postgres!.stop();
  else {
    const pid = Number(readFileSync(path.join(pgDir, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
    await waitFor(
      'PostgreSQL to exit',
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      15_000,
      50,
    );
  }
  postgres = undefined;
}

describe('PostgreSQL restarted while the service serves', () => {
  test.each([
    ['fast', 3000],
    ['immediate', 8000],
  ] as const)(
    '%s shutdown under load: 503 problems while it is away (%d ms), then the same process serves again',
    async (mode, outageMs) => {
      const character = await timed('POST', '/api/v1/characters', { name: `Before the ${mode} outage`, first_message: 'Hello.' });
      expect(character.status).toBe(201);
      const chat = await timed('POST', '/api/v1/character_chats', { character_id: character.body.id });
      expect(chat.status).toBe(201);
      const port = postgres!.port;

      const traffic = load(chat.body.id);
      await waitFor('some traffic', () => traffic.statuses.length >= 20, 20_000, 20);
      await stopPostgres(mode);

      const outage = [
        await timed('GET', '/api/v1/characters'),
        await timed('GET', `/api/v1/characters/${character.body.id}`),
        await timed('POST', '/api/v1/characters', { name: 'During the outage' }),
        await timed('POST', `/api/v1/character_messages/chats/${chat.body.id}/messages`, { sender: 'user', content: 'anyone there?' }),
        await timed('POST', `/api/v1/character_chats/${chat.body.id}/complete`, { message: 'hello?' }),
      ];
      for (const res of outage) {
        expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({
          status: 503,
          type: expect.stringContaining('application/problem+json'),
        });
        expect(res.body.code).toMatch(/unavailable/);
        expect(res.ms).toBeLessThan(12_000);
      }
      const ready = await timed('GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('not_ready');
      expect(ready.body.checks.database.ok).toBe(false);
      expect(ready.body.checks.rate_limits).toMatchObject({ store: 'postgres', degraded: true }); // the insurance limiter counts
      expect((await timed('GET', '/health')).status).toBe(200);
      // The outage lasts a while: the projector, the LISTEN connection and the worker keep retrying meanwhile.
      await sleep(outageMs);
      expect(service.child.exitCode).toBeNull();

      postgres = await startEmbeddedPostgres({ dir: pgDir, port });

      await waitFor('/ready after PostgreSQL came back', async () => (await timed('GET', '/ready')).status === 200, 45_000, 250);
      const { statuses, unexpected } = await traffic.stop();
      expect(unexpected).toEqual([]);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      const created = await timed('POST', '/api/v1/characters', { name: `After the ${mode} outage` });
      expect((await timed('GET', '/ready')).body.checks.rate_limits).toMatchObject({ store: 'postgres', degraded: false });
      expect(created.status).toBe(201); // 201, not 202: the projector applied it (read your writes)
      expect((await timed('GET', `/api/v1/characters/${created.body.id}`)).body.name).toBe(`After the ${mode} outage`);
      const posted = await timed('POST', `/api/v1/character_messages/chats/${chat.body.id}/messages`, { sender: 'user', content: 'back?' });
      expect(posted.status).toBe(201);
      // The job queue and its worker reconnected: a completion goes through the queue to the worker and back.
      const completed = await timed('POST', `/api/v1/character_chats/${chat.body.id}/complete`, {}, 30_000);
      expect({ status: completed.status, content: completed.body.content, saved: completed.body.saved }).toEqual({
        status: 200,
        content: 'Back again.',
        saved: true,
      });
      expect(service.child.exitCode).toBeNull();
      expect(service.output()).not.toMatch(/unhandled rejection|uncaught/i);
    },
    180_000,
  );
});
