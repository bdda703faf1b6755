/**
 * Hostile input, generated from the route table and its zod schemas: for every route with parameters, a query
 * or a body, malformed variants of a valid request (wrong types, missing fields, huge strings, deep nesting,
 * invalid UTF-8, lone surrogates and NUL, invalid ids) must each get a 4xx problem response, never a 5xx, and
 * leave the event store's head position where it was.
 */
import querystring from 'node:querystring';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { z, type ZodType } from 'zod';
import { cardJson } from '../../../shared/cards/__tests__/helpers/builders.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import { routeTable } from '../app.ts';
import { knownQuery, type RouteDefinition } from '../http/route.ts';
import {
  bearer,
  fixtureApi,
  JWT_SECRET,
  llmTestEnv,
  rawSend,
  ROUTE_FIXTURES,
  routeUrl,
  type Req,
  type Res,
} from './helpers/route-fixtures.ts';

const CARD_MAX = 200_000;
let svc: TestService;
let upstream: FakeLlmServer;
let routes: RouteDefinition[];
beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    roles: { api: true, projector: true, worker: true },
    env: {
      ...llmTestEnv(upstream.url),
      AUTH_MODE: 'multi-user',
      JWT_SECRET,
      RATE_LIMITS_ENABLED: 'false',
      CARD_MAX_FILE_BYTES: String(CARD_MAX),
    },
  });
  routes = routeTable(svc.api.deps);
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

interface Variant {
  label: string;
  url: string;
  contentType?: string;
  body?: string | Uint8Array;
  upload?: { bytes: Uint8Array; filename: string };
}

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const rejects = (schema: ZodType | undefined, value: unknown) => !!schema && !schema.safeParse(value).success;
const keysOf = (schema: ZodType | undefined): string[] => {
  if (!schema) return [];
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return Object.keys(js.properties ?? {});
};

/** Values of another JSON type than `v`. */
function wrongTypes(v: unknown): unknown[] {
  if (typeof v === 'string') return [12345, true, {}, ['x'], null];
  if (typeof v === 'number') return ['12', true, {}, [1], 1.5, -1e308];
  if (typeof v === 'boolean') return ['true', 0, {}, null];
  if (Array.isArray(v)) return ['x', {}, 1, [{ nested: true }]];
  if (v && typeof v === 'object') return ['x', [], 1];
  return ['x', 1, {}];
}

/** The first string field of a body (and its path), to plant bad characters in. */
function firstString(body: Record<string, unknown>): string | undefined {
  return Object.entries(body).find(([, v]) => typeof v === 'string')?.[0];
}

function variants(route: RouteDefinition, req: Req): Variant[] {
  const out: Variant[] = [];
  const url = (r: Req) => routeUrl(route, r);
  const json = (label: string, r: Req, text: string | Uint8Array, contentType = 'application/json') =>
    out.push({ label, url: url(r), contentType, body: text });

  // Invalid ids and odd characters in path parameters.
  for (const name of Object.keys(req.params ?? {})) {
    for (const bad of [
      'not-a-uuid',
      '1',
      '-1',
      '0x10',
      'x'.repeat(5000),
      "' OR 1=1 --",
      '\u0000',
      '\u202e',
      '🐉',
      '00000000-0000-0000-0000-00000000000g',
    ]) {
      // A value the parameter's own schema accepts is not hostile there (a user id may be any short string).
      if (route.params?.safeParse({ ...req.params, [name]: bad }).success) continue;
      out.push({
        label: `param ${name}=${JSON.stringify(bad.slice(0, 20))}`,
        url: url({ ...req, params: { ...req.params, [name]: bad } }),
        ...(req.body !== undefined ? { contentType: 'application/json', body: JSON.stringify(req.body) } : {}),
      });
    }
    // Invalid UTF-8 in the URL itself (a lone surrogate encoded as CESU-8, an overlong slash).
    for (const raw of ['%ED%A0%80', '%C0%AF', '%FF'])
      out.push({
        label: `param ${name} raw ${raw}`,
        url: url({ ...req, params: { ...req.params, [name]: 'PLACEHOLDER' } }).replace('PLACEHOLDER', raw),
      });
  }

  // Query: unknown keys, wrong types, huge values, repeated keys (only where the schema refuses them).
  if (route.query) {
    const base = new URLSearchParams(req.query ?? {}).toString();
    const withQuery = (extra: string) => `${url({ ...req, query: {} })}?${[base, extra].filter(Boolean).join('&')}`;
    const candidates = [
      'zzz_unknown=1',
      '__proto__=x',
      ...keysOf(route.query).flatMap((k) => [
        `${k}=abc`,
        `${k}=-1`,
        `${k}=${'9'.repeat(400)}`,
        `${k}=${'x'.repeat(5000)}`,
        `${k}=1&${k}=2`,
        `${k}=%00`,
        `${k}=%ED%A0%80`,
      ]),
    ];
    for (const c of candidates) {
      const parsed = { ...querystring.parse([base, c].filter(Boolean).join('&')) };
      if (rejects(route.query, knownQuery(route, parsed)))
        out.push({
          label: `query ${c.slice(0, 40)}`,
          url: withQuery(c),
          ...(req.body !== undefined ? { contentType: 'application/json', body: JSON.stringify(req.body) } : {}),
        });
    }
  }

  // JSON bodies.
  if (route.body && req.body && typeof req.body === 'object') {
    const body = req.body as Record<string, unknown>;
    for (const whole of ['[]', '"text"', '42', 'null', 'true', '{', '{"a":1,}', '\u0000'])
      json(`body ${JSON.stringify(whole)}`, req, whole);
    // An empty body is no body: refused where the schema needs fields, a no-op change elsewhere.
    if (rejects(route.body, {})) {
      json('missing fields {}', req, '{}');
      json('empty body', req, '');
    }
    for (const [key, value] of Object.entries(body)) {
      const without = { ...body };
      delete without[key];
      if (rejects(route.body, without)) json(`missing ${key}`, req, JSON.stringify(without));
      for (const wrong of wrongTypes(value)) {
        const v = { ...body, [key]: wrong };
        if (rejects(route.body, v)) json(`${key}: ${JSON.stringify(wrong)}`, req, JSON.stringify(v));
      }
      if (typeof value === 'string') {
        const big = { ...body, [key]: 'x'.repeat(900_000) };
        if (rejects(route.body, big)) json(`${key}: 900k characters`, req, JSON.stringify(big));
      }
    }
    const extra = { ...body, zzz_unknown: 1 };
    if (rejects(route.body, extra)) json('unknown field', req, JSON.stringify(extra));
    // Beyond the route's body limit: 413.
    const limit = route.bodyLimitBytes ?? svc.api.deps.config.BODY_LIMIT_BYTES;
    const key = firstString(body);
    if (key) json(`body over the ${limit}-byte limit`, req, JSON.stringify({ ...body, [key]: 'y'.repeat(limit + 10) }));
    // Deep nesting, at the top and inside a field.
    json('nested 10000 deep', req, deep(10_000));
    json('a field nested 200 deep', req, JSON.stringify(body).replace(/^\{/, `{"zzz_nested":${deep(200)},`));
    json('a field nested 100000 deep', req, JSON.stringify(body).replace(/^\{/, `{"zzz_nested":${deep(100_000)},`));
    if (key) {
      const text = JSON.stringify({ ...body, [key]: 'MARK' });
      const [before, after] = text.split('MARK') as [string, string];
      const bytes = (mid: number[]) => new Uint8Array([...Buffer.from(before), ...mid, ...Buffer.from(after)]);
      json(`${key}: invalid UTF-8 (C3 28)`, req, bytes([0x41, 0xc3, 0x28, 0x42]));
      json(`${key}: invalid UTF-8 (FF FE)`, req, bytes([0xff, 0xfe]));
      json(`${key}: CESU-8 surrogate bytes`, req, bytes([0xed, 0xa0, 0x80]));
      json(`${key}: overlong NUL (C0 80)`, req, bytes([0xc0, 0x80]));
      json(`${key}: truncated sequence`, req, bytes([0xe2, 0x82]));
      json(`${key}: lone high surrogate escape`, req, text.replace('MARK', 'a\\ud800b'));
      json(`${key}: lone low surrogate escape`, req, text.replace('MARK', '\\udc00'));
      json(`${key}: NUL escape`, req, text.replace('MARK', 'nul\\u0000here'));
      json(`${key}: NUL in a key`, req, text.replace(/^\{/, '{"a\\u0000b":1,'));
      json(`${key}: as text/plain`, req, JSON.stringify(body), 'text/plain');
      json(`${key}: declared latin1`, req, JSON.stringify(body), 'application/json; charset=latin1');
    }
  }

  // Multipart uploads (card and lorebook imports).
  if (route.bodyContentType === 'multipart/form-data') {
    const file = (label: string, bytes: Uint8Array | string, filename = 'card.json') =>
      out.push({
        label,
        url: url(req),
        upload: { bytes: typeof bytes === 'string' ? new Uint8Array(Buffer.from(bytes)) : bytes, filename },
      });
    out.push({ label: 'no body', url: url(req) });
    out.push({ label: 'JSON array body', url: url(req), contentType: 'application/json', body: '[]' });
    out.push({ label: 'multipart without boundary', url: url(req), contentType: 'multipart/form-data', body: 'garbage' });
    out.push({
      label: 'broken multipart',
      url: url(req),
      contentType: 'multipart/form-data; boundary=XX',
      body: '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n{"a":',
    });
    file('random bytes', new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 'x.bin');
    file('empty file', new Uint8Array(0));
    file('file over the size limit', 'x'.repeat(CARD_MAX + 1000));
    file('invalid UTF-8 JSON', new Uint8Array([...Buffer.from('{"name":"'), 0xff, 0xfe, ...Buffer.from('"}')]));
    file('deeply nested JSON', deep(50_000));
    file('not a card', '{"hello":"world"}');
    file('card with a NUL', cardJson('Nul', { description: 'a\u0000b' }));
    file('card with a lone surrogate', cardJson('Sur').replace('"d"', '"\\ud800"'));
    file('lorebook with a NUL', JSON.stringify({ entries: { 0: { uid: 0, key: ['a\u0000'], content: 'x\u0000y' } } }));
    file(
      'lorebook with a lone surrogate',
      JSON.stringify({ entries: { 0: { uid: 0, key: ['a'], content: 'PLACE' } } }).replace('PLACE', '\\udfff'),
    );
  }
  return out;
}

async function sendAs(route: RouteDefinition, v: Variant, auth: string): Promise<Res> {
  if (v.upload) {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(v.upload.bytes)]), v.upload.filename);
    const res = await fetch(`${svc.url}${v.url}`, { method: route.method.toUpperCase(), headers: { Authorization: auth }, body: form });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body, headers: res.headers };
  }
  return rawSend(svc.url, {
    method: route.method,
    url: v.url,
    auth,
    headers: v.contentType ? { 'content-type': v.contentType } : {},
    ...(v.body !== undefined && route.method !== 'get' ? { body: v.body } : {}),
  });
}

describe('hostile input (from the route table and its schemas)', () => {
  test('every route with input has a fixture (a valid request to corrupt)', () => {
    const targets = routes.filter((r) => r.auth !== 'public' && (r.params || r.query || r.body || r.bodyContentType));
    expect(targets.filter((r) => !ROUTE_FIXTURES[r.operationId]).map((r) => r.operationId)).toEqual([]);
  });

  test('every route with parameters, a query or a body refuses malformed variants with a 4xx problem and changes nothing', async () => {
    const api = fixtureApi(svc.url);
    const failures: string[] = [];
    let count = 0;
    const targets = routes.filter(
      (r) => r.auth !== 'public' && (r.params || r.query || r.body || r.bodyContentType) && ROUTE_FIXTURES[r.operationId],
    );
    for (const route of targets) {
      const fixture = ROUTE_FIXTURES[route.operationId]!;
      const owner = await bearer(`hostile-${route.operationId}`, route.auth === 'admin' || fixture.admin === true ? { role: 'admin' } : {});
      const values = fixture.setup ? await fixture.setup(api, owner) : {};
      const req = fixture.request(values);
      for (const v of variants(route, req)) {
        const before = await svc.runtime.eventStore.headPosition();
        const real = await sendAs(route, v, owner).catch((err: Error) => ({ status: 0, body: String(err), headers: new Headers() }));
        const after = await svc.runtime.eventStore.headPosition();
        count++;
        const type = real.headers.get('content-type') ?? '';
        const problemShaped = type.startsWith('application/problem+json') && typeof real.body?.code === 'string';
        // The tldw_server-compatible routes answer FastAPI's `{"detail": ...}` (what the body parser refuses before
        // the route is still a problem document, which carries `detail` too).
        const shaped =
          route.errorStyle === 'fastapi'
            ? problemShaped || (type.startsWith('application/json') && real.body?.detail !== undefined)
            : problemShaped;
        const ok = real.status >= 400 && real.status < 500 && shaped && before === after;
        if (!ok)
          failures.push(
            `${route.operationId} [${v.label}]: ${real.status} ${type} ${before === after ? '' : 'EVENTS APPENDED '}${JSON.stringify(real.body).slice(0, 200)}`,
          );
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(500);
  }, 240_000);
});
