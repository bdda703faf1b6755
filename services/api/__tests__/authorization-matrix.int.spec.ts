/**
 * The authorization matrix, generated from the route table: for every non-public route, no credentials is
 * 401, another user's resource 403, a missing one 404, the owner 2xx (an administrator's route: a user who is
 * not one 403, an administrator 2xx), and none of the refusals appends an event. A route without an entry in ROUTE_FIXTURES fails here, so a new route cannot skip the matrix.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import { routeTable } from '../app.ts';
import type { RouteDefinition } from '../http/route.ts';
import { bearer, call, fixtureApi, JWT_SECRET, llmTestEnv, missingRequest, ROUTE_FIXTURES } from './helpers/route-fixtures.ts';

let svc: TestService;
let upstream: FakeLlmServer;
let routes: RouteDefinition[];
beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    roles: { api: true, projector: true, worker: true },
    // The matrix writes fixtures for every route, six routes at a time, with completions running: on two loaded CI
    // cores the projector has been seen to need more than the harness's 15 s for a write (a finding to work on,
    // not what this suite checks), so the fixtures get a longer read-your-writes wait.
    env: { ...llmTestEnv(upstream.url), AUTH_MODE: 'multi-user', JWT_SECRET, READ_YOUR_WRITES_TIMEOUT_MS: '60000' },
  });
  routes = routeTable(svc.api.deps);
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

describe('authorization matrix (from the route table)', () => {
  test('every route of the table has a fixture, and no fixture is stale', () => {
    const ids = routes.filter((r) => r.auth !== 'public').map((r) => r.operationId);
    expect(ids.filter((id) => !ROUTE_FIXTURES[id])).toEqual([]);
    expect(Object.keys(ROUTE_FIXTURES).filter((id) => !ids.includes(id))).toEqual([]);
    expect(new Set(routes.map((r) => r.operationId)).size).toBe(routes.length);
  });

  test('public routes answer without credentials', async () => {
    for (const route of routes.filter((r) => r.auth === 'public')) {
      const res = await call(svc.url, route, {}, null);
      expect([route.operationId, res.status < 500 || res.status === 503]).toEqual([route.operationId, true]);
      expect(res.status).not.toBe(401);
    }
  });

  test('401 / 403 / 404 / owner 2xx for every non-public route; refusals append nothing', async () => {
    const api = fixtureApi(svc.url);
    const outcomes: string[] = [];
    const failures: string[] = [];
    const nonPublic = routes.filter((r) => r.auth !== 'public' && ROUTE_FIXTURES[r.operationId]);
    // Routes run in parallel batches, each with its own two users; at the end, every event in the store must
    // have been written by an owner (a refused request by the other user appended nothing).
    const run = async (route: RouteDefinition) => {
      const fixture = ROUTE_FIXTURES[route.operationId]!;
      const owner = await bearer(`owner-${route.operationId}`, fixture.kind === 'admin' || fixture.admin === true ? { role: 'admin' } : {});
      const other = await bearer(`other-${route.operationId}`);
      const values = fixture.setup ? await fixture.setup(api, owner) : {};
      const req = fixture.request(values);
      const expectStatus = (label: string, got: number, want: (s: number) => boolean, body: unknown) => {
        const line = `${route.operationId} ${label}: ${got}`;
        outcomes.push(line);
        if (!want(got)) failures.push(`${line} ${JSON.stringify(body).slice(0, 300)}`);
      };
      const anonymous = await call(svc.url, route, req, null);
      expectStatus('no credentials', anonymous.status, (s) => s === 401, anonymous.body);
      if (anonymous.status === 401)
        expect(anonymous.headers.get('content-type')).toMatch(
          route.errorStyle === 'fastapi' ? /^application\/json/ : /^application\/problem\+json/,
        );
      const adminOnly = fixture.kind === 'admin' || fixture.admin === true;
      if (adminOnly) {
        const notAdmin = await call(svc.url, route, fixture.request(values), other);
        expectStatus('not an administrator', notAdmin.status, (s) => s === 403, notAdmin.body);
      }
      if (fixture.kind === 'resource') {
        if (!adminOnly) {
          const foreign = await call(svc.url, route, fixture.request(values), other);
          expectStatus("another user's", foreign.status, (s) => s === (fixture.foreignStatus ?? 403), foreign.body);
        }
        const missing = await call(svc.url, route, missingRequest(route, fixture, values), owner);
        expectStatus('missing', missing.status, (s) => s === 404, missing.body);
      }
      const caller = fixture.kind === 'admin' ? await bearer(`owner-admin-${route.operationId}`, { role: 'admin' }) : owner;
      const mine = await call(svc.url, route, fixture.request(values), caller);
      expectStatus('owner', mine.status, (s) => s >= 200 && s < 300, mine.body);
    };
    const batch = 6;
    for (let i = 0; i < nonPublic.length; i += batch) await Promise.all(nonPublic.slice(i, i + batch).map(run));
    // No refused request appended an event: every event of the run was written by an owner.
    const events = await svc.runtime.eventStore.readAll({ maxCount: 100_000 });
    expect(events.length).toBeGreaterThan(0);
    expect([...new Set(events.map((e) => e.metadata.userId).filter((u) => !u.startsWith('owner-')))]).toEqual([]);
    expect(failures).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(nonPublic.length * 2);
  }, 120_000);
});
