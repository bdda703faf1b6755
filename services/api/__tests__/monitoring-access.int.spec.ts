/**
 * Who sees the service's insides: in multi-user mode `/metrics` needs an administrator's credential or
 * METRICS_TOKEN (Bearer), and `/ready` tells others only its status; a single user keeps both open unless
 * METRICS_TOKEN is set. Real HTTP, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, TEST_API_KEY, type TestService } from '../../../test/harness.ts';

const secret = 'monitoring-test-secret-0123456789-abcdefghijkl';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const jwt = (sub: string, claims: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
const bearer = (token: string) => ({ key: null, headers: { Authorization: `Bearer ${token}` } });
const anonymous = { key: null };

const isMetrics = (res: { status: number; body: unknown }) =>
  res.status === 200 && typeof res.body === 'string' && res.body.includes('http_request_duration_seconds');

describe('multi-user mode', () => {
  let svc: TestService;
  let adminKey: string;
  let userKey: string;
  beforeAll(async () => {
    svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret, METRICS_TOKEN } });
    adminKey = (await svc.runtime.userStore.createUser('ops', true)).apiKey;
    userKey = (await svc.runtime.userStore.createUser('olga', false)).apiKey;
  });
  afterAll(async () => {
    await svc?.close();
  });

  test('/metrics: no credential 401, a user 403, an administrator (JWT or key) or METRICS_TOKEN 200', async () => {
    const none = await svc.request('GET', '/metrics', anonymous);
    expect({ status: none.status, code: none.body.code }).toEqual({ status: 401, code: 'unauthorized' });
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    for (const user of [bearer(await jwt('olga')), { key: userKey }]) {
      const res = await svc.request('GET', '/metrics', user);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'admin_required' });
    }
    const wrong = await svc.request('GET', '/metrics', bearer('metrics-token-0123456789abcdeX'));
    expect(wrong.status).toBe(401);
    expect(isMetrics(await svc.request('GET', '/metrics', bearer(await jwt('ops-jwt', { role: 'admin' }))))).toBe(true);
    expect(isMetrics(await svc.request('GET', '/metrics', { key: adminKey }))).toBe(true);
    expect(isMetrics(await svc.request('GET', '/metrics', bearer(METRICS_TOKEN)))).toBe(true);
  });

  test('/ready: the status for everyone, the details (components, errors) for administrators only', async () => {
    for (const who of [anonymous, { key: userKey }, bearer(await jwt('olga')), bearer('not-a-credential'), bearer(METRICS_TOKEN)]) {
      const res = await svc.request('GET', '/ready', who);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ready' });
    }
    for (const admin of [{ key: adminKey }, bearer(await jwt('ops-jwt', { role: 'admin' }))]) {
      const res = await svc.request('GET', '/ready', admin);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ready');
      expect(Object.keys(res.body.checks)).toEqual(expect.arrayContaining(['database', 'event_store', 'projections', 'queue']));
    }
  });
});

describe('single-user mode', () => {
  test('without METRICS_TOKEN: /metrics and /ready are open, as before', async () => {
    const svc = await startTestService();
    try {
      expect(isMetrics(await svc.request('GET', '/metrics', anonymous))).toBe(true);
      const ready = await svc.request('GET', '/ready', anonymous);
      expect(ready.body.checks.database).toBeDefined();
    } finally {
      await svc.close();
    }
  });

  test('with METRICS_TOKEN: /metrics needs it or the API key; /ready details need the API key', async () => {
    const svc = await startTestService({ env: { METRICS_TOKEN } });
    try {
      expect((await svc.request('GET', '/metrics', anonymous)).status).toBe(401);
      expect((await svc.request('GET', '/metrics', bearer('metrics-token-0123456789abcdeX'))).status).toBe(401);
      expect(isMetrics(await svc.request('GET', '/metrics', bearer(METRICS_TOKEN)))).toBe(true);
      expect(isMetrics(await svc.request('GET', '/metrics', { key: TEST_API_KEY }))).toBe(true);
      expect((await svc.request('GET', '/ready', anonymous)).body).toEqual({ status: 'ready' });
      expect((await svc.request('GET', '/ready', { key: TEST_API_KEY })).body.checks.database).toBeDefined();
    } finally {
      await svc.close();
    }
  });
});
