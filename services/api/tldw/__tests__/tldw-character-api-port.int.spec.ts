/**
 * The rest of `Character_Chat_NEW/integration/test_character_api.py` (chat sessions, messages, completion context,
 * export, errors), run against the original's literal paths with the original's requests. The character and
 * world-book classes of the same file are in tldw-characters-port.int.spec.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
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

const FILE = 'Character_Chat_NEW/integration/test_character_api.py';
const post = (path: string, body?: unknown) => svc.request('POST', path, body === undefined ? {} : { body });
const card = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: 'Test',
  personality: 'Test',
  first_message: 'Hi!',
  ...extra,
});

/** The original's setup: a character over `POST /characters/`, then a chat with it over `POST /chats/`. */
async function characterAndChat(name: string, title = 'Test'): Promise<{ charId: string; chatId: string }> {
  const charId = (await post('/api/v1/characters/', card(`${name} ${Date.now()}`))).body.id;
  const chat = await post('/api/v1/chats/', { character_id: charId, title });
  expect(chat.status).toBe(201);
  return { charId, chatId: chat.body.id };
}

describe(FILE, () => {
  test(`${FILE}::TestChatSessionEndpoints::test_create_chat_endpoint`, async () => {
    const charId = (await post('/api/v1/characters/', card('Chat Character', { description: 'For chat testing' }))).body.id;
    const res = await post('/api/v1/chats/', { character_id: charId, title: 'Test Chat' });
    expect(res.status).toBe(201);
    expect(typeof res.body.id).toBe('string');
  });

  test(`${FILE}::TestChatSessionEndpoints::test_get_chat_endpoint`, async () => {
    const { charId, chatId } = await characterAndChat('Test Character', 'Test Chat');
    const res = await svc.request('GET', `/api/v1/chats/${chatId}`);
    expect(res.status).toBe(200);
    expect(res.body.title).toBe('Test Chat');
    expect(res.body.character_id).toBe(charId);
  });

  test(`${FILE}::TestChatSessionEndpoints::test_list_user_chats_endpoint`, async () => {
    const charId = (await post('/api/v1/characters/', card('List Test'))).body.id;
    for (let i = 0; i < 3; i++) await post('/api/v1/chats/', { character_id: charId, title: `Chat ${i}` });
    const res = await svc.request('GET', '/api/v1/chats/');
    expect(res.status).toBe(200);
    expect(res.body.chats.length).toBeGreaterThanOrEqual(3);
  });

  test(`${FILE}::TestChatSessionEndpoints::test_delete_chat_endpoint`, async () => {
    const { chatId } = await characterAndChat('Delete Test', 'To Delete');
    const res = await svc.request('DELETE', `/api/v1/chats/${chatId}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
  });

  test(`${FILE}::TestChatSessionEndpoints::test_restore_chat_from_trash_restores_its_messages`, async () => {
    const { chatId } = await characterAndChat('Restore Test', 'To Restore');
    for (const [index, role] of ['user', 'assistant', 'user'].entries()) {
      expect((await post(`/api/v1/chats/${chatId}/messages`, { role, content: `Restore message ${index}` })).status).toBe(201);
    }
    const before = await svc.request('GET', `/api/v1/chats/${chatId}/messages`);
    const idsBefore = before.body.messages.map((m: { id: string }) => m.id);
    expect(idsBefore.length).toBeGreaterThanOrEqual(3);
    expect((await svc.request('DELETE', `/api/v1/chats/${chatId}`)).status).toBe(204);
    expect((await post(`/api/v1/chats/${chatId}/restore`)).status).toBe(200);
    const after = await svc.request('GET', `/api/v1/chats/${chatId}/messages`);
    expect(after.body.messages.map((m: { id: string }) => m.id)).toEqual(idsBefore);
  });

  test(`${FILE}::TestMessageEndpoints::test_send_message_endpoint`, async () => {
    const { chatId } = await characterAndChat('Message Test', 'Message Chat');
    const res = await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'Hello, how are you?' });
    expect(res.status).toBe(201);
    expect(typeof res.body.id).toBe('string');
  });

  test(`${FILE}::TestMessageEndpoints::test_get_messages_endpoint`, async () => {
    const { chatId } = await characterAndChat('Get Messages Test');
    for (let i = 0; i < 3; i++)
      await post(`/api/v1/chats/${chatId}/messages`, { role: i % 2 === 0 ? 'user' : 'assistant', content: `Message ${i}` });
    const res = await svc.request('GET', `/api/v1/chats/${chatId}/messages`);
    expect(res.status).toBe(200);
    expect(res.body.messages.length).toBeGreaterThanOrEqual(3);
  });

  test(`${FILE}::TestMessageEndpoints::test_edit_message_endpoint`, async () => {
    const { chatId } = await characterAndChat('Edit Test');
    const msgId = (await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'Original' })).body.id;
    const res = await svc.request('PUT', `/api/v1/messages/${msgId}?expected_version=1`, { body: { content: 'Edited content' } });
    expect(res.status).toBe(200);
    expect(typeof res.body.id).toBe('string');
    expect(res.body.content).toBe('Edited content');
  });

  test(`${FILE}::TestMessageEndpoints::test_delete_message_endpoint`, async () => {
    const { chatId } = await characterAndChat('Delete Msg Test');
    const msgId = (await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'To delete' })).body.id;
    const res = await svc.request('DELETE', `/api/v1/messages/${msgId}?expected_version=1`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
  });

  test(`${FILE}::TestCharacterChatCompletion::test_character_chat_completion`, async () => {
    const charId = (
      await post('/api/v1/characters/', {
        name: `Assistant ${Date.now()}`,
        description: 'Helpful AI',
        personality: 'You are a helpful and friendly assistant.',
        first_message: 'Hello! How can I help you today?',
      })
    ).body.id;
    const chatId = (await post('/api/v1/chats/', { character_id: charId, title: 'Completion Test' })).body.id;
    const context = await svc.request('GET', `/api/v1/chats/${chatId}/context`);
    expect(context.status).toBe(200);
    expect(typeof context.body.character_name).toBe('string');
    expect(context.body.messages.length).toBeGreaterThan(0);
    // The original then sends the context to the main chat completions endpoint and asserts nothing about it.
    upstream.reply({ text: '4' });
    const completion = await post('/api/v1/chat/completions', {
      model: 'gpt-3.5-turbo',
      messages: [...context.body.messages, { role: 'user', content: 'What is 2 + 2?' }],
      max_tokens: 100,
    });
    expect(completion.status).toBeLessThan(500);
  });

  test(`${FILE}::TestImportExportEndpoints::test_export_chat_history_endpoint`, async () => {
    const { chatId } = await characterAndChat('History Export', 'Export Chat');
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'Hello' });
    await post(`/api/v1/chats/${chatId}/messages`, { role: 'assistant', content: 'Hi there!' });
    const res = await svc.request('GET', `/api/v1/chats/${chatId}/export`);
    expect(res.status).toBe(200);
    expect(res.body.messages.length).toBeGreaterThanOrEqual(2);
  });

  // Diverges: the original's ids are integers; `99999` is not a UUID, and `GET /characters/{id}` (our route too)
  // answers a malformed id with 400, not the original's 404.
  // `/characters/{id}` is our path too, where a malformed id stays a 400: the original's answer needs `X-API-Compat: tldw`.
  test(`${FILE}::TestErrorHandling::test_character_not_found`, async () => {
    const res = await svc.request('GET', '/api/v1/characters/99999', { headers: { 'X-API-Compat': 'tldw' } });
    expect(res.status).toBe(404);
    expect('detail' in res.body).toBe(true);
  });

  test(`${FILE}::TestErrorHandling::test_invalid_character_data`, async () => {
    const res = await post('/api/v1/characters/', { name: '', description: 'Test' });
    expect(res.status).toBe(422);
    expect('detail' in res.body).toBe(true);
  });
});

const WB_NEG = 'Character_Chat/test_world_book_negatives_and_new_endpoint.py';
const STREAM = 'Character_Chat/test_complete_v2_streaming_with_mock_openai.py';

describe(WB_NEG, () => {
  // The original's `local-llm` answers offline with an echo; here the name reaches the stand-in OpenAI-like server.
  test(`${WB_NEG}::test_complete_v2_operational_and_persists`, async () => {
    const { chatId } = await characterAndChat('Operational');
    upstream.reply({ text: 'Hello there, traveller.' });
    const r = await post(`/api/v1/chats/${chatId}/complete-v2`, {
      append_user_message: 'Hello there',
      save_to_db: true,
      provider: 'local-llm',
      model: 'local-test',
    });
    expect(r.status).toBe(200);
    expect(r.body.saved).toBe(true);
    expect(r.body.assistant_content).toBeTruthy();
    const messages = (await svc.request('GET', `/api/v1/chats/${chatId}/messages`)).body.messages as Array<{
      sender: string;
      content: string;
    }>;
    expect(messages.some((m) => m.sender === 'user' && m.content === 'Hello there')).toBe(true);
    expect(messages.some((m) => m.sender !== 'user' && m.content === r.body.assistant_content)).toBe(true);
  });
});

describe(STREAM, () => {
  // The original runs this against a live mock OpenAI server when MOCK_OPENAI_BASE_URL is set; ours always is.
  test(`${STREAM}::test_complete_v2_streaming_with_mock_openai`, async () => {
    const { chatId } = await characterAndChat('Streamer');
    upstream.reply({ text: 'Streaming from the mock.' });
    const res = await fetch(`${svc.url}/api/v1/chats/${chatId}/complete-v2`, {
      method: 'POST',
      headers: { 'X-API-KEY': TEST_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'openai',
        model: 'gpt-4o-mini',
        append_user_message: 'hello mock',
        save_to_db: false,
        stream: true,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')?.toLowerCase().startsWith('text/event-stream')).toBe(true);
    const data = (await res.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length));
    expect(data.length).toBeGreaterThan(0);
    expect(data.at(-1)!.trim()).toBe('[DONE]');
    let content = '';
    for (const payload of data.slice(0, -1)) {
      const chunk = JSON.parse(payload) as { choices?: Array<{ delta?: { content?: string } }> };
      for (const choice of chunk.choices ?? []) content += choice.delta?.content ?? '';
    }
    expect(content).toBeTruthy();
  });
});

const PERSIST = 'Character_Chat_NEW/integration/test_character_chat_stream_and_persist.py';

describe(PERSIST, () => {
  const persist = (chatId: string, body?: unknown) => post(`/api/v1/chats/${chatId}/completions/persist`, body);

  // The stream is ours: the stand-in provider answers with the prompt, as the original's offline echo does.
  test(`${PERSIST}::test_offline_streaming_and_persist_flow`, async () => {
    const charId = (await post('/api/v1/characters/', card('StreamChar', { description: 'Streaming test', personality: 'Calm' }))).body.id;
    const chatId = (await post('/api/v1/chats/', { character_id: charId, title: 'Streaming Chat' })).body.id;
    const prompt = 'This is a streamed test';
    upstream.reply({ text: prompt });
    const res = await fetch(`${svc.url}/api/v1/chats/${chatId}/complete-v2`, {
      method: 'POST',
      headers: { 'X-API-KEY': TEST_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'local-llm',
        model: 'local-test',
        append_user_message: prompt,
        stream: true,
        include_character_context: false,
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('data: ');
    expect(text.toLowerCase()).toContain('data: [done]');
    const saved = await persist(chatId, { assistant_content: prompt, user_message_id: null });
    expect(saved.status).toBe(200);
    expect(saved.body.saved).toBe(true);
    expect(saved.body.assistant_message_id).toBeTruthy();
    const messages = (await svc.request('GET', `/api/v1/chats/${chatId}/messages`)).body.messages as Array<{
      sender: string;
      content: string;
    }>;
    expect(messages.some((m) => m.content === prompt && m.sender === 'StreamChar')).toBe(true);
  });

  test(`${PERSIST}::test_persist_streamed_message_rejects_non_object_usage`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    expect((await persist(chatId, { assistant_content: 'invalid usage payload', usage: ['not', 'an', 'object'] })).status).toBe(422);
  });

  test(`${PERSIST}::test_persist_streamed_message_allows_duplicate_content_without_idempotency_key`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    const first = await persist(chatId, { assistant_content: 'same visible reply', user_message_id: null });
    const second = await persist(chatId, { assistant_content: 'same visible reply', user_message_id: null });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.assistant_message_id).not.toBe(second.body.assistant_message_id);
    const messages = (await svc.request('GET', `/api/v1/chats/${chatId}/messages`)).body.messages as Array<{ content: string }>;
    expect(messages.filter((m) => m.content === 'same visible reply')).toHaveLength(2);
  });

  test(`${PERSIST}::test_persist_streamed_message_requires_request_body`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    expect((await persist(chatId)).status).toBe(422);
  });

  test(`${PERSIST}::test_persist_streamed_message_rejects_empty_assistant_content`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    expect((await persist(chatId, { assistant_content: '' })).status).toBe(422);
  });

  test(`${PERSIST}::test_persist_streamed_message_rejects_blank_assistant_message_id`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    expect((await persist(chatId, { assistant_content: 'valid reply', assistant_message_id: '   ' })).status).toBe(422);
  });

  const metadataOf = async (messageId: string) =>
    (await svc.request('GET', `/api/v1/messages/${messageId}?include_metadata=true`)).body.metadata_extra as Record<string, unknown>;

  test(`${PERSIST}::test_persist_streamed_message_preserves_active_speaker_identity`, async () => {
    const primary = (
      await post('/api/v1/characters/', card(`PrimarySpeaker ${Date.now()}`, { personality: 'Calm', first_message: 'Hello!' }))
    ).body;
    const secondary = (await post('/api/v1/characters/', card(`SecondarySpeaker ${Date.now()}`, { personality: 'Assertive' }))).body;
    const chatId = (await post('/api/v1/chats/', { character_id: primary.id, title: 'Persist Speaker Identity' })).body.id;
    const settings = {
      schemaVersion: 2,
      updatedAt: new Date().toISOString(),
      turnTakingMode: 'round_robin',
      participantCharacterIds: [secondary.id],
    };
    expect((await svc.request('PUT', `/api/v1/chats/${chatId}/settings`, { body: { settings } })).status).toBe(200);
    upstream.reply({ text: 'directed' });
    const directed = await post(`/api/v1/chats/${chatId}/complete-v2`, {
      provider: 'local-llm',
      model: 'local-test',
      append_user_message: 'direct this to secondary',
      save_to_db: false,
      directed_character_id: secondary.id,
    });
    expect(directed.status).toBe(200);
    expect(directed.body).toMatchObject({ speaker_character_id: secondary.id, speaker_character_name: secondary.name });
    const usage = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };
    const saved = await persist(chatId, {
      assistant_content: 'secondary streamed response',
      speaker_character_id: secondary.id,
      speaker_character_name: secondary.name,
      mood_label: 'happy',
      mood_confidence: 0.92,
      mood_topic: 'celebration',
      usage,
    });
    expect(saved.status).toBe(200);
    const id = saved.body.assistant_message_id as string;
    const listed = (await svc.request('GET', `/api/v1/chats/${chatId}/messages`)).body.messages as Array<{ id: string; sender: string }>;
    expect(listed.find((m) => m.id === id)?.sender).toBe(secondary.name);
    const metadata = await metadataOf(id);
    expect(metadata).toMatchObject({
      speaker_character_id: secondary.id,
      speaker_character_name: secondary.name,
      turn_taking_mode: 'round_robin',
      mood_label: 'happy',
      mood_topic: 'celebration',
      usage,
    });
    expect(metadata.mood_confidence).toBeCloseTo(0.92);
  });

  test(`${PERSIST}::test_persist_streamed_message_stores_emote_events`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    const events = [
      { state: 'annoyed', at_char: 0 },
      { state: 'smug', at_char: 10 },
    ];
    const r = await persist(chatId, {
      assistant_content: 'What now?\nFine.',
      mood_label: 'happy',
      mood_confidence: 0.91,
      mood_topic: 'fallback',
      emote_events: events,
    });
    expect(r.status).toBe(200);
    const metadata = await metadataOf(r.body.assistant_message_id);
    expect(metadata.mood_label).toBe('smug');
    expect(metadata).not.toHaveProperty('mood_confidence');
    expect(metadata).not.toHaveProperty('mood_topic');
    expect(metadata.emote_events).toEqual(events);
  });

  test(`${PERSIST}::test_persist_streamed_message_rejects_invalid_emote_events`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    const r = await persist(chatId, { assistant_content: 'bad metadata', emote_events: [{ state: '../../bad', at_char: 0 }] });
    expect(r.status).toBe(422);
  });

  test(`${PERSIST}::test_persist_streamed_message_rejects_too_many_emote_events`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    const events = Array.from({ length: 6 }, (_, i) => ({ state: `state-${i}`, at_char: 0 }));
    const r = await persist(chatId, { assistant_content: 'too many', emote_events: events });
    expect(r.status).toBe(422);
  });

  test(`${PERSIST}::test_persist_streamed_message_retry_preserves_emote_events`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    const user = await post(`/api/v1/chats/${chatId}/messages`, { role: 'user', content: 'trigger duplicate guard' });
    expect(user.status).toBe(201);
    const payload = {
      assistant_content: 'idempotent emote reply',
      user_message_id: user.body.id,
      mood_label: 'happy',
      mood_confidence: 0.8,
      mood_topic: 'fallback',
      emote_events: [{ state: 'smug', at_char: 0 }],
    };
    const first = await persist(chatId, payload);
    const second = await persist(chatId, payload);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.assistant_message_id).toBe(first.body.assistant_message_id);
    const metadata = await metadataOf(second.body.assistant_message_id);
    expect(metadata.mood_label).toBe('smug');
    expect(metadata).not.toHaveProperty('mood_confidence');
    expect(metadata).not.toHaveProperty('mood_topic');
    expect(metadata.emote_events).toEqual([{ state: 'smug', at_char: 0 }]);
  });

  test(`${PERSIST}::test_complete_v2_sanitizes_emote_directives_for_non_streaming_response_and_storage`, async () => {
    const { chatId } = await characterAndChat('StreamChar');
    upstream.reply({ text: 'Emote: annoyed\nWhat now?\nEmote: smug\nFine.' });
    const r = await post(`/api/v1/chats/${chatId}/complete-v2`, {
      provider: 'local-llm',
      model: 'local-test',
      append_user_message: 'continue',
      include_character_context: false,
      save_to_db: true,
      mood_label: 'happy',
      mood_confidence: 0.9,
      mood_topic: 'fallback',
    });
    expect(r.status).toBe(200);
    expect(r.body.assistant_content).toBe('What now?\nFine.');
    expect(r.body.mood_label).toBe('smug');
    expect(r.body.mood_confidence).toBeNull();
    expect(r.body.mood_topic).toBeNull();
    const stored = (await svc.request('GET', `/api/v1/messages/${r.body.assistant_message_id}?include_metadata=true`)).body;
    expect(stored.content).toBe('What now?\nFine.');
    expect(stored.metadata_extra.mood_label).toBe('smug');
    expect(stored.metadata_extra.emote_events).toEqual([
      { state: 'annoyed', at_char: 0 },
      { state: 'smug', at_char: 10 },
    ]);
  });

  // Diverges at its last step: `POST /chats/{id}/prompt-preview` is not built (a 404), so the preview's preset section
  // cannot carry the instruction; complete-v2 and the prepared prompt do (checked first).
  test.failing(`${PERSIST}::test_complete_v2_prompt_contract_mentions_available_emote_states`, async () => {
    const image = 'data:image/png;base64,AA==';
    const created = await post(
      '/api/v1/characters/',
      card(`EmotePromptChar ${Date.now()}`, {
        description: 'Streaming test',
        personality: 'Calm',
        extensions: { tldw: { mood_images: { smug: image, 'thinking hard': image, '../../bad': image } } },
      }),
    );
    expect(created.status).toBe(201);
    const chatId = (await post('/api/v1/chats/', { character_id: created.body.id, title: 'Prompt Contract' })).body.id;
    const systemText = (messages: Array<{ role: string; content: string }>) =>
      messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n');
    const expectContract = (text: string) => {
      expect(text).toContain('Emote: <state>');
      expect(text).toContain('Prefer these available states: smug, thinking-hard.');
      expect(text).not.toContain('../../bad');
    };
    upstream.reply({ text: 'ok' });
    const r = await post(`/api/v1/chats/${chatId}/complete-v2`, {
      provider: 'local-llm',
      model: 'local-test',
      append_user_message: 'go',
      include_character_context: true,
      save_to_db: false,
    });
    expect(r.status).toBe(200);
    expectContract(systemText((upstream.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> }).messages));
    const prepared = await post(`/api/v1/chats/${chatId}/completions`, { append_user_message: 'go', include_character_context: true });
    expect(prepared.status).toBe(200);
    expectContract(systemText(prepared.body.messages));
    const preview = await post(`/api/v1/chats/${chatId}/prompt-preview`, { append_user_message: 'go', include_character_context: true });
    expect(preview.status).toBe(200);
    expectContract(preview.body.sections.find((s: { name: string }) => s.name === 'preset').content);
  });
});
