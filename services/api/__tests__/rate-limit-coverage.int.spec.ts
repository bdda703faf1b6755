/**
 * Every documented rate limit holds, generated from the route table and the limits table: each write route names
 * its actions or says why it is exempt; each action of the limits table answers 429 (`rate_limited`, Retry-After,
 * RateLimit-*) on every route that counts it, on PostgreSQL and on Redis; a request refused by validation spends
 * no point; a completion the generation would refuse is refused before its job is queued.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { RATE_LIMIT_ACTIONS, type RateLimitAction } from '../../../infra/ratelimit/rate-limits.ts';
import { buildPng, cardJson, tEXt } from '../../../shared/cards/__tests__/helpers/builders.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import { routeTable } from '../app.ts';
import type { RateLimitRule, RouteDefinition } from '../http/route.ts';
import {
  bearer,
  call,
  fixtureApi,
  JWT_SECRET,
  llmTestEnv,
  ROUTE_FIXTURES,
  type Req,
  type Res,
  type Values,
} from './helpers/route-fixtures.ts';

const LIMIT = 4;
const WINDOW_SECONDS = 600;
const RATE_LIMITS = RATE_LIMIT_ACTIONS.map((a) => `${a}=${LIMIT}/${WINDOW_SECONDS}`).join(',');

const actionsOf = (route: RouteDefinition): RateLimitAction[] =>
  ([] as RateLimitRule[]).concat(route.rateLimit ?? []).map((r) => (typeof r === 'string' ? r : r.action));
const isWrite = (route: RouteDefinition) => route.method !== 'get';

const pngCard = () => buildPng([tEXt('chara', Buffer.from(cardJson(`Pic ${randomUUID().slice(0, 8)}`)).toString('base64'))]);
const PNG_BASE64 = Buffer.from(buildPng()).toString('base64');

/**
 * The request that makes a route count an action when its fixture's request does not (a conditional rule), and the
 * other actions that request counts besides.
 */
const COUNTING_REQUESTS: Record<
  string,
  Partial<Record<RateLimitAction, { request?: (v: Values) => Req; alsoCounts: RateLimitAction[] }>>
> = {
  importCharacter: {
    character_import: { alsoCounts: [] },
    blob_upload: { request: () => ({ upload: { bytes: pngCard(), filename: 'card.png' } }), alsoCounts: ['character_import'] },
  },
  postMessage: {
    blob_upload: {
      request: (v) => ({ params: { chat_id: v.chat_id! }, body: { sender: 'user', content: 'look', image_base64: PNG_BASE64 } }),
      alsoCounts: ['message_send'],
    },
  },
  completeCharacterChat: {
    chat_completion: { alsoCounts: ['message_send'] },
    message_send: { alsoCounts: ['chat_completion'] },
  },
  tldwPostMessage: {
    blob_upload: {
      request: (v) => ({ params: { chat_id: v.chat_id! }, body: { role: 'user', content: 'look', image_base64: PNG_BASE64 } }),
      alsoCounts: ['message_send'],
    },
  },
  tldwCompleteV2: {
    chat_completion: { alsoCounts: ['message_send'] },
    message_send: { alsoCounts: ['chat_completion'] },
  },
  createChatCompletion: {
    message_send: {
      request: (v) => ({ body: { character_id: v.id!, save_to_db: true, messages: [{ role: 'user', content: 'Hello' }] } }),
      alsoCounts: ['chat_completion', 'chat_create'],
    },
    chat_create: {
      request: (v) => ({ body: { character_id: v.id!, save_to_db: true, messages: [{ role: 'user', content: 'Hello' }] } }),
      alsoCounts: ['chat_completion', 'message_send'],
    },
  },
  createChatCompletionAtV1: {
    message_send: {
      request: (v) => ({ body: { character_id: v.id!, save_to_db: true, messages: [{ role: 'user', content: 'Hello' }] } }),
      alsoCounts: ['chat_completion', 'chat_create'],
    },
    chat_create: {
      request: (v) => ({ body: { character_id: v.id!, save_to_db: true, messages: [{ role: 'user', content: 'Hello' }] } }),
      alsoCounts: ['chat_completion', 'message_send'],
    },
  },
};

/** A request each rate-limited route refuses while validating it (its fixture's, made invalid). */
function invalidRequest(route: RouteDefinition, valid: Req): Req {
  if (route.operationId === 'importCharacter')
    return { upload: { bytes: new Uint8Array(Buffer.from('no card in here')), filename: 'card.png' } };
  if (route.operationId === 'importWorldBook')
    return { upload: { bytes: new Uint8Array(Buffer.from('{ not json')), filename: 'lore.json' } };
  if (route.operationId === 'importPersonas')
    return { upload: { bytes: new Uint8Array(Buffer.from('{ not json')), filename: 'personas.json' } };
  if (route.operationId === 'searchMessages') return { ...valid, query: {} };
  // tldw_server's ids are free strings (an unknown one is a missing chat): a required query parameter left out instead.
  if (route.operationId === 'tldwSearchMessages' || route.operationId === 'tldwDeleteMessage') return { ...valid, query: {} };
  // tldw_server's deprecated complete takes no body: one is its 422.
  if (route.operationId === 'tldwCompleteDeprecated') return { ...valid, body: { message: 'x' } };
  if (route.body) return { ...valid, body: [] };
  if (valid.params) return { ...valid, params: Object.fromEntries(Object.keys(valid.params).map((k) => [k, 'not-an-id'])) };
  throw new Error(`${route.operationId}: no invalid request for it; add one here`);
}

const stores: Array<[string, Record<string, string>]> = [['postgres', {}]];
if (process.env.REDIS_URL) stores.push(['redis', { REDIS_URL: process.env.REDIS_URL }]);
else {
  console.log('SKIP rate-limit coverage on Redis: REDIS_URL is not set');
  test.skip('rate-limit coverage on Redis: REDIS_URL is not set', () => undefined);
}

describe.each(stores)('every documented rate limit is enforced (%s store)', (store, storeEnv) => {
  let svc: TestService;
  let upstream: FakeLlmServer;
  let routes: RouteDefinition[];
  beforeAll(async () => {
    upstream = await startFakeOpenAIServer();
    svc = await startTestService({
      roles: { api: true, projector: true, worker: true },
      env: { ...storeEnv, ...llmTestEnv(upstream.url), AUTH_MODE: 'multi-user', JWT_SECRET, RATE_LIMITS },
    });
    routes = routeTable(svc.api.deps);
  });
  afterAll(async () => {
    await svc?.close();
    await upstream?.close();
  });

  const remaining = async (auth: string): Promise<Record<string, number>> => {
    const status = await call(svc.url, { method: 'get', path: '/api/v1/characters/rate-limit-status' }, {}, auth);
    expect(status.body).toMatchObject({ enabled: true, store, degraded: false });
    return Object.fromEntries((status.body.actions as Array<{ action: string; remaining: number }>).map((a) => [a.action, a.remaining]));
  };

  test('every write route of the table names its rate limits or says why it is exempt, and every action of the limits table is counted somewhere', async () => {
    const undecided = routes
      .filter((r) => isWrite(r) && actionsOf(r).length === 0 && !r.rateLimitExempt?.trim())
      .map((r) => `${r.method} ${r.path} (${r.operationId})`);
    const both = routes.filter((r) => actionsOf(r).length > 0 && r.rateLimitExempt).map((r) => r.operationId);
    const inHandlerWithoutLimit = routes.filter((r) => r.rateLimitInHandler && actionsOf(r).length === 0).map((r) => r.operationId);
    expect({ undecided, both, inHandlerWithoutLimit }).toEqual({ undecided: [], both: [], inHandlerWithoutLimit: [] });
    expect(RATE_LIMIT_ACTIONS.filter((a) => !routes.some((r) => actionsOf(r).includes(a)))).toEqual([]);
    // The API document says so too: a 429 naming the actions, or the exemption's reason.
    const openapi = (await call(svc.url, { method: 'get', path: '/openapi.json' }, {}, null)).body;
    const operation = (r: RouteDefinition) => openapi.paths[r.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')][r.method];
    const undocumented = routes
      .filter((r) => actionsOf(r).some((a) => !String(operation(r).responses['429']?.description).includes(a)))
      .map((r) => r.operationId);
    const unexplained = routes
      .filter((r) => r.rateLimitExempt && operation(r)['x-rate-limit-exempt'] !== r.rateLimitExempt)
      .map((r) => r.operationId);
    expect({ undocumented, unexplained }).toEqual({ undocumented: [], unexplained: [] });
  });

  test.each(RATE_LIMIT_ACTIONS.map((a) => [a]))(
    '%s: every route counting it answers 429 with Retry-After and RateLimit-* once the limit is used up',
    async (action) => {
      const counting = routes.filter((r) => actionsOf(r).includes(action));
      expect(counting.length).toBeGreaterThan(0);
      const api = fixtureApi(svc.url);
      const outcomes: string[] = [];
      for (const route of counting) {
        const fixture = ROUTE_FIXTURES[route.operationId]!;
        const counted = COUNTING_REQUESTS[route.operationId]?.[action];
        const user = `rl-${store}-${route.operationId}-${action}-${randomUUID().slice(0, 8)}`;
        const auth = await bearer(user);
        const values = fixture.setup ? await fixture.setup(api, auth) : {};
        const request = counted?.request ?? fixture.request;
        // When the request counts other actions too, this one is made the first to run out, so its 429 is the one seen.
        let before = await remaining(auth);
        while ((counted?.alsoCounts ?? []).some((other) => before[other]! <= before[action]!)) {
          await svc.runtime.rateLimits!.consume(action, user);
          before = await remaining(auth);
        }
        const allowed = before[action]!;
        expect([route.operationId, allowed > 0]).toEqual([route.operationId, true]);
        for (let i = 0; i < allowed; i++) {
          const ok = await call(svc.url, route, request(values), auth);
          expect([route.operationId, i, ok.status]).not.toEqual([route.operationId, i, 429]);
        }
        expect((await remaining(auth))[action]).toBe(0);
        const head = await svc.runtime.eventStore.headPosition();
        const refused: Res = await call(svc.url, route, request(values), auth);
        outcomes.push(`${route.operationId}: ${refused.status}`);
        if (route.errorStyle === 'fastapi') {
          // tldw_server's routes: FastAPI's `{"detail": "..."}` naming the action, the same bucket and headers.
          expect([route.operationId, refused.status, String(refused.body?.detail).includes(action)]).toEqual([
            route.operationId,
            429,
            true,
          ]);
          expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
        } else {
          expect([route.operationId, refused.status, refused.body?.code, refused.body?.action]).toEqual([
            route.operationId,
            429,
            'rate_limited',
            action,
          ]);
          expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        }
        const retryAfter = Number(refused.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
        expect(refused.headers.get('ratelimit-limit')).toBe(String(LIMIT));
        expect(refused.headers.get('ratelimit-remaining')).toBe('0');
        expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
        expect(refused.headers.get('ratelimit-policy')).toBe(`${LIMIT};w=${WINDOW_SECONDS}`);
        // The refused request did nothing, and the points of its other actions were given back.
        expect(await svc.runtime.eventStore.headPosition()).toBe(head);
        const after = await remaining(auth);
        for (const other of counted?.alsoCounts ?? [])
          expect([route.operationId, other, after[other]]).toEqual([route.operationId, other, before[other]! - allowed]);
      }
      expect(outcomes).toHaveLength(counting.length);
    },
    120_000,
  );

  test('a request refused by validation spends no point, on every rate-limited route', async () => {
    const api = fixtureApi(svc.url);
    const failures: string[] = [];
    for (const route of routes.filter((r) => actionsOf(r).length > 0)) {
      const fixture = ROUTE_FIXTURES[route.operationId]!;
      const auth = await bearer(`rl-invalid-${store}-${route.operationId}-${randomUUID().slice(0, 8)}`);
      const values = fixture.setup ? await fixture.setup(api, auth) : {};
      const before = await remaining(auth);
      const res = await call(svc.url, route, invalidRequest(route, fixture.request(values)), auth);
      const after = await remaining(auth);
      const spent = actionsOf(route).filter((a) => after[a] !== before[a]);
      if (![400, 413, 415, 422].includes(res.status) || spent.length > 0)
        failures.push(`${route.operationId}: ${res.status} ${res.body?.code} spent ${spent.join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  test('a completion the generation would refuse is refused before its job is queued: no CompletionFailed, no analytics error, no point spent', async () => {
    const user = `rl-completion-${store}-${randomUUID().slice(0, 8)}`;
    const auth = await bearer(user);
    const api = fixtureApi(svc.url);
    const { chatId } = await api.message(auth); // the chat ends with the user's message: nothing to regenerate
    const characterId = await api.character(auth);
    const before = await remaining(auth);
    const requests: Array<[string, string, unknown, number, string]> = [
      ['regenerate a user message', `/api/v1/character_chats/${chatId}/complete`, { mode: 'regenerate' }, 400, 'not_a_reply'],
      [
        'continue a message not in the chat',
        `/api/v1/character_chats/${chatId}/complete`,
        { mode: 'continue', message_id: randomUUID() },
        400,
        'no_message_to_continue',
      ],
      [
        'a world book that does not exist',
        `/api/v1/chat/completions`,
        { character_id: characterId, save_to_db: false, world_book_ids: [randomUUID()], messages: [{ role: 'user', content: 'Hi' }] },
        404,
        'not_found',
      ],
      [
        'a world book that does not exist (stored turn)',
        `/api/v1/character_chats/${chatId}/complete`,
        { message: 'Hi', world_book_ids: [randomUUID()] },
        404,
        'not_found',
      ],
    ];
    for (const [what, url, body, status, code] of requests) {
      const res = await call(svc.url, { method: 'post', path: url }, { body }, auth);
      expect([what, res.status, res.body?.code]).toEqual([what, status, code]);
      expect([what, res.headers.get('x-completion-id')]).toEqual([what, null]);
    }
    const after = await remaining(auth);
    const spent = Object.keys(before).filter((a) => after[a] !== before[a]);
    const failed = (await svc.runtime.eventStore.readAll({ maxCount: 100_000 })).filter(
      (e) => e.type === 'CompletionFailed' && e.metadata.userId === user,
    );
    const usage = await call(svc.url, { method: 'get', path: '/api/v1/analytics/usage' }, {}, auth);
    expect(usage.status).toBe(200);
    expect({ spent, completionFailed: failed.length, analyticsErrors: usage.body.totals.errors }).toEqual({
      spent: [],
      completionFailed: 0,
      analyticsErrors: 0,
    });
    // A valid one afterwards still works and counts.
    const ok = await call(
      svc.url,
      { method: 'post', path: `/api/v1/character_chats/${chatId}/complete` },
      { body: { mode: 'normal' } },
      auth,
    );
    expect(ok.status).toBe(200);
    expect((await remaining(auth)).chat_completion).toBe(before.chat_completion! - 1);
  }, 60_000);
});

describe('a completion into a chat that cannot take its turn', () => {
  test('is refused before it is generated: 403 limit_exceeded, no CompletionFailed, no point spent, nothing asked of the provider', async () => {
    const upstream = await startFakeOpenAIServer();
    const svc = await startTestService({
      roles: { api: true, projector: true, worker: true },
      env: { ...llmTestEnv(upstream.url), AUTH_MODE: 'multi-user', JWT_SECRET, MAX_MESSAGES_PER_CHAT: '4' },
    });
    try {
      const user = `rl-full-chat-${randomUUID().slice(0, 8)}`;
      const auth = await bearer(user);
      const { chatId } = await fixtureApi(svc.url).message(auth); // the greeting and one message
      const complete = (message: string) =>
        call(svc.url, { method: 'post', path: `/api/v1/character_chats/${chatId}/complete` }, { body: { message } }, auth);
      expect((await complete('first')).status).toBe(200); // four messages: full
      const asked = upstream.requests.length;
      const status = async () =>
        (
          (await call(svc.url, { method: 'get', path: '/api/v1/characters/rate-limit-status' }, {}, auth)).body.actions as Array<{
            action: string;
            remaining: number;
          }>
        ).map((a) => `${a.action} ${a.remaining}`);
      const before = await status();
      const refused = await complete('second');
      expect([refused.status, refused.body?.code]).toEqual([403, 'limit_exceeded']);
      expect(upstream.requests.length).toBe(asked);
      expect(await status()).toEqual(before);
      const failed = (await svc.runtime.eventStore.readAll({ maxCount: 100_000 })).filter(
        (e) => e.type === 'CompletionFailed' && e.metadata.userId === user,
      );
      expect(failed).toEqual([]);
    } finally {
      await svc.close();
      await upstream.close();
    }
  }, 60_000);
});
