import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret, JWT_ISSUER: 'test-issuer' } });
});
afterAll(async () => {
  await svc?.close();
});

const jwt = (sub: string, claims: Record<string, unknown> = {}, key: string = secret, issuer = 'test-issuer') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(key));

describe('multi-user mode', () => {
  test('per-user API keys: create, use, revoke', async () => {
    const { apiKey, user, keyId } = await svc.runtime.userStore.createUser('alice', false);
    expect(apiKey).toMatch(/^ccb_/);
    const created = await svc.request('POST', '/api/v1/characters', { key: apiKey, body: { name: 'Alice char' } });
    expect(created.status).toBe(201);
    expect(created.body.owner_id).toBe(user.id);
    const events = await svc.runtime.eventStore.readStream(`character-${created.body.id}`);
    expect(events[0]!.metadata.userId).toBe(user.id);
    const second = await svc.runtime.userStore.issueKey(user.id);
    expect(await svc.runtime.userStore.revokeKey(second.keyId)).toBe(true);
    expect((await svc.request('GET', '/api/v1/characters', { key: second.key })).status).toBe(401);
    expect(keyId).toBeTruthy();
    // The store keeps hashes only.
    const { rows } = await svc.runtime.database.pool.query('SELECT key_hash FROM auth.api_keys');
    expect(rows.every((r: { key_hash: string }) => !r.key_hash.includes(apiKey) && r.key_hash.length === 64)).toBe(true);
  });

  test('JWT (HS256): sub is the user; wrong secret, issuer or expiry is 401', async () => {
    const token = await jwt('bob');
    const created = await svc.request('POST', '/api/v1/characters', {
      key: null,
      headers: { Authorization: `Bearer ${token}` },
      body: { name: 'Bob char' },
    });
    expect(created.status).toBe(201);
    expect(created.body.owner_id).toBe('bob');
    for (const bad of [
      await jwt('bob', {}, 'another-secret-that-is-long-enough-0123456789'),
      await jwt('bob', {}, secret, 'other-issuer'),
    ]) {
      expect((await svc.request('GET', '/api/v1/characters', { key: null, headers: { Authorization: `Bearer ${bad}` } })).status).toBe(401);
    }
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bob')
      .setIssuer('test-issuer')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(secret));
    expect((await svc.request('GET', '/api/v1/characters', { key: null, headers: { Authorization: `Bearer ${expired}` } })).status).toBe(
      401,
    );
    // alg confusion: an RS256 token must not be accepted where HS256 is configured
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('bob')
      .setIssuer('test-issuer')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await svc.request('GET', '/api/v1/characters', { key: null, headers: { Authorization: `Bearer ${rs}` } })).status).toBe(401);
  });

  test("another user's character is 403 on every route; a missing one is 404; no credentials 401", async () => {
    const owner = `Bearer ${await jwt('carol')}`;
    const other = `Bearer ${await jwt('dave')}`;
    const { body: c } = await svc.request('POST', '/api/v1/characters', {
      key: null,
      headers: { Authorization: owner },
      body: { name: 'Carol char' },
    });
    const missing = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
    const routes: Array<[string, (id: string) => string, unknown]> = [
      ['GET', (id) => `/api/v1/characters/${id}`, undefined],
      ['PUT', (id) => `/api/v1/characters/${id}?expected_version=1`, { name: 'hijack' }],
      ['DELETE', (id) => `/api/v1/characters/${id}?expected_version=1`, undefined],
    ];
    for (const [method, url, body] of routes) {
      const opts = body === undefined ? {} : { body };
      expect((await svc.request(method, url(c.id), { key: null, ...opts })).status).toBe(401);
      expect((await svc.request(method, url(c.id), { key: null, headers: { Authorization: other }, ...opts })).status).toBe(403);
      expect((await svc.request(method, url(missing), { key: null, headers: { Authorization: other }, ...opts })).status).toBe(404);
    }
    const list = await svc.request('GET', '/api/v1/characters', { key: null, headers: { Authorization: other } });
    expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
    const mine = await svc.request('GET', `/api/v1/characters/${c.id}`, { key: null, headers: { Authorization: owner } });
    expect(mine.status).toBe(200);
    expect(mine.body.name).toBe('Carol char');
  });

  test("an admin (role claim) may read any user's character", async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', {
      key: null,
      headers: { Authorization: `Bearer ${await jwt('erin')}` },
      body: { name: 'Erin char' },
    });
    const admin = `Bearer ${await jwt('root', { role: 'admin' })}`;
    expect((await svc.request('GET', `/api/v1/characters/${c.id}`, { key: null, headers: { Authorization: admin } })).status).toBe(200);
  });
});
