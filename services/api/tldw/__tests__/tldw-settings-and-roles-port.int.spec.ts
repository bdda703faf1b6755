/**
 * Ports of the original's `Character_Chat_NEW/integration/test_role_normalization_and_search.py` (chat settings,
 * roles in completion payloads, placeholders in search, image validation) and of the single-chat tests of
 * `Character_Chat/test_export_includes_tools_and_metadata.py`, against the original's literal paths. Where the
 * original monkeypatches its provider call to capture the payload, a local OpenAI-compatible server stands in and
 * records what it was sent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { buildPng } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import type { TestService } from '../../../../test/harness.ts';
import { startServiceWithStandInProvider } from '../../../../test/stand-in-provider-service.ts';

let svc: TestService;
let upstream: FakeLlmServer;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ svc, upstream, close } = await startServiceWithStandInProvider());
}, 120_000);
afterAll(async () => {
  await close?.();
});

const ROLES = 'Character_Chat_NEW/integration/test_role_normalization_and_search.py';
const EXPORT = 'Character_Chat/test_export_includes_tools_and_metadata.py';
const post = (path: string, body?: unknown) => svc.request('POST', path, body === undefined ? {} : { body });
const put = (path: string, body: unknown) => svc.request('PUT', path, { body });
const get = (path: string) => svc.request('GET', path);
/** The original's complete-v2 on a chat, through the stand-in provider, not saved (the ports' common request). */
const completeV2 = (chatId: string, fields: Record<string, unknown>) =>
  post(`/api/v1/chats/${chatId}/complete-v2`, { provider: 'openai', model: 'gpt-x', save_to_db: false, ...fields });
const now = () => new Date().toISOString();

type Turn = { role: string; content: string };
/** What the stand-in provider was sent last (the original's captured `messages_payload`). */
const sentMessages = () => (upstream.requests.at(-1)!.body as { messages: Turn[] }).messages;

/** The original picks `GET /characters/` `[0]` of a fresh database; each test here makes its own character. */
async function characterAndChat(
  fields: Record<string, unknown> = {},
): Promise<{ character: { id: string; name: string; version: number }; chatId: string }> {
  const created = await post('/api/v1/characters/', { name: `Roles ${Date.now()} ${Math.random()}`, first_message: 'Hello!', ...fields });
  expect(created.status).toBe(201);
  const chat = await post('/api/v1/chats/', { character_id: created.body.id });
  expect(chat.status).toBe(201);
  return { character: created.body, chatId: chat.body.id };
}

describe(ROLES, () => {
  test(`${ROLES}::test_get_chat_context_and_prepare_roles_normalized`, async () => {
    const { chatId } = await characterAndChat();
    for (const [role, content] of [
      ['user', 'hello'],
      ['assistant', 'hi there'],
      ['system', 'note'],
    ])
      expect((await post(`/api/v1/chats/${chatId}/messages`, { role, content })).status).toBe(201);
    const context = await get(`/api/v1/chats/${chatId}/context`);
    expect(context.status).toBe(200);
    for (const m of context.body.messages) expect(['user', 'assistant', 'system']).toContain(m.role);
    const prepared = await post(`/api/v1/chats/${chatId}/completions`, { include_character_context: true, limit: 10, offset: 0 });
    expect(prepared.status).toBe(200);
    const roles = prepared.body.messages.map((m: Turn) => m.role);
    expect(roles[0]).toBe('system');
    for (const role of roles.slice(1)) expect(['user', 'assistant', 'system', 'tool']).toContain(role);
  });

  test(`${ROLES}::test_complete_v2_uses_normalized_roles_via_stubbed_provider`, async () => {
    const { chatId } = await characterAndChat();
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'hello' });
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'assistant', content: 'hi' });
    upstream.reply({ text: 'ok' });
    const r = await completeV2(chatId, { append_user_message: 'test' });
    expect(r.status).toBe(200);
    for (const m of sentMessages()) expect(['system', 'user', 'assistant', 'tool']).toContain(m.role);
  });

  test(`${ROLES}::test_get_messages_format_for_completions_roles_and_search_placeholders`, async () => {
    const { chatId } = await characterAndChat();
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'Hi' });
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'assistant', content: 'Hello {{user}}' });
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'system', content: 'sys note' });
    const r = await get(`/api/v1/chats/${chatId}/messages?format_for_completions=true&include_character_context=true`);
    expect(r.status).toBe(200);
    expect(r.body.pagination).toEqual({ mode: 'offset', limit: 50, offset: 0, total: 3, has_more: false, next_offset: null });
    expect(r.body.has_more).toBe(false);
    expect(r.body.next_offset).toBeNull();
    const roles = r.body.messages.map((m: Turn) => m.role);
    expect(roles).toContain('system');
    for (const role of roles) expect(['user', 'assistant', 'system', 'tool']).toContain(role);
    const found = await get(`/api/v1/chats/${chatId}/messages/search?query=Hello&limit=10`);
    expect(found.status).toBe(200);
    expect(found.body.messages.some((m: Turn) => m.content === 'Hello User')).toBe(true);
  });

  test(`${ROLES}::test_complete_v2_injects_author_note_from_chat_settings`, async () => {
    const { character, chatId } = await characterAndChat();
    const settings = {
      schemaVersion: 2,
      updatedAt: now(),
      authorNote: 'Keep responses concise for {{user}} while staying in character as {{char}}.',
      memoryScope: 'shared',
    };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    upstream.reply({ text: 'ok' });
    const r = await completeV2(chatId, { append_user_message: 'test' });
    expect(r.status).toBe(200);
    const first = sentMessages()[0]!;
    expect(first.role).toBe('system');
    expect(first.content.startsWith("Author's note:")).toBe(true);
    expect(first.content).toContain('User');
    expect(first.content).toContain(character.name);
  });

  test(`${ROLES}::test_chat_settings_roundtrip_persists_author_note_and_position`, async () => {
    const { chatId } = await characterAndChat();
    const note = 'Persist this author note for server-backed chat settings.';
    const position = { mode: 'depth', depth: 2 };
    const settings = { schemaVersion: 2, updatedAt: now(), authorNote: note, authorNotePosition: position };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    const r = await get(`/api/v1/chats/${chatId}/settings`);
    expect(r.status).toBe(200);
    expect(r.body.settings.authorNote).toBe(note);
    expect(r.body.settings.authorNotePosition).toEqual(position);
  });

  test(`${ROLES}::test_chat_settings_roundtrip_persists_group_scope_fields`, async () => {
    const { chatId } = await characterAndChat();
    const settings = { schemaVersion: 2, updatedAt: now(), greetingScope: 'character', presetScope: 'chat', memoryScope: 'both' };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    const r = await get(`/api/v1/chats/${chatId}/settings`);
    expect(r.status).toBe(200);
    expect(r.body.settings).toMatchObject({ greetingScope: 'character', presetScope: 'chat', memoryScope: 'both' });
  });

  test(`${ROLES}::test_chat_session_include_settings_for_detail_and_list`, async () => {
    const { chatId } = await characterAndChat();
    const settings = { schemaVersion: 2, updatedAt: now(), greetingEnabled: true, authorNote: 'include-settings-test' };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    const detail = await get(`/api/v1/chats/${chatId}?include_settings=true`);
    expect(detail.status).toBe(200);
    expect(detail.body.settings).toMatchObject({ greetingEnabled: true, authorNote: 'include-settings-test' });
    const listed = await get('/api/v1/chats/?include_settings=true');
    expect(listed.status).toBe(200);
    const target = listed.body.chats.find((c: { id: string }) => c.id === chatId);
    expect(target.settings).toMatchObject({ greetingEnabled: true, authorNote: 'include-settings-test' });
  });

  test(`${ROLES}::test_chat_settings_server_wins_when_updated_at_equal`, async () => {
    const { chatId } = await characterAndChat();
    const at = '2026-02-06T00:00:00Z';
    const server = { schemaVersion: 2, updatedAt: at, authorNote: 'server-value', memoryScope: 'shared' };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings: server })).status).toBe(200);
    const stale = { schemaVersion: 2, updatedAt: at, authorNote: 'client-value-should-not-win', memoryScope: 'both' };
    const r = await put(`/api/v1/chats/${chatId}/settings`, { settings: stale });
    expect(r.status).toBe(200);
    expect(r.body.settings).toMatchObject({ authorNote: 'server-value', memoryScope: 'shared' });
  });

  test(`${ROLES}::test_chat_settings_untimestamped_update_applies`, async () => {
    const { chatId } = await characterAndChat();
    const baseline = '2026-02-06T00:00:00Z';
    const first = { schemaVersion: 2, updatedAt: baseline, authorNote: 'server-value', memoryScope: 'shared' };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings: first })).status).toBe(200);
    const r = await put(`/api/v1/chats/${chatId}/settings`, { settings: { authorNote: 'client-value-without-updated-at' } });
    expect(r.status).toBe(200);
    expect(r.body.settings).toMatchObject({ authorNote: 'client-value-without-updated-at', memoryScope: 'shared' });
    expect(r.body.settings.updatedAt).not.toBe(baseline);
    expect(Number.isNaN(Date.parse(r.body.settings.updatedAt))).toBe(false);
    expect((await get(`/api/v1/chats/${chatId}/settings`)).body.settings.authorNote).toBe('client-value-without-updated-at');
  });

  test(`${ROLES}::test_chat_settings_update_increments_conversation_version_once`, async () => {
    const { chatId } = await characterAndChat();
    const before = (await get(`/api/v1/chats/${chatId}`)).body.version;
    const first = { schemaVersion: 2, updatedAt: '2026-02-06T00:00:00Z', authorNote: 'version-bump-check' };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings: first })).status).toBe(200);
    const afterFirst = (await get(`/api/v1/chats/${chatId}`)).body.version;
    expect(afterFirst).toBe(before + 1);
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings: { authorNote: 'version-bump-check-2' } })).status).toBe(200);
    expect((await get(`/api/v1/chats/${chatId}`)).body.version).toBe(afterFirst + 1);
  });

  test(`${ROLES}::test_character_create_rejects_decodable_non_image_base64`, async () => {
    const r = await post('/api/v1/characters/', {
      name: `Create Invalid Image ${Date.now()}`,
      image_base64: Buffer.from('not-real-image-binary').toString('base64'),
    });
    expect(r.status).toBe(400);
    expect(String(r.body.detail).toLowerCase()).toContain('not a valid image');
  });

  test(`${ROLES}::test_character_update_rejects_decodable_non_image_base64`, async () => {
    const created = await post('/api/v1/characters/', { name: `Update Invalid Image Base ${Date.now()}` });
    expect(created.status).toBe(201);
    const { id, version } = created.body;
    const r = await put(`/api/v1/characters/${id}?expected_version=${version}`, {
      image_base64: Buffer.from('not-real-image-binary').toString('base64'),
    });
    expect(r.status).toBe(400);
    expect(String(r.body.detail).toLowerCase()).toContain('not a valid image');
    expect((await get(`/api/v1/characters/${id}`)).body.version).toBe(version);
  });

  test(`${ROLES}::test_character_update_accepts_valid_image_base64`, async () => {
    const created = await post('/api/v1/characters/', { name: `Update Valid Image Base ${Date.now()}` });
    const { id, version } = created.body;
    const png = Buffer.from(buildPng());
    const r = await put(`/api/v1/characters/${id}?expected_version=${version}`, { image_base64: png.toString('base64') });
    expect(r.status).toBe(200);
    expect(r.body.image_present).toBe(true);
    expect(r.body.version).toBe(version + 1);
    // Beyond the original: the image stored is the one sent.
    const got = await get(`/api/v1/characters/${id}?include_image_base64=true`);
    expect(Buffer.from(got.body.image_base64, 'base64').equals(png)).toBe(true);
  });

  test(`${ROLES}::test_chat_settings_character_memory_merge_prefers_newer_entry`, async () => {
    const { character, chatId } = await characterAndChat();
    const secondary = (await post('/api/v1/characters/', { name: `Memory Merge Secondary ${Date.now()}` })).body.id;
    const at = '2026-02-06T00:00:00Z';
    const first = {
      schemaVersion: 2,
      updatedAt: at,
      characterMemoryById: {
        [character.id]: { note: 'primary-server-note', updatedAt: at },
        [secondary]: { note: 'secondary-server-note', updatedAt: at },
      },
    };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings: first })).status).toBe(200);
    const second = {
      schemaVersion: 2,
      updatedAt: at,
      characterMemoryById: {
        [character.id]: { note: 'primary-client-older-note', updatedAt: '2026-02-05T23:59:59Z' },
        [secondary]: { note: 'secondary-client-newer-note', updatedAt: '2026-02-06T00:00:01Z' },
      },
    };
    const r = await put(`/api/v1/chats/${chatId}/settings`, { settings: second });
    expect(r.status).toBe(200);
    expect(r.body.settings.characterMemoryById[character.id].note).toBe('primary-server-note');
    expect(r.body.settings.characterMemoryById[secondary].note).toBe('secondary-client-newer-note');
  });

  test(`${ROLES}::test_chat_settings_invalid_scope_rejected`, async () => {
    const { chatId } = await characterAndChat();
    const r = await put(`/api/v1/chats/${chatId}/settings`, {
      settings: { schemaVersion: 2, updatedAt: now(), greetingScope: 'not-a-valid-scope' },
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('greetingScope');
  });

  test(`${ROLES}::test_edit_message_pinned_updates_message_metadata`, async () => {
    const created = await post('/api/v1/characters/', { name: `Pin ${Date.now()}`, first_message: 'Hello!' });
    const chat = await post('/api/v1/chats/', { character_id: created.body.id, seed_first_message: false });
    expect(chat.status).toBe(201);
    const sent = await post(`/api/v1/chats/${chat.body.id}/messages`, { role: 'user', content: 'pin-me' });
    expect(sent.status).toBe(201);
    const pinned = await put(`/api/v1/messages/${sent.body.id}?expected_version=${sent.body.version}`, { pinned: true });
    expect(pinned.status).toBe(200);
    const r = await get(`/api/v1/messages/${sent.body.id}?include_metadata=true`);
    expect(r.status).toBe(200);
    expect(r.body.metadata_extra.pinned).toBe(true);
  });

  test(`${ROLES}::test_prepare_completions_includes_author_note_from_settings`, async () => {
    const { chatId } = await characterAndChat();
    const settings = { schemaVersion: 2, updatedAt: now(), authorNote: 'prep-note-should-appear' };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    const r = await post(`/api/v1/chats/${chatId}/completions`, { include_character_context: false });
    expect(r.status).toBe(200);
    expect(r.body.messages[0].role).toBe('system');
    expect(r.body.messages[0].content.startsWith("Author's note:")).toBe(true);
    expect(r.body.messages[0].content).toContain('prep-note-should-appear');
  });

  test(`${ROLES}::test_complete_v2_inserts_author_note_at_depth_position`, async () => {
    const created = await post('/api/v1/characters/', { name: `Depth ${Date.now()}`, first_message: 'Hello!' });
    const chatId = (await post('/api/v1/chats/', { character_id: created.body.id, seed_first_message: false })).body.id;
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'first-user' });
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'assistant', content: 'first-assistant' });
    const settings = { schemaVersion: 2, updatedAt: now(), authorNote: 'depth-note', authorNotePosition: { mode: 'depth', depth: 1 } };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    upstream.reply({ text: 'ok' });
    const r = await completeV2(chatId, {
      include_character_context: false,
      append_user_message: 'latest-user',
    });
    expect(r.status).toBe(200);
    const sent = sentMessages();
    expect(sent.length).toBeGreaterThanOrEqual(4);
    const noteIndex = sent.findIndex((m) => m.role === 'system' && m.content.startsWith("Author's note:"));
    expect(noteIndex).toBe(1);
    expect(sent[0]!.role).toBe('user');
    expect(sent[2]!.role).toBe('assistant');
  });

  test(`${ROLES}::test_complete_v2_applies_chat_generation_override`, async () => {
    const { chatId } = await characterAndChat();
    const override = { enabled: true, temperature: 1.2, top_p: 0.8, repetition_penalty: 1.1, stop: ['<END>'] };
    const settings = { schemaVersion: 2, updatedAt: now(), chatGenerationOverride: override };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    upstream.reply({ text: 'ok' });
    const r = await completeV2(chatId, { append_user_message: 'turn-1' });
    expect(r.status).toBe(200);
    const sent = upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.temperature).toBeCloseTo(1.2);
    expect(sent.top_p).toBeCloseTo(0.8);
    expect(sent.stop).toEqual(['<END>']);
  });

  test(`${ROLES}::test_complete_v2_applies_character_generation_defaults_when_request_omits_fields`, async () => {
    const { character, chatId } = await characterAndChat();
    const generation = { temperature: 0.61, top_p: 0.83, repetition_penalty: 1.07, stop: ['###', 'END'] };
    const updated = await put(`/api/v1/characters/${character.id}?expected_version=${character.version}`, {
      extensions: { tldw: { generation } },
    });
    expect(updated.status).toBe(200);
    upstream.reply({ text: 'ok' });
    const r = await completeV2(chatId, { append_user_message: 'test' });
    expect(r.status).toBe(200);
    const sent = upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.temperature).toBeCloseTo(0.61);
    expect(sent.top_p).toBeCloseTo(0.83);
    expect(sent.stop).toEqual(['###', 'END']);
  });

  test(`${ROLES}::test_complete_v2_request_generation_fields_override_character_defaults`, async () => {
    const { character, chatId } = await characterAndChat();
    const generation = { temperature: 0.2, top_p: 0.3, repetition_penalty: 1.01, stop: ['DEFAULT_STOP'] };
    await put(`/api/v1/characters/${character.id}?expected_version=${character.version}`, { extensions: { tldw: { generation } } });
    upstream.reply({ text: 'ok' });
    const r = await completeV2(chatId, {
      append_user_message: 'test',
      temperature: 0.91,
      top_p: 0.44,
      repetition_penalty: 1.4,
      stop: ['OVERRIDE_STOP'],
    });
    expect(r.status).toBe(200);
    const sent = upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.temperature).toBeCloseTo(0.91);
    expect(sent.top_p).toBeCloseTo(0.44);
    expect(sent.stop).toEqual(['OVERRIDE_STOP']);
  });
});

describe(EXPORT, () => {
  test(`${EXPORT}::test_chat_export_includes_tool_calls_and_metadata`, async () => {
    const { chatId } = await characterAndChat();
    expect((await post(`/api/v1/chats/${chatId}/messages`, { role: 'assistant', content: 'Response with tools' })).status).toBe(201);
    const listed = (await get(`/api/v1/chats/${chatId}/messages`)).body.messages;
    const assistant = listed.find(
      (m: { sender: string; content: string }) => m.sender === 'assistant' && m.content === 'Response with tools',
    );
    expect(assistant).toBeDefined();
    const toolCalls = [{ id: 'call_456', type: 'function', function: { name: 'lookup', arguments: '{"id": 42}' } }];
    const edited = await put(`/api/v1/messages/${assistant.id}?expected_version=${assistant.version}`, {
      content: `${assistant.content.trimEnd()}\n\n[tool_calls]: ${JSON.stringify(toolCalls)}`,
    });
    expect(edited.status).toBe(200);
    const r = await get(`/api/v1/chats/${chatId}/export?format=json&include_metadata=true`);
    expect(r.status).toBe(200);
    const exported = r.body.messages.find((m: { id: string }) => m.id === assistant.id);
    expect(exported).toBeDefined();
    expect(exported.tool_calls.some((tc: { id: string }) => tc.id === 'call_456')).toBe(true);
    expect(r.body.pagination.mode).toBe('page');
    expect(r.body.pagination.per_page).toBe(1000);
    expect(r.body.pagination.total).toBe(r.body.pagination.total_messages);
  });
});

const CLIENT_ID = 'Character_Chat_NEW/integration/test_chat_session_client_id_create.py';

describe(CLIENT_ID, () => {
  test(`${CLIENT_ID}::test_concurrent_duplicate_creates_produce_one_chat`, async () => {
    const id = randomUUID();
    const body = { id, title: 'Planning notes', state: 'in-progress', source: 'webui-chat' };
    const results = await Promise.all(Array.from({ length: 6 }, () => post('/api/v1/chats/', body)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id))).toEqual(new Set([id]));
    const listed = await get('/api/v1/chats/?limit=200');
    expect(listed.body.chats.filter((c: { id: string }) => c.id === id)).toHaveLength(1);
  });
});
