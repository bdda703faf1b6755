import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { loadConfig } from '../../../../infra/config.ts';
import { createLogger } from '../../../../infra/logger.ts';
import { startTestService, TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
import { connectSse } from '../../../../test/sse-client.ts';
import { startRuntime, type Runtime } from '../../../runtime.ts';

/**
 * `projected=true` on the event feed: an event is sent once the read models show it, so a view that reloads on it
 * (the web console) sees the change. Proven with an API that has no projector: the plain feed sends the event at once,
 * the projected feed holds it until a projector (started afterwards on the same database) has applied it.
 */
let svc: TestService;
let projector: Runtime | undefined;
beforeAll(async () => {
  // Without inline projections: the created character's row comes from the projector only, as the feed's events do.
  svc = await startTestService({
    roles: { api: true, projector: false, worker: false },
    env: { READ_YOUR_WRITES_TIMEOUT_MS: '200', INLINE_PROJECTIONS: 'false' },
  });
});
afterAll(async () => {
  await projector?.stop();
  await svc?.close();
});

test('a projected stream sends an event only once the read models have applied it', async () => {
  const auth = { 'X-API-KEY': TEST_API_KEY };
  const plain = await connectSse(`${svc.url}/api/v1/events/stream?from=now&resource_types=character`, auth);
  const projected = await connectSse(`${svc.url}/api/v1/events/stream?from=now&resource_types=character&projected=true`, auth);
  await Promise.all([plain, projected].map((c) => c.waitFor((s) => s.messages.length > 0)));

  const created = await svc.request('POST', '/api/v1/characters', { body: { name: 'Projected Pia' } });
  expect(created.status).toBe(202); // no projector: the read model does not have it yet
  const id = created.body.id as string;
  await plain.waitFor((s) => s.events().some((e) => e.event === 'CharacterCreated'));
  await new Promise((r) => setTimeout(r, 500));
  expect(projected.events()).toEqual([]);
  expect((await svc.request('GET', `/api/v1/characters/${id}`)).status).toBe(404);

  const config = loadConfig({
    DATABASE_URL: svc.databaseUrl,
    DATA_DIR: svc.runtime.config.DATA_DIR,
    API_KEY: TEST_API_KEY,
    LOG_LEVEL: 'silent',
  });
  projector = await startRuntime(config, { api: false, projector: true, worker: false }, createLogger('silent'));
  await projected.waitFor((s) => s.events().some((e) => e.event === 'CharacterCreated'), 15_000);
  expect((await svc.request('GET', `/api/v1/characters/${id}`)).status).toBe(200);
  plain.close();
  projected.close();
});
