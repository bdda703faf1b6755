/**
 * What a JWT must carry to be accepted, and which users' credentials stop working: `exp` required and within
 * JWT_MAX_LIFETIME_SECONDS, no `iat` beyond JWT_CLOCK_SKEW_SECONDS in the future, a `sub` that is a storable
 * user id; a disabled user's JWT and key refused; a forgotten user's keys revoked and earlier JWTs refused.
 * Every refusal a 401 problem with a stable code that stores nothing. Tokens forged here with jose; real HTTP,
 * real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT, type JWTPayload } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const secret = 'token-rules-test-secret-0123456789-abcdefghijkl';
const MAX_LIFETIME = 7200;
const SKEW = 2;
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({
    env: {
      AUTH_MODE: 'multi-user',
      JWT_SECRET: secret,
      JWT_MAX_LIFETIME_SECONDS: String(MAX_LIFETIME),
      JWT_CLOCK_SKEW_SECONDS: String(SKEW),
    },
  });
});
afterAll(async () => {
  await svc?.close();
});

const now = () => Math.floor(Date.now() / 1000);
/** Signs exactly the claims given (nothing added), so a test can leave out or break any of them. */
const forge = (claims: Record<string, unknown>) =>
  new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
const valid = (sub: unknown, extra: Record<string, unknown> = {}) => forge({ sub, iat: now(), exp: now() + 600, ...extra });
const bearer = (token: string) => ({ key: null, headers: { Authorization: `Bearer ${token}` } });

const list = (token: string) => svc.request('GET', '/api/v1/characters', bearer(token));
async function createWith(token: string, name: string) {
  return svc.request('POST', '/api/v1/characters', { ...bearer(token), body: { name } });
}
/** A refused write: the given 401 code, and nothing appended to the log. */
async function expectRefused(token: string, code: string) {
  const before = await svc.runtime.eventStore.headPosition();
  const res = await createWith(token, `refused ${Math.random()}`);
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 401, code });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(await svc.runtime.eventStore.headPosition()).toBe(before);
}

describe('JWT claims', () => {
  test('a well-formed token is accepted', async () => {
    expect((await createWith(await valid('ivy'), 'Ivy char')).status).toBe(201);
  });

  test('exp is required', async () => {
    await expectRefused(await forge({ sub: 'ivy', iat: now() }), 'token_exp_missing');
    await expectRefused(await forge({ sub: 'ivy' }), 'token_exp_missing');
  });

  test('a lifetime beyond JWT_MAX_LIFETIME_SECONDS is refused: exp - iat, or exp - now without iat', async () => {
    await expectRefused(await forge({ sub: 'ivy', iat: now(), exp: now() + MAX_LIFETIME + 60 }), 'token_lifetime_too_long');
    await expectRefused(await forge({ sub: 'ivy', exp: now() + MAX_LIFETIME + 60 }), 'token_lifetime_too_long');
    // issued an hour ago for the whole lifetime: exp - iat is what counts, not what remains
    await expectRefused(await forge({ sub: 'ivy', iat: now() - 3600, exp: now() - 3600 + MAX_LIFETIME + 60 }), 'token_lifetime_too_long');
    expect((await list(await forge({ sub: 'ivy', iat: now(), exp: now() + MAX_LIFETIME - 60 }))).status).toBe(200);
    expect((await list(await forge({ sub: 'ivy', exp: now() + MAX_LIFETIME - 60 }))).status).toBe(200);
  });

  test('an expired token is token_expired; one not valid yet (nbf) token_not_yet_valid', async () => {
    await expectRefused(await forge({ sub: 'ivy', iat: now() - 120, exp: now() - 60 }), 'token_expired');
    await expectRefused(await forge({ sub: 'ivy', iat: now(), nbf: now() + 300, exp: now() + 600 }), 'token_not_yet_valid');
  });

  test('an iat in the future beyond JWT_CLOCK_SKEW_SECONDS is refused; within it, accepted', async () => {
    await expectRefused(await forge({ sub: 'ivy', iat: now() + 3600, exp: now() + 3700 }), 'token_iat_in_future');
    await expectRefused(await forge({ sub: 'ivy', iat: now() + SKEW + 30, exp: now() + 600 }), 'token_iat_in_future');
    expect((await list(await forge({ sub: 'ivy', iat: now() + 1, exp: now() + 600 }))).status).toBe(200);
  });

  test('claims of the wrong type are refused', async () => {
    await expectRefused(await forge({ sub: 'ivy', iat: 'yesterday', exp: now() + 600 }), 'token_claims_invalid');
    await expectRefused(await forge({ sub: 'ivy', iat: now(), exp: String(now() + 600) }), 'token_claims_invalid');
  });

  test('a non-string or missing sub is refused', async () => {
    for (const sub of [42, true, ['ivy'], { id: 'ivy' }, null, '']) await expectRefused(await valid(sub), 'token_subject_invalid');
    await expectRefused(await forge({ iat: now(), exp: now() + 600 }), 'token_subject_invalid');
  });

  test('a sub with NUL, a lone surrogate or other unstorable text is a 401, never a 500', async () => {
    for (const sub of ['ivy\u0000admin', '\u0000', 'ivy\ud800', '\udc00ivy', 'ivy\u001b[31m', 'ivy admin', 'ivy\nadmin', 'i'.repeat(201)]) {
      await expectRefused(await valid(sub), 'token_subject_invalid');
    }
    // every route that takes a user (reads too)
    const res = await list(await valid('ivy\u0000'));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_subject_invalid' });
  });

  test('a forged signature stays a plain 401 unauthorized (no claim is judged before the signature)', async () => {
    const forged = await new SignJWT({ sub: 'ivy' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-0123456789'));
    await expectRefused(forged, 'unauthorized');
  });
});

describe('disabled users', () => {
  test("a disabled user's JWT is refused, as their API key is; enabling them again restores both", async () => {
    const { user, apiKey } = await svc.runtime.userStore.createUser('jane', false);
    const token = await valid(user.id);
    expect((await list(token)).status).toBe(200);
    expect((await svc.request('GET', '/api/v1/characters', { key: apiKey })).status).toBe(200);

    expect(await svc.runtime.userStore.disableUser(user.id)).toBe(true);
    await expectRefused(token, 'user_disabled');
    const byKey = await svc.request('GET', '/api/v1/characters', { key: apiKey });
    expect(byKey.status).toBe(401);

    expect(await svc.runtime.userStore.enableUser(user.id)).toBe(true);
    expect((await list(token)).status).toBe(200);
    expect((await svc.request('GET', '/api/v1/characters', { key: apiKey })).status).toBe(200);
  });

  test('a JWT-only user (no account row) can be disabled too', async () => {
    const token = await valid('kate');
    expect((await list(token)).status).toBe(200);
    await svc.runtime.userStore.disableUser('kate');
    await expectRefused(token, 'user_disabled');
    await expectRefused(await valid('kate'), 'user_disabled');
  });
});

describe('forgotten users', () => {
  test("forgetting revokes the user's API keys (recorded) and refuses JWTs issued before it", async () => {
    const admin = (await svc.runtime.userStore.createUser('root', true)).apiKey;
    const { user, apiKey } = await svc.runtime.userStore.createUser('lena', false);
    const second = await svc.runtime.userStore.issueKey(user.id);
    const token = await valid(user.id);
    const noIat = await forge({ sub: user.id, exp: now() + 600 });
    expect((await createWith(token, 'Lena char')).status).toBe(201);
    expect((await svc.request('GET', '/api/v1/characters', { key: apiKey })).status).toBe(200);
    expect((await list(noIat)).status).toBe(200);

    const forgotten = await svc.request('DELETE', `/api/v1/admin/users/${user.id}/data`, { key: admin });
    expect(forgotten.status).toBe(200);
    expect(forgotten.body.api_keys_revoked).toBe(2);

    for (const key of [apiKey, second.key]) {
      const res = await svc.request('GET', '/api/v1/characters', { key });
      expect(res.status).toBe(401);
    }
    await expectRefused(token, 'token_revoked');
    await expectRefused(noIat, 'token_revoked');
    const keys = await svc.runtime.userStore.listKeys(user.id);
    expect(keys.every((k) => k.revoked_at !== null)).toBe(true);
    // recorded in the audit event of the forget
    const audit = await svc.runtime.eventStore.readStream(`dataerasure-${user.id}`);
    expect(audit.at(-1)).toMatchObject({ type: 'UserDataForgotten', data: { userId: user.id, apiKeysRevoked: 2 } });
    // the account keeps no name of theirs
    const row = (await svc.runtime.userStore.listUsers()).find((u) => u.id === user.id)!;
    expect(row.name).not.toContain('lena');
    expect(row.forgotten_at).not.toBeNull();

    // a repeat revokes nothing more
    const again = await svc.request('DELETE', `/api/v1/admin/users/${user.id}/data`, { key: admin });
    expect(again.body.api_keys_revoked).toBe(0);
  });

  test('a JWT-only user: tokens from before the forget are refused; one issued after it (beyond the skew) works', async () => {
    const admin = (await svc.runtime.userStore.createUser('root2', true)).apiKey;
    const token = await valid('mona');
    expect((await createWith(token, 'Mona char')).status).toBe(201);
    expect((await svc.request('DELETE', '/api/v1/admin/users/mona/data', { key: admin })).status).toBe(200);
    await expectRefused(token, 'token_revoked');
    await expectRefused(await valid('mona'), 'token_revoked'); // issued within the skew of the forget
    await new Promise((r) => setTimeout(r, (SKEW + 1.2) * 1000));
    const fresh = await valid('mona');
    expect((await list(fresh)).status).toBe(200);
    expect((await list(fresh)).body.items).toEqual([]); // she carries on with nothing of before
  });
});
