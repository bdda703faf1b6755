/**
 * Request hardening: JSON depth and encoding, per-route body limits, security headers, CORS, slow clients,
 * and optimistic concurrency under a burst of writers with the same expected_version.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { MAX_JSON_DEPTH } from '../http/hardening.ts';

const ORIGIN = 'https://app.example.com';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({
    env: { CORS_ORIGINS: `${ORIGIN}, https://other.example.org`, HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500' },
  });
});
afterAll(async () => {
  await svc?.close();
});

const JSON_HEADERS = { 'content-type': 'application/json' };
const nested = (depth: number) => `{"name":"Deep","card_data":{"x":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`;

describe('JSON bodies', () => {
  test(`nesting up to ${MAX_JSON_DEPTH} levels passes to validation; deeper is 400 json_too_deep before it`, async () => {
    const ok = await svc.request('POST', '/api/v1/characters', { body: nested(MAX_JSON_DEPTH), headers: JSON_HEADERS });
    expect(ok.status).toBe(201);
    const before = await svc.runtime.eventStore.headPosition();
    const deep = await svc.request('POST', '/api/v1/characters', {
      body: nested(MAX_JSON_DEPTH + 1).replace('Deep', 'Deeper'),
      headers: JSON_HEADERS,
    });
    expect(deep.status).toBe(400);
    expect(deep.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(deep.body).toMatchObject({ code: 'json_too_deep', max_depth: MAX_JSON_DEPTH });
    // brackets inside strings do not count
    expect(
      (
        await svc.request('POST', '/api/v1/characters', {
          body: JSON.stringify({ name: 'Brackets', description: `${'[{'.repeat(500)} \\" ${'['.repeat(100)}` }),
          headers: JSON_HEADERS,
        })
      ).status,
    ).toBe(201);
    expect((await svc.request('POST', '/api/v1/characters', { body: '['.repeat(100_000), headers: JSON_HEADERS })).body.code).toBe(
      'json_too_deep',
    );
    expect(await svc.runtime.eventStore.headPosition()).not.toBe(before); // the brackets-in-a-string one
  });

  test('invalid UTF-8, other charsets, NUL and lone surrogates are refused; RTL overrides and emoji are kept verbatim', async () => {
    const post = (body: string | Uint8Array, type = 'application/json') =>
      fetch(`${svc.url}/api/v1/characters`, {
        method: 'POST',
        headers: { 'X-API-KEY': 'test-api-key-0123456789abcdef', 'content-type': type },
        body: typeof body === 'string' ? body : Buffer.from(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code: string; name?: string } }));
    const before = await svc.runtime.eventStore.headPosition();
    expect((await post(new Uint8Array([...Buffer.from('{"name":"A'), 0xc3, 0x28, ...Buffer.from('"}')]))).body.code).toBe('invalid_utf8');
    expect((await post('{"name":"Latin"}', 'application/json; charset=utf-16')).status).toBe(415);
    expect((await post('{"name":"a\\u0000b"}')).body).toMatchObject({ code: 'invalid_unicode', path: 'name', reason: 'nul' });
    expect((await post('{"name":"a\\ud800b"}')).body).toMatchObject({ code: 'invalid_unicode', reason: 'lone_surrogate' });
    expect((await post('{"name":"ok","card_data":{"k\\udc00":1}}')).body.code).toBe('invalid_unicode');
    expect((await post('{"name":"Plain"}', 'text/plain')).status).toBe(415);
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
    const rtl = 'Evil \u202egnp.exe 🐉 \u200f';
    const kept = await post(JSON.stringify({ name: rtl }));
    expect(kept.status).toBe(201);
    expect(kept.body.name).toBe(rtl);
  });

  test('body limits: the general limit is 413; a route with its own larger limit takes more', async () => {
    const limit = svc.api.deps.config.BODY_LIMIT_BYTES;
    const big = await svc.request('POST', '/api/v1/characters', { body: { name: 'Big', description: 'x'.repeat(limit) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    const { body: c } = await svc.request('POST', '/api/v1/characters', { body: { name: 'Chatty', first_message: 'Hi.' } });
    const { body: chat } = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: c.id } });
    // a message body larger than BODY_LIMIT_BYTES reaches validation (its route allows images), which refuses the content length
    const long = await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
      body: { sender: 'user', content: 'y'.repeat(limit + 10) },
    });
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('validation_error');
  });
});

describe('headers', () => {
  test('security headers on JSON answers and problems; the docs page keeps its own CSP', async () => {
    for (const res of [await svc.request('GET', '/health', { key: null }), await svc.request('GET', '/api/v1/characters', { key: null })]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    const docs = await fetch(`${svc.url}/docs`);
    // The reference is rendered on the server: no script at all, only its own stylesheet.
    expect(docs.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const page = await docs.text();
    expect(page).not.toContain('<script');
    expect(page).toContain('/api/v1/characters/{id}');
  });

  test('CORS: allowed origins get the headers and a preflight; others get none and a 403 preflight', async () => {
    const get = await fetch(`${svc.url}/api/v1/characters`, { headers: { Origin: ORIGIN, 'X-API-KEY': 'test-api-key-0123456789abcdef' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(get.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
    expect(get.headers.get('vary')).toContain('Origin');
    const preflight = await fetch(`${svc.url}/api/v1/characters/abc`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const evil = await fetch(`${svc.url}/api/v1/characters`, {
      headers: { Origin: 'https://evil.example', 'X-API-KEY': 'test-api-key-0123456789abcdef' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const evilPreflight = await fetch(`${svc.url}/api/v1/characters`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(evilPreflight.status).toBe(403);
    expect(((await evilPreflight.json()) as { code: string }).code).toBe('cors_origin_not_allowed');
  });

  test('CORS is off by default', async () => {
    const plain = await startTestService();
    try {
      const res = await fetch(`${plain.url}/health`, { headers: { Origin: ORIGIN } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${plain.url}/health`, {
        method: 'OPTIONS',
        headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
      });
      expect(pre.status).toBe(403);
    } finally {
      await plain.close();
    }
  });
});

describe('slow clients', () => {
  test('a client that never finishes its headers is cut off (408) after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { port } = new URL(svc.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
      // keep dribbling a byte now and then, as slowloris does
      const drip = setInterval(() => socket.writable && socket.write('a'), 200);
      socket.on('close', () => clearInterval(drip));
    });
    const elapsed = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(4000);
  });

  test('the configured timeouts are applied to the server', () => {
    expect(svc.api.server.headersTimeout).toBe(1000);
    expect(svc.api.server.requestTimeout).toBe(1500);
    expect(svc.api.server.keepAliveTimeout).toBeLessThanOrEqual(svc.api.server.headersTimeout);
  });
});

describe('concurrency', () => {
  test("50 concurrent updates with the same expected_version: one 200, 49 409, and the winner's change is the state", async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', { body: { name: 'Contended', description: 'original' } });
    expect(c.version).toBe(1);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        svc
          .request('PUT', `/api/v1/characters/${c.id}?expected_version=1`, { body: { description: `writer ${i}`, tags: [`w${i}`] } })
          .then((r) => ({ i, ...r })),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const conflicts = results.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    for (const r of conflicts) expect(r.body).toMatchObject({ code: 'version_conflict', current_version: 2 });
    const w = winners[0]!.i;
    const events = await svc.runtime.eventStore.readStream(`character-${c.id}`);
    expect(events).toHaveLength(2);
    const now = await svc.request('GET', `/api/v1/characters/${c.id}`);
    expect(now.body).toMatchObject({ version: 2, description: `writer ${w}`, tags: [`w${w}`] });
  });
});
