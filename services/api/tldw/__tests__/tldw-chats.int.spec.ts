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
});
