import { afterAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../test/harness.ts';

const secret = 'rate-limit-test-secret-0123456789-abcdefghij';
const bearer = async (sub: string) =>
  `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`;

const stores: Array<[string, Record<string, string>]> = [['postgres', {}]];
if (process.env.REDIS_URL) stores.push(['redis', { REDIS_URL: process.env.REDIS_URL }]);
else {
  console.log('SKIP rate limits on Redis: REDIS_URL is not set');
  test.skip('rate limits on Redis: REDIS_URL is not set', () => undefined);
}

describe.each(stores)('per-user rate limits (%s store)', (store, env) => {
  let svc: TestService;
  afterAll(async () => {
    await svc?.close();
  });

  test('the n+1st create in the window is a 429 with Retry-After and RateLimit headers; other users are not affected', async () => {
    svc = await startTestService({ env: { ...env, AUTH_MODE: 'multi-user', JWT_SECRET: secret, RATE_LIMITS: 'character_create=3/60' } });
    const alice = await bearer(`alice-${store}-${Date.now()}`);
    const bob = await bearer(`bob-${store}-${Date.now()}`);
    const create = (auth: string, name: string) =>
      svc.request('POST', '/api/v1/characters', { key: null, headers: { Authorization: auth }, body: { name } });
    for (let i = 1; i <= 3; i++) {
      const ok = await create(alice, `A${i}`);
      expect(ok.status).toBe(201);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(3 - i));
      expect(ok.headers.get('ratelimit-policy')).toBe('3;w=60');
    }
    const before = await svc.runtime.eventStore.headPosition();
    const refused = await create(alice, 'A4');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'rate_limited', action: 'character_create', limit: 3 });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
    expect((await create(bob, 'B1')).status).toBe(201);
    const status = await svc.request('GET', '/api/v1/characters/rate-limit-status', { key: null, headers: { Authorization: alice } });
    expect(status.body).toMatchObject({ enabled: true, store, degraded: false });
    expect(status.body.actions.find((a: { action: string }) => a.action === 'character_create')).toMatchObject({
      limit: 3,
      remaining: 0,
      window_seconds: 60,
    });
    expect(status.body.actions.find((a: { action: string }) => a.action === 'message_send')).toMatchObject({ limit: 60, remaining: 60 });
    // The actions without an override show their defaults.
    const defaults = Object.fromEntries(
      status.body.actions.map((a: { action: string; limit: number; window_seconds: number }) => [
        a.action,
        `${a.limit}/${a.window_seconds}`,
      ]),
    );
    expect(defaults).toEqual({
      character_import: '100/3600',
      character_create: '3/60',
      chat_create: '100/3600',
      message_send: '60/60',
      message_edit: '100/3600',
      message_delete: '100/3600',
      message_search: '100/3600',
      chat_completion: '20/60',
      world_book_ops: '100/3600',
      dictionary_process: '60/60',
      blob_upload: '100/3600',
      persona_ops: '100/3600',
      group_ops: '100/3600',
    });
    // In multi-user mode /ready shows its details to administrators only.
    const ready = await svc.request('GET', '/ready', { key: (await svc.runtime.userStore.createUser('ops', true)).apiKey });
    expect(ready.body.checks.rate_limits).toMatchObject({ ok: true, store, degraded: false });
  });
});

describe('rate limits are off for a single user unless asked for', () => {
  test('single-user default: no limit headers, status says disabled', async () => {
    const svc = await startTestService({ env: { RATE_LIMITS: 'character_create=1/60' } });
    try {
      expect((await svc.request('POST', '/api/v1/characters', { body: { name: 'One' } })).status).toBe(201);
      const second = await svc.request('POST', '/api/v1/characters', { body: { name: 'Two' } });
      expect(second.status).toBe(201);
      expect(second.headers.get('ratelimit-limit')).toBeNull();
      expect((await svc.request('GET', '/api/v1/characters/rate-limit-status')).body).toMatchObject({ enabled: false });
    } finally {
      await svc.close();
    }
  });
});
