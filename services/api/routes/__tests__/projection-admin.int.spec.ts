import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { REBUILD_LOCK_CLASS, rebuildLockKey } from '../../../../projections/projection-rebuilds.ts';
import { projections } from '../../../../projections/registry.ts';
import { eventually } from '../../../../test/eventually.ts';

/** The operations endpoints in multi-user mode: administrators only, status as /ready computes it, rebuilds polled. */
const secret = 'admin-routes-test-secret-0123456789-abcdefgh';
let svc: TestService;
let admin: Record<string, string>;
let user: Record<string, string>;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
  const jwt = (sub: string, claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret));
  admin = { Authorization: `Bearer ${await jwt('root', { role: 'admin' })}` };
  user = { Authorization: `Bearer ${await jwt('alice', {})}` };
});
afterAll(async () => {
  await svc?.close();
});

const as = (headers: Record<string, string>) => ({ key: null, headers });

async function pollUntilDone(name: string): Promise<Record<string, any>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await svc.request('GET', `/api/v1/admin/projections/${name}`, as(admin));
    expect(res.status).toBe(200);
    if (res.body.rebuild?.state !== 'running' || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('projection operations', () => {
  test('only an administrator may list, read or rebuild projections', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/admin/projections'],
      ['GET', '/api/v1/admin/projections/chats'],
      ['POST', '/api/v1/admin/projections/chats/rebuild'],
    ] as const) {
      expect((await svc.request(method, url, as(user))).body).toMatchObject({ status: 403, code: 'admin_required' });
      expect((await svc.request(method, url, { key: null })).status).toBe(401);
    }
  });

  test('the list: each projection with its checkpoint, lag, state and last error', async () => {
    expect((await svc.request('POST', '/api/v1/characters', { ...as(user), body: { name: 'Listed' } })).status).toBe(201);
    // The create answers from the row its own append wrote (inline projection), so it no longer proves the projector
    // has taken its lock: wait for every projection to report running.
    const res = await eventually(
      () => svc.request('GET', '/api/v1/admin/projections', as(admin)),
      (r) => r.status === 200 && r.body.items.every((p: { state: string }) => p.state === 'running'),
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { name: string }) => p.name)).toEqual(projections.map((p) => p.name));
    const head = await svc.runtime.eventStore.headPosition();
    for (const p of res.body.items) {
      expect(p).toMatchObject({ state: 'running', last_error: null, rebuild: null });
      expect(p.checkpoint <= head).toBe(true);
      expect(p.lag_events).toBeGreaterThanOrEqual(0);
      expect(p.lag_seconds).toBeGreaterThanOrEqual(0);
    }
    // The same figures /ready reports.
    const ready = await svc.request('GET', '/ready', as(admin));
    expect(ready.body.checks.projections.projections.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual(
      res.body.items.map((p: { name: string; state: string }) => [p.name, p.state]),
    );
  });

  test('unknown projection: 404; invalid name: 400', async () => {
    expect((await svc.request('GET', '/api/v1/admin/projections/nope', as(admin))).body).toMatchObject({ status: 404, code: 'not_found' });
    expect((await svc.request('POST', '/api/v1/admin/projections/nope/rebuild', as(admin))).status).toBe(404);
    expect((await svc.request('POST', '/api/v1/admin/projections/Bad-Name/rebuild', as(admin))).status).toBe(400);
  });

  test('rebuild: 202 with a Location to poll; it completes and the projection carries on', async () => {
    for (let i = 0; i < 5; i++)
      expect((await svc.request('POST', '/api/v1/characters', { ...as(user), body: { name: `Rebuilt ${i}` } })).status).toBe(201);
    const before = (await svc.request('GET', '/api/v1/characters?limit=100', as(user))).body;
    const started = await svc.request('POST', '/api/v1/admin/projections/characters/rebuild', as(admin));
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe('/api/v1/admin/projections/characters');
    expect(started.body).toMatchObject({ name: 'characters', rebuild: { error: null } });
    expect(['running', 'completed']).toContain(started.body.rebuild.state);
    const done = await pollUntilDone('characters');
    expect(done.rebuild).toMatchObject({ state: 'completed', error: null });
    expect(done.rebuild.events).toBeGreaterThan(5);
    expect(done.rebuild.position >= done.rebuild.target_position).toBe(true);
    expect(done.rebuild.finished_at).not.toBeNull();
    expect((await svc.request('GET', '/api/v1/characters?limit=100', as(user))).body).toEqual(before);
    const after = await svc.request('POST', '/api/v1/characters', { ...as(user), body: { name: 'After the rebuild' } });
    expect(after.status).toBe(201);
    expect((await svc.request('GET', `/api/v1/characters/${after.body.id}`, as(user))).status).toBe(200);
  });

  test('409 while a rebuild of the same projection runs (here: in another process); shown as interrupted if that process died', async () => {
    // Another API process's rebuild: it holds the projection's rebuild lock and has marked the row running.
    const other = new pg.Client({ connectionString: svc.databaseUrl });
    await other.connect();
    try {
      // One rebuild here first; then the other connection takes the lock while it is free.
      const first = await svc.request('POST', '/api/v1/admin/projections/usage_analytics/rebuild', as(admin));
      expect(first.status).toBe(202);
      await pollUntilDone('usage_analytics');
      await svc.runtime.rebuilds!.idle();
      const key = rebuildLockKey('usage_analytics');
      expect((await other.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [REBUILD_LOCK_CLASS, key])).rows[0].ok).toBe(true);
      await other.query(`UPDATE read.projection_rebuilds SET state = 'running', finished_at = NULL WHERE name = 'usage_analytics'`);
      const refused = await svc.request('POST', '/api/v1/admin/projections/usage_analytics/rebuild', as(admin));
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'rebuild_running' });
      expect((await svc.request('GET', '/api/v1/admin/projections/usage_analytics', as(admin))).body.rebuild.state).toBe('running');
      // Another projection is not blocked.
      expect((await svc.request('POST', '/api/v1/admin/projections/world_books/rebuild', as(admin))).status).toBe(202);
      // The other process dies: its lock goes with its connection; the row still says running.
      await other.end();
      expect((await svc.request('GET', '/api/v1/admin/projections/usage_analytics', as(admin))).body.rebuild.state).toBe('interrupted');
      const again = await svc.request('POST', '/api/v1/admin/projections/usage_analytics/rebuild', as(admin));
      expect(again.status).toBe(202);
      expect((await pollUntilDone('usage_analytics')).rebuild.state).toBe('completed');
      await svc.runtime.rebuilds!.idle();
    } finally {
      await other.end().catch(() => undefined);
    }
  });

  test("analytics: a user reads their own usage; another user's only as an administrator", async () => {
    expect((await svc.request('GET', '/api/v1/analytics/usage', as(user))).body).toMatchObject({ user_id: 'alice' });
    expect((await svc.request('GET', '/api/v1/analytics/usage?user_id=root', as(user))).body).toMatchObject({
      status: 403,
      code: 'admin_required',
    });
    expect((await svc.request('GET', '/api/v1/analytics/usage?user_id=alice', as(admin))).body).toMatchObject({ user_id: 'alice' });
  });
});
