/**
 * Ports of the original's cap and rate-limit tests (`Character_Chat/test_rate_limits_specific.py`, the limiter
 * test of `test_world_book_negatives_and_new_endpoint.py` and `TestRateLimiting` of `test_character_api.py`),
 * against the original's literal paths. The original sets its caps per test through environment variables and
 * resets its limiter; here one service runs with the caps of those tests (a chat per user, three messages per
 * chat, a few completions a minute) and each test is its own user, so each starts from nothing. The caps and
 * limits are the same mechanism as on the native routes (MAX_CHATS_PER_USER, MAX_MESSAGES_PER_CHAT, RATE_LIMITS).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import type { FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import type { TestService } from '../../../../test/harness.ts';
import { startServiceWithStandInProvider } from '../../../../test/stand-in-provider-service.ts';

const secret = 'tldw-limits-test-secret-0123456789-abcdefghijkl';
const MESSAGES_PER_CHAT = 3;
const COMPLETIONS_PER_MINUTE = 3;
let svc: TestService;
let upstream: FakeLlmServer;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ svc, upstream, close } = await startServiceWithStandInProvider({
    AUTH_MODE: 'multi-user',
    JWT_SECRET: secret,
    MAX_CHATS_PER_USER: '1',
    MAX_MESSAGES_PER_CHAT: String(MESSAGES_PER_CHAT),
    RATE_LIMITS_ENABLED: 'true',
    RATE_LIMITS: `chat_completion=${COMPLETIONS_PER_MINUTE}/60`,
  }));
}, 120_000);
afterAll(async () => {
  await close?.();
});

type Send = (method: string, path: string, body?: unknown) => ReturnType<TestService['request']>;

/** A fresh user (the original's fresh database) with a character of its own. */
async function freshUser(): Promise<{ send: Send; characterId: string }> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`limits-${randomUUID().slice(0, 8)}`)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
  const send: Send = (method, path, body) =>
    svc.request(method, path, { key: null, headers: { Authorization: `Bearer ${token}` }, ...(body !== undefined ? { body } : {}) });
  const character = await send('POST', '/api/v1/characters/', { name: 'Default Assistant', first_message: 'Hello!' });
  expect(character.status).toBe(201);
  return { send, characterId: character.body.id };
}

const SPECIFIC = 'Character_Chat/test_rate_limits_specific.py';
const WB_NEG = 'Character_Chat/test_world_book_negatives_and_new_endpoint.py';
const API = 'Character_Chat_NEW/integration/test_character_api.py';

describe(SPECIFIC, () => {
  test(`${SPECIFIC}::test_max_messages_per_chat_limit`, async () => {
    const { send, characterId } = await freshUser();
    const chat = await send('POST', '/api/v1/chats/', { character_id: characterId });
    expect(chat.status).toBe(201);
    for (let i = 0; i < MESSAGES_PER_CHAT; i++)
      expect((await send('POST', `/api/v1/chats/${chat.body.id}/messages`, { role: 'user', content: `m${i}` })).status).toBe(201);
    const blocked = await send('POST', `/api/v1/chats/${chat.body.id}/messages`, { role: 'user', content: 'second' });
    expect(blocked.status).toBe(403);
  });

  test(`${SPECIFIC}::test_max_chats_per_user_limit`, async () => {
    const { send, characterId } = await freshUser();
    const listed = await send('GET', '/api/v1/chats/');
    expect(listed.status).toBe(200);
    expect(listed.body.total ?? 0).toBe(0);
    expect((await send('POST', '/api/v1/chats/', { character_id: characterId })).status).toBe(201);
    expect((await send('POST', '/api/v1/chats/', { character_id: characterId })).status).toBe(403);
  });

  test(`${SPECIFIC}::test_chat_completion_per_minute_rate_limit`, async () => {
    const { send, characterId } = await freshUser();
    const chatId = (await send('POST', '/api/v1/chats/', { character_id: characterId })).body.id;
    const statuses: number[] = [];
    for (let i = 0; i < COMPLETIONS_PER_MINUTE + 1; i++) statuses.push((await send('POST', `/api/v1/chats/${chatId}/complete`, {})).status);
    expect(statuses).toContain(429);
  });
});

describe(WB_NEG, () => {
  test(`${WB_NEG}::test_rate_limits_max_messages_and_chats_and_completions_endpoint`, async () => {
    const { send, characterId } = await freshUser();
    const chat = await send('POST', '/api/v1/chats/', { character_id: characterId });
    expect(chat.status).toBe(201);
    expect((await send('POST', '/api/v1/chats/', { character_id: characterId })).status).toBe(403);
    for (let i = 0; i < MESSAGES_PER_CHAT; i++)
      expect((await send('POST', `/api/v1/chats/${chat.body.id}/messages`, { role: 'user', content: `m${i}` })).status).toBe(201);
    expect((await send('POST', `/api/v1/chats/${chat.body.id}/messages`, { role: 'user', content: 'exceed' })).status).toBe(403);
    // The original's completion limit is one a minute; here it is COMPLETIONS_PER_MINUTE: spend all but one first.
    for (let i = 0; i < COMPLETIONS_PER_MINUTE - 1; i++) await send('POST', `/api/v1/chats/${chat.body.id}/complete`, {});
    const payload = { include_character_context: true, append_user_message: 'go' };
    const first = await send('POST', `/api/v1/chats/${chat.body.id}/completions`, payload);
    expect(first.status).toBe(200);
    const second = await send('POST', `/api/v1/chats/${chat.body.id}/completions`, payload);
    expect(second.status).toBe(429);
  });
});

describe(API, () => {
  test(`${API}::TestRateLimiting::test_rate_limit_per_character`, async () => {
    const { send, characterId } = await freshUser();
    const chatId = (await send('POST', '/api/v1/chats/', { character_id: characterId, title: 'Rate Test' })).body.id;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send('POST', `/api/v1/chats/${chatId}/complete`, {})).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});

const IMPORT = 'Character_Chat_NEW/integration/test_chat_import_local_chats.py';

describe(IMPORT, () => {
  const simple = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    title: 'Trip planning',
    created_at: '2025-03-01T09:59:30.000Z',
    messages: [
      { id: 'pa_q1', parent_message_id: null, role: 'user', content: 'owner one private message', timestamp: '2025-03-01T10:00:00.250Z' },
    ],
    ...extra,
  });

  test(`${IMPORT}::test_import_always_goes_to_the_authenticated_user`, async () => {
    const { send } = await freshUser();
    const other = await freshUser();
    const id = randomUUID();
    expect((await send('POST', '/api/v1/chats/import', simple(id))).status).toBe(201);
    expect((await send('GET', `/api/v1/chats/${id}`)).status).toBe(200);
    expect([403, 404]).toContain((await other.send('GET', `/api/v1/chats/${id}`)).status);
  });

  test(`${IMPORT}::test_another_owner_reusing_the_id_in_a_shared_store_gets_409_without_a_leak`, async () => {
    const owner = await freshUser();
    const other = await freshUser();
    const id = randomUUID();
    const body = simple(id, { title: 'Owner one private plans' });
    expect((await owner.send('POST', '/api/v1/chats/import', body)).status).toBe(201);
    const different = simple(id, { title: 'Something else', messages: [{ ...body.messages[0]!, id: 'pa_other', content: 'x' }] });
    for (const attempt of [body, different]) {
      const r = await other.send('POST', '/api/v1/chats/import', attempt);
      expect(r.status).toBe(409);
      expect(r.body.detail.error_code).toBe('chat_id_conflict');
      expect(JSON.stringify(r.body)).not.toContain('Owner one private plans');
      expect(JSON.stringify(r.body)).not.toContain('owner one private message');
      expect(r.headers.get('idempotency-replayed')).toBeNull();
    }
    expect([403, 404]).toContain((await other.send('GET', `/api/v1/chats/${id}`)).status);
    expect([403, 404]).toContain((await other.send('GET', `/api/v1/chats/${id}/messages`)).status);
  });

  test(`${IMPORT}::test_chat_count_quota_applies_to_new_imports_but_not_to_replays`, async () => {
    const { send } = await freshUser();
    const id = randomUUID();
    expect((await send('POST', '/api/v1/chats/import', simple(id))).status).toBe(201);
    const refused = await send('POST', '/api/v1/chats/import', simple(randomUUID()));
    expect(refused.status).toBe(403);
    expect((await send('POST', '/api/v1/chats/import', simple(id))).status).toBe(200);
  });
});
