/**
 * Our port of tldw_server's HTTP-level Character Chat tests for chats and messages, against the original's
 * literal paths (`/api/v1/chats/…`, `/api/v1/messages/…`). Each test names the original file and function.
 * The original's fixtures differ where our service does: ids are UUIDs, characters are created over our
 * native API, and each test runs as its own user in multi-user mode instead of a fresh SQLite file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';

const secret = 'tldw-chats-test-secret-0123456789-abcdefghijkl';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
}, 120_000);
afterAll(async () => {
  await svc?.close();
});

type Client = {
  get: (path: string, query?: Record<string, unknown>) => ReturnType<TestService['request']>;
  post: (path: string, body?: unknown, query?: Record<string, unknown>) => ReturnType<TestService['request']>;
  put: (path: string, body: unknown, query?: Record<string, unknown>) => ReturnType<TestService['request']>;
  delete: (path: string, query?: Record<string, unknown>) => ReturnType<TestService['request']>;
};

const withQuery = (path: string, query?: Record<string, unknown>) => {
  if (!query) return path;
  const q = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return q ? `${path}?${q}` : path;
};

async function clientFor(user = `tldw-${randomUUID().slice(0, 8)}`): Promise<Client> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
  const as = { key: null, headers: { Authorization: `Bearer ${token}` } };
  return {
    get: (path, query) => svc.request('GET', withQuery(path, query), as),
    post: (path, body, query) => svc.request('POST', withQuery(path, query), { ...as, ...(body !== undefined ? { body } : {}) }),
    put: (path, body, query) => svc.request('PUT', withQuery(path, query), { ...as, body }),
    delete: (path, query) => svc.request('DELETE', withQuery(path, query), as),
  };
}

/** A character over our native API (the original's tests use its seeded default character or create one). */
async function character(client: Client, fields: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const name = (fields.name as string | undefined) ?? `Char ${randomUUID().slice(0, 8)}`;
  const r = await client.post('/api/v1/characters', { first_message: 'Hello there!', ...fields, name });
  expect(r.status).toBe(201);
  return { id: r.body.id, name };
}

async function chatWithMessages(client: Client, contents: string[]): Promise<string> {
  const c = await character(client, { name: `Trash Restore ${randomUUID().slice(0, 6)}`, personality: 'Patient' });
  const chat = await client.post('/api/v1/chats/', { character_id: c.id, title: 'Trash restore chat' });
  expect(chat.status).toBe(201);
  const roles = ['user', 'assistant'];
  for (const [i, content] of contents.entries()) {
    const sent = await client.post(`/api/v1/chats/${chat.body.id}/messages`, { role: roles[i % 2], content });
    expect(sent.status).toBe(201);
  }
  return chat.body.id;
}

const listMessages = async (client: Client, chatId: string) => {
  const r = await client.get(`/api/v1/chats/${chatId}/messages`, { limit: 200 });
  expect(r.status).toBe(200);
  return r.body.messages as Array<{ id: string; sender: string; content: string; version: number }>;
};
const snapshot = (messages: Array<{ id: string; sender: string; content: string; version: number }>) =>
  messages.map((m) => [m.id, m.sender, m.content, m.version]);

describe('tldw_server chats and messages (ported HTTP-level tests)', () => {
  test('test_character_chat_endpoints.py::test_character_chat_flow_sessions_messages_worldbooks (sessions and messages)', async () => {
    const client = await clientFor();
    const c = await character(client);
    let r = await client.post('/api/v1/chats/', { character_id: c.id, title: 'Test Chat' });
    expect(r.status).toBe(201);
    const chatId = r.body.id as string;
    expect(r.body).toMatchObject({
      assistant_kind: 'character',
      assistant_id: c.id,
      character_id: c.id,
      character_name: c.name,
      assistant_name: c.name,
      persona_memory_mode: null,
    });
    let version = r.body.version as number;

    r = await client.put(`/api/v1/chats/${chatId}`, { title: 'Updated Test Chat' }, { expected_version: version });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ title: 'Updated Test Chat', version: version + 1, character_name: c.name, assistant_name: c.name });
    version = r.body.version;

    expect((await client.get(`/api/v1/chats/${chatId}/settings`)).status).toBe(404);
    r = await client.put(`/api/v1/chats/${chatId}/settings`, {
      settings: { schemaVersion: 2, updatedAt: new Date().toISOString(), greetingEnabled: true },
    });
    expect(r.status).toBe(200);
    expect(r.body.conversation_id).toBe(chatId);
    expect(r.body.settings.greetingEnabled).toBe(true);
    r = await client.get(`/api/v1/chats/${chatId}/settings`);
    expect([r.status, r.body.settings.greetingEnabled]).toEqual([200, true]);

    r = await client.post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'Hello there!' });
    expect(r.status).toBe(201);
    const message = r.body;

    r = await client.get('/api/v1/chats/');
    expect(r.status).toBe(200);
    const listed = r.body.chats.find((x: { id: string }) => x.id === chatId);
    expect(listed).toMatchObject({ character_name: c.name, assistant_name: c.name });

    r = await client.get(`/api/v1/chats/${chatId}/messages`);
    expect(r.status).toBe(200);
    expect(r.body.messages.some((m: { id: string }) => m.id === message.id)).toBe(true);
    expect(r.body.pagination).toEqual({ mode: 'offset', limit: 50, offset: 0, total: 1, has_more: false, next_offset: null });
    expect([r.body.has_more, r.body.next_offset]).toEqual([false, null]);

    r = await client.delete(`/api/v1/messages/${message.id}`, { expected_version: message.version });
    expect(r.status).toBe(204);

    r = await client.get(`/api/v1/chats/${chatId}`);
    expect(r.status).toBe(200);
    expect([r.body.character_name, r.body.assistant_name]).toEqual([c.name, c.name]);
    r = await client.delete(`/api/v1/chats/${chatId}`, { expected_version: r.body.version });
    expect(r.status).toBe(204);
    expect((await client.get(`/api/v1/chats/${chatId}`)).status).toBe(404);
  });

  test('test_character_chat_endpoints.py::test_message_placeholders_and_length_guard', async () => {
    const client = await clientFor();
    const name = `PlaceholderBot-${randomUUID()}`;
    const c = await character(client, {
      name,
      description: 'I am {{char}} for {{user}}.',
      personality: 'Helpful to {{user}}.',
      scenario: 'Meeting {{user}}.',
      system_prompt: 'System for {{char}} and {{user}}.',
    });
    const chatId = (await client.post('/api/v1/chats/', { character_id: c.id })).body.id;
    expect(
      (await client.post(`/api/v1/chats/${chatId}/messages`, { role: 'assistant', content: "Hi {{user}}, I'm {{char}}." })).status,
    ).toBe(201);

    let r = await client.get(`/api/v1/chats/${chatId}/messages`);
    expect(r.status).toBe(200);
    expect(r.body.messages.find((m: { sender: string }) => m.sender === 'assistant').content).toBe(`Hi User, I'm ${name}.`);
    expect(r.body.pagination).toEqual({ mode: 'offset', limit: 50, offset: 0, total: 1, has_more: false, next_offset: null });

    r = await client.get(`/api/v1/chats/${chatId}/messages`, { format_for_completions: true, include_character_context: true });
    expect(r.status).toBe(200);
    const system = r.body.messages.find((m: { role: string }) => m.role === 'system');
    expect(system.content).not.toContain('{{');
    expect(system.content).toContain(name);
    expect(system.content).toContain('User');

    // The original lowers its content cap to 20 for the test; ours is the real cap (1,000,000 characters).
    r = await client.post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'x'.repeat(1_000_001) });
    expect(r.status).toBe(400);
  });

  test('test_chat_settings_endpoints.py::test_chat_settings_roundtrip_persists_deep_research_attachment', async () => {
    const client = await clientFor();
    const c = await character(client);
    const chatId = (await client.post('/api/v1/chats/', { character_id: c.id, title: 'Persisted attachment chat' })).body.id;
    const attachment = {
      run_id: 'run_123',
      query: 'Assess local-vs-web evidence',
      outline: [{ title: 'Summary' }, { title: 'Risks' }],
      verification_summary: { unsupported_claim_count: 1 },
      source_trust_summary: { high_trust_count: 2 },
      research_url: '/research?run=run_123',
      updatedAt: '2026-03-08T20:00:00Z',
    };
    const put = await client.put(`/api/v1/chats/${chatId}/settings`, {
      settings: { schemaVersion: 2, updatedAt: '2026-03-08T20:00:00Z', deepResearchAttachment: attachment },
    });
    expect(put.status).toBe(200);
    const got = await client.get(`/api/v1/chats/${chatId}/settings`);
    expect(got.status).toBe(200);
    expect(got.body.settings.deepResearchAttachment).toMatchObject({
      run_id: 'run_123',
      verification_summary: { unsupported_claim_count: 1 },
      source_trust_summary: { high_trust_count: 2 },
    });
  });

  test('test_chat_settings_endpoints.py::test_chat_settings_roundtrip_persists_assistant_overlay', async () => {
    const client = await clientFor();
    const c = await character(client);
    const chatId = (await client.post('/api/v1/chats/', { character_id: c.id })).body.id;
    const overlay = {
      kind: 'persona',
      id: 'persona-7',
      name: 'Research Guide',
      avatar_url: 'https://example.com/persona-7.png',
      system_prompt_snapshot: 'Be concise and evidence-driven.',
      updatedAt: '2026-05-22T20:00:00Z',
    };
    const put = await client.put(`/api/v1/chats/${chatId}/settings`, {
      settings: { schemaVersion: 2, updatedAt: '2026-05-22T20:00:00Z', assistantOverlay: overlay },
    });
    expect(put.status).toBe(200);
    expect(put.body.settings.assistantOverlay.system_prompt_snapshot).toBe('Be concise and evidence-driven.');
    const got = await client.get(`/api/v1/chats/${chatId}/settings`);
    expect(got.body.settings.assistantOverlay).toEqual(overlay);
  });

  describe('test_message_listing_raw_content.py', () => {
    const stored = 'Explain {{user}} and <CHAR>; keep {{char}} literally.';
    const plainChat = async (client: Client) => {
      const chat = await client.post('/api/v1/chats/', { title: 'Literal templates' });
      expect(chat.status).toBe(201);
      const m = await client.post(`/api/v1/chats/${chat.body.id}/messages`, { role: 'user', content: stored });
      return { chatId: chat.body.id as string, messageId: m.body.id as string };
    };

    test.each([
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ])('test_standard_listing_can_preserve_raw_message_content (include_context=%s, render=%s)', async (includeContext, render) => {
      const client = await clientFor();
      const { chatId, messageId } = await plainChat(client);
      const r = await client.get(`/api/v1/chats/${chatId}/messages`, {
        limit: 200,
        include_character_context: includeContext,
        render_placeholders: render,
      });
      expect(r.status).toBe(200);
      expect(r.body.messages[0]).toMatchObject({
        id: messageId,
        sender: 'user',
        content: render ? 'Explain User and Assistant; keep Assistant literally.' : stored,
      });
      // the stored text is unchanged
      expect((await client.get(`/api/v1/messages/${messageId}`)).body.content).toBe(stored);
    });

    test('test_raw_listing_query_keeps_default_rendering_pagination_and_access', async () => {
      const client = await clientFor();
      const { chatId, messageId } = await plainChat(client);
      const path = `/api/v1/chats/${chatId}/messages`;
      const rendered = await client.get(path);
      const raw = await client.get(path, { render_placeholders: 'false', limit: 1 });
      expect([rendered.status, raw.status]).toEqual([200, 200]);
      expect(rendered.body.messages[0].content).toBe('Explain User and Assistant; keep Assistant literally.');
      expect(raw.body.messages[0]).toMatchObject({ content: stored, id: messageId, sender: 'user' });
      expect([raw.body.total, raw.body.offset, raw.body.limit]).toEqual([1, 0, 1]);
      const invalid = await client.get(path, { render_placeholders: 'invalid' });
      expect(invalid.status).toBe(422);
      expect(invalid.body.detail[0]).toMatchObject({ type: 'bool_parsing', loc: ['query', 'render_placeholders'], input: 'invalid' });
      const other = await clientFor();
      expect((await other.get(path, { render_placeholders: 'false' })).status).toBe(403);
    });

    test('test_raw_option_does_not_change_completion_format', async () => {
      const client = await clientFor();
      const { chatId } = await plainChat(client);
      const r = await client.get(`/api/v1/chats/${chatId}/messages`, { format_for_completions: 'true', render_placeholders: 'false' });
      expect(r.status).toBe(200);
      expect(r.body.messages[0]).toEqual({ role: 'user', content: 'Explain User and Assistant; keep Assistant literally.' });
    });
  });

  describe('test_chat_trash_restore.py', () => {
    test('test_restore_from_trash_returns_every_message_in_original_order', async () => {
      const client = await clientFor();
      const contents = ['First question', 'First answer', 'Second question', 'Second answer'];
      const chatId = await chatWithMessages(client, contents);
      const before = await listMessages(client, chatId);
      expect(before.map((m) => m.content).slice(-contents.length)).toEqual(contents);
      expect((await client.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
      const restored = await client.post(`/api/v1/chats/${chatId}/restore`);
      expect(restored.status).toBe(200);
      expect(restored.body.message_count).toBe(before.length);
      expect(snapshot(await listMessages(client, chatId))).toEqual(snapshot(before));
    });

    test('test_trashed_chat_hides_its_messages_until_restored', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['Kestrel-411 marker']);
      const search = () => client.get(`/api/v1/chats/${chatId}/messages/search`, { query: 'Kestrel' });
      expect((await search()).body.messages.map((m: { conversation_id: string }) => m.conversation_id)).toEqual([chatId]);
      expect((await client.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
      expect((await client.get(`/api/v1/chats/${chatId}/messages`)).status).toBe(404);
      expect((await search()).status).toBe(404);
      expect((await client.post(`/api/v1/chats/${chatId}/restore`)).status).toBe(200);
      expect((await search()).body.messages.map((m: { conversation_id: string }) => m.conversation_id)).toEqual([chatId]);
    });

    test('test_message_deleted_before_trash_stays_deleted_after_restore', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['Keep this question', 'Delete this answer', 'Keep this follow-up']);
      const before = await listMessages(client, chatId);
      const removed = before.find((m) => m.content === 'Delete this answer')!;
      expect((await client.delete(`/api/v1/messages/${removed.id}`, { expected_version: removed.version })).status).toBe(204);
      const survivors = await listMessages(client, chatId);
      expect(survivors.map((m) => m.id)).not.toContain(removed.id);
      expect((await client.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
      const restored = await client.post(`/api/v1/chats/${chatId}/restore`);
      expect(restored.body.message_count).toBe(survivors.length);
      expect(snapshot(await listMessages(client, chatId))).toEqual(snapshot(survivors));
      expect((await client.get(`/api/v1/messages/${removed.id}`)).status).toBe(404);
    });

    test('test_restore_is_idempotent', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['Only question', 'Only answer']);
      const before = await listMessages(client, chatId);
      expect((await client.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
      const first = await client.post(`/api/v1/chats/${chatId}/restore`);
      const second = await client.post(`/api/v1/chats/${chatId}/restore`);
      expect(second.body.version).toBe(first.body.version);
      expect([second.body.message_count, first.body.message_count]).toEqual([before.length, before.length]);
      expect(snapshot(await listMessages(client, chatId))).toEqual(snapshot(before));
    });

    test('test_trash_restore_cycles_keep_the_transcript', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['Cycle question', 'Cycle answer']);
      const before = await listMessages(client, chatId);
      for (let i = 0; i < 2; i++) {
        expect((await client.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
        expect((await client.post(`/api/v1/chats/${chatId}/restore`)).status).toBe(200);
      }
      expect(snapshot(await listMessages(client, chatId))).toEqual(snapshot(before));
    });

    test('test_permanent_delete_after_trash_removes_the_messages', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['Purge question', 'Purge answer']);
      const ids = (await listMessages(client, chatId)).map((m) => m.id);
      // a live chat cannot be purged
      expect((await client.delete(`/api/v1/chats/${chatId}`, { hard_delete: true })).status).toBe(400);
      expect((await client.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
      expect((await client.delete(`/api/v1/chats/${chatId}`, { hard_delete: true })).status).toBe(204);
      expect((await client.post(`/api/v1/chats/${chatId}/restore`)).status).toBe(404);
      for (const id of ids) expect((await client.get(`/api/v1/messages/${id}`)).status).toBe(404);
      // gone from the read models and from the log: the chat's stream reads back redacted
      const rows = await svc.api.deps.db
        .withSchema(svc.api.deps.readSchema)
        .selectFrom('chat_messages')
        .select('id')
        .where('chat_id', '=', chatId)
        .execute();
      expect(rows).toEqual([]);
      const events = await svc.runtime.eventStore.readStream(`chat-${chatId}`);
      expect(events.filter((e) => !e.redacted).map((e) => e.type)).toEqual(['ChatErased']);
      expect(JSON.stringify(events)).not.toContain('Purge question');
    });
  });

  describe('test_chat_session_client_id_create.py', () => {
    const BODY = { title: 'Planning notes', state: 'in-progress', source: 'webui-chat' };
    const create = (client: Client, id: string, body: Record<string, unknown> = BODY, query?: Record<string, unknown>) =>
      client.post('/api/v1/chats/', { id, ...body }, query);
    const count = async (client: Client) =>
      (await client.get('/api/v1/chats/', { include_deleted: true, limit: 200 })).body.total as number;

    test('test_client_id_becomes_the_chat_id', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const r = await create(client, id);
      expect(r.status).toBe(201);
      expect([r.body.id, r.body.title]).toEqual([id, BODY.title]);
      expect(r.headers.get('idempotency-replayed')).toBeNull();
    });

    test('test_replay_returns_the_same_chat_and_creates_no_duplicate', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const first = await create(client, id);
      const second = await create(client, id);
      expect([first.status, second.status]).toEqual([201, 200]);
      expect(second.headers.get('idempotency-replayed')).toBe('true');
      expect([second.body.id, second.body.created_at]).toEqual([id, first.body.created_at]);
      expect(await count(client)).toBe(1);
      const listed = await client.get('/api/v1/chats/');
      for (const text of [first.body, second.body, listed.body].map((b) => JSON.stringify(b))) expect(text).not.toContain('sha256:');
    });

    test('test_replay_compares_the_original_request_not_the_current_chat', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const created = await create(client, id);
      const renamed = await client.put(`/api/v1/chats/${id}`, { title: 'Renamed' }, { expected_version: created.body.version });
      expect(renamed.status).toBe(200);
      const replay = await create(client, id);
      expect([replay.status, replay.body.title]).toEqual([200, 'Renamed']);
      expect(await count(client)).toBe(1);
    });

    test.each([
      ['key-order', { source: 'webui-chat', title: 'Planning notes', state: 'in-progress' }],
      ['normalized-state', { title: 'Planning notes', state: 'IN-PROGRESS', source: 'webui-chat' }],
      ['ignored-extra-field', { title: 'Planning notes', state: 'in-progress', source: 'webui-chat', unknown_extra: 1 }],
    ])('test_replay_matches_equivalent_request_bodies[%s]', async (_name, equivalent) => {
      const client = await clientFor();
      const id = randomUUID();
      expect((await create(client, id)).status).toBe(201);
      expect((await create(client, id, equivalent)).status).toBe(200);
      expect(await count(client)).toBe(1);
    });

    test('test_uppercase_client_id_is_stored_in_canonical_form', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const r = await create(client, id.toUpperCase());
      expect([r.status, r.body.id]).toEqual([201, id]);
      expect((await create(client, id)).status).toBe(200);
      expect(await count(client)).toBe(1);
    });

    test('test_character_chat_replay_keeps_one_chat_and_one_greeting', async () => {
      const client = await clientFor();
      const c = await character(client, { name: `Archivist ${randomUUID().slice(0, 6)}`, first_message: 'Welcome back.' });
      const id = randomUUID();
      const body = { character_id: c.id, title: 'Archive visit' };
      const first = await create(client, id, body, { seed_first_message: true });
      const second = await create(client, id, body, { seed_first_message: true });
      expect([first.status, second.status]).toEqual([201, 200]);
      expect(first.body.message_count).toBe(1);
      expect(first.headers.get('x-chat-seed-status')).toBe('ok');
      expect(second.body.character_id).toBe(c.id);
      expect(await count(client)).toBe(1);
      expect((await listMessages(client, id)).length).toBe(1);
    });

    test('test_character_id_aliases_replay_as_the_same_request', async () => {
      const client = await clientFor();
      const c = await character(client, { name: `Navigator ${randomUUID().slice(0, 6)}` });
      const id = randomUUID();
      expect((await create(client, id, { character_id: c.id })).status).toBe(201);
      expect((await create(client, id, { assistant_kind: 'character', assistant_id: c.id })).status).toBe(200);
      expect(await count(client)).toBe(1);
    });

    test.each([
      ['title', { title: 'Different title' }, undefined],
      ['explicit-null-choice', { assistant_kind: null }, undefined],
      ['state', { state: 'resolved' }, undefined],
      ['query-option', {}, { seed_first_message: true }],
    ])('test_same_id_with_a_different_request_is_409_and_changes_nothing[%s]', async (_name, changed, query) => {
      const client = await clientFor();
      const id = randomUUID();
      expect((await create(client, id)).status).toBe(201);
      const conflict = await create(client, id, { ...BODY, ...changed }, query);
      expect(conflict.status).toBe(409);
      expect(conflict.body.detail.error_code).toBe('chat_id_conflict');
      expect((await client.get(`/api/v1/chats/${id}`)).body.title).toBe(BODY.title);
      expect(await count(client)).toBe(1);
    });

    test('test_id_of_a_chat_created_without_client_id_is_409', async () => {
      const client = await clientFor();
      const existing = await client.post('/api/v1/chats/', BODY);
      expect(existing.status).toBe(201);
      const conflict = await create(client, existing.body.id);
      expect(conflict.status).toBe(409);
      expect(conflict.body.detail.error_code).toBe('chat_id_conflict');
      expect(await count(client)).toBe(1);
    });

    test('test_another_owner_reusing_an_id_in_a_shared_store_gets_409_without_a_leak', async () => {
      const owner = await clientFor();
      const other = await clientFor();
      const id = randomUUID();
      const secretTitle = 'Owner one private plans';
      expect((await create(owner, id, { title: secretTitle })).status).toBe(201);
      for (const attempt of [{ title: secretTitle }, { title: 'Something else' }]) {
        const r = await create(other, id, attempt);
        expect(r.status).toBe(409);
        expect(r.body.detail.error_code).toBe('chat_id_conflict');
        expect(JSON.stringify(r.body)).not.toContain(secretTitle);
        expect(r.headers.get('idempotency-replayed')).toBeNull();
      }
      expect([403, 404]).toContain((await other.get(`/api/v1/chats/${id}`)).status);
      expect((await owner.get(`/api/v1/chats/${id}`)).body.title).toBe(secretTitle);
    });

    test.each([
      ['not-a-uuid'],
      [''],
      ['6b0f8c1e2d4a4f3b9a715c2e8d9f0a14'],
      ['{6b0f8c1e-2d4a-4f3b-9a71-5c2e8d9f0a14}'],
      ['urn:uuid:6b0f8c1e-2d4a-4f3b-9a71-5c2e8d9f0a14'],
      [' 6b0f8c1e-2d4a-4f3b-9a71-5c2e8d9f0a14'],
      ['00000000-0000-0000-0000-000000000000'],
      ['ffffffff-ffff-ffff-ffff-ffffffffffff'],
      [12345],
    ])('test_invalid_client_id_is_422_and_creates_nothing[%p]', async (badId) => {
      const client = await clientFor();
      const r = await client.post('/api/v1/chats/', { id: badId, ...BODY });
      expect(r.status).toBe(422);
      expect(r.body.detail[0].loc).toEqual(['body', 'id']);
      expect(await count(client)).toBe(0);
    });

    test('test_without_id_each_create_makes_a_new_server_named_chat', async () => {
      const client = await clientFor();
      const first = await client.post('/api/v1/chats/', BODY);
      const second = await client.post('/api/v1/chats/', BODY);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(first.body.id).not.toBe(second.body.id);
      for (const r of [first, second]) expect(r.headers.get('idempotency-replayed')).toBeNull();
      expect(await count(client)).toBe(2);
    });

    test('test_explicit_null_id_behaves_like_no_id', async () => {
      const client = await clientFor();
      expect((await client.post('/api/v1/chats/', { id: null, ...BODY })).status).toBe(201);
      expect((await client.post('/api/v1/chats/', { id: null, ...BODY })).status).toBe(201);
      expect(await count(client)).toBe(2);
    });

    test('test_replaying_a_trashed_chat_is_410_and_does_not_restore_or_recreate', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const created = await create(client, id);
      expect((await client.delete(`/api/v1/chats/${id}`, { expected_version: created.body.version })).status).toBe(204);
      const gone = await create(client, id);
      expect(gone.status).toBe(410);
      expect(gone.body.detail.error_code).toBe('chat_deleted');
      expect((await client.get(`/api/v1/chats/${id}`)).status).toBe(404);
      expect(await count(client)).toBe(1);
      expect((await create(client, id, { title: 'Different title' })).status).toBe(409);
    });

    test('test_restored_chat_replays_again', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const created = await create(client, id);
      expect((await client.delete(`/api/v1/chats/${id}`, { expected_version: created.body.version })).status).toBe(204);
      const trashed = (await client.get('/api/v1/chats/', { deleted_only: true })).body.chats[0];
      expect((await client.post(`/api/v1/chats/${id}/restore`, undefined, { expected_version: trashed.version })).status).toBe(200);
      expect((await create(client, id)).status).toBe(200);
      expect(await count(client)).toBe(1);
    });

    test('test_permanently_deleted_chat_frees_its_id', async () => {
      const client = await clientFor();
      const id = randomUUID();
      const created = await create(client, id);
      expect((await client.delete(`/api/v1/chats/${id}`, { expected_version: created.body.version })).status).toBe(204);
      expect((await client.delete(`/api/v1/chats/${id}`, { hard_delete: true })).status).toBe(204);
      const again = await create(client, id);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(id);
      expect(await count(client)).toBe(1);
    });
  });

  describe('issue 18: what the original has and we lacked', () => {
    test('message pinning is an event, shown in both APIs (metadata_extra.pinned / metadata.pinned)', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['Remember the password is swordfish']);
      const [message] = await listMessages(client, chatId);
      const pinned = await client.put(`/api/v1/messages/${message!.id}`, { pinned: true }, { expected_version: message!.version });
      expect(pinned.status).toBe(200);
      expect(pinned.body.metadata_extra).toEqual({ pinned: true });
      expect(pinned.body.version).toBe(message!.version + 1);
      const native = await client.get(`/api/v1/character_messages/messages/${message!.id}`);
      expect(native.body.metadata).toEqual({ pinned: true });
      const listed = await client.get(`/api/v1/chats/${chatId}/messages`, { include_metadata: true });
      expect(listed.body.messages[0].metadata_extra).toEqual({ pinned: true });
      const stale = await client.put(`/api/v1/messages/${message!.id}`, { pinned: false }, { expected_version: message!.version });
      expect(stale.status).toBe(409);
      expect(stale.body.detail).toBe(`Version mismatch. Expected ${message!.version}, found ${message!.version + 1}`);
      const unpinned = await client.put(`/api/v1/messages/${message!.id}`, { pinned: false }, { expected_version: message!.version + 1 });
      expect(unpinned.body.metadata_extra).toEqual({ pinned: false });
      const events = await svc.runtime.eventStore.readStream(`chat-${chatId}`);
      expect(events.filter((e) => e.type === 'MessagePinned').length).toBe(2);
    });

    test('seed_first_message: false (the default) starts a chat with no message, true with the greeting', async () => {
      const client = await clientFor();
      const c = await character(client, { first_message: 'Greetings, {{user}}.' });
      const bare = await client.post('/api/v1/chats/', { character_id: c.id });
      expect([bare.status, bare.body.message_count, bare.headers.get('x-chat-seed-status')]).toEqual([201, 0, null]);
      const seeded = await client.post('/api/v1/chats/', { character_id: c.id }, { seed_first_message: true });
      expect([seeded.body.message_count, seeded.headers.get('x-chat-seed-status')]).toEqual([1, 'ok']);
      const plain = await client.post('/api/v1/chats/', { title: 'no card' }, { seed_first_message: true });
      expect(plain.headers.get('x-chat-seed-status')).toBe('no_greeting');
      const context = await client.get(`/api/v1/chats/${seeded.body.id}/context`);
      expect(context.body).toEqual({ character_name: c.name, messages: [{ role: 'assistant', content: 'Greetings, User.' }] });
    });

    test("ownership before validation: another user's chat with odd parameters is 403, never 422", async () => {
      const owner = await clientFor();
      const other = await clientFor();
      const chatId = await chatWithMessages(owner, ['mine']);
      const [message] = await listMessages(owner, chatId);
      expect((await other.get(`/api/v1/chats/${chatId}/messages`, { limit: 'lots', render_placeholders: 'maybe' })).status).toBe(403);
      expect((await other.put(`/api/v1/chats/${chatId}`, { rating: 99 }, {})).status).toBe(403);
      expect((await other.put(`/api/v1/messages/${message!.id}`, {}, {})).status).toBe(403);
      expect((await other.get(`/api/v1/chats/not-a-chat-id/messages`, { limit: 'lots' })).status).toBe(404);
      const missing = await owner.get(`/api/v1/chats/${randomUUID()}`);
      expect(missing.body.detail).toMatch(/^Chat session .* not found$/);
    });

    test('unknown query parameters are ignored on GETs of both APIs; a known one with a bad value is refused', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['hello']);
      expect((await client.get(`/api/v1/chats/${chatId}/messages`, { scope_type: 'global', zzz: 1 })).status).toBe(200);
      expect((await client.get(`/api/v1/character_chats/${chatId}`, { include_settings: true, zzz: 1 })).status).toBe(200);
      expect((await client.get(`/api/v1/character_messages/chats/${chatId}/messages`, { include_images: 'true' })).status).toBe(200);
      const bad = await client.get(`/api/v1/character_messages/chats/${chatId}/messages`, { limit: 'lots' });
      expect([bad.status, bad.body.code]).toEqual([400, 'validation_error']);
    });

    test('settings resource: authorNote maps onto the chat, reserved keys are 422, a null removes a key', async () => {
      const client = await clientFor();
      const chatId = await chatWithMessages(client, ['hi']);
      const put = await client.put(`/api/v1/chats/${chatId}/settings`, { settings: { authorNote: 'It is raining.', mood: 'calm' } });
      expect(put.body.settings).toEqual({ authorNote: 'It is raining.', mood: 'calm' });
      const native = await client.get(`/api/v1/character_chats/${chatId}`);
      expect(native.body.settings).toMatchObject({ author_note: 'It is raining.', extensions: { mood: 'calm' } });
      const removed = await client.put(`/api/v1/chats/${chatId}/settings`, { settings: { mood: null } });
      expect(removed.body.settings).toEqual({ authorNote: 'It is raining.' });
      expect((await client.put(`/api/v1/chats/${chatId}/settings`, { settings: { roleplayResumeV1: {} } })).status).toBe(422);
      const session = await client.get(`/api/v1/chats/${chatId}`, { include_settings: true });
      expect(session.body.settings).toEqual({ authorNote: 'It is raining.' });
    });
  });

  test('the read models after all of the above (pins, settings, erasures, client ids) equal a fresh rebuild from the log, but for aggregates', async () => {
    const { differences, events } = await compareWithFreshRebuild(svc.databaseUrl, svc.api.deps.readSchema);
    expect(events).toBeGreaterThan(0);
    // Erased chats: aggregates that counted them without naming them (a character's last_used_at, daily usage
    // totals) keep their contribution until those projections are rebuilt; every other table is equal.
    const { characters: _characters, usage_daily: _usageDaily, ...others } = differences;
    expect(others).toEqual({});
  }, 120_000);
});
