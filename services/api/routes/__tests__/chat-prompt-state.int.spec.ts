import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';

/**
 * What a stored generation leaves for the next one: chat variables written by macros and lorebook timed effects
 * (sticky, cooldown) are chat events, and the next prompt starts from them.
 */
let upstream: FakeLlmServer;
let svc: TestService;
let characterId: string;
let bookId: string;

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: {
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'fake-model',
      LLM_CONTEXT_SIZE: '8192',
      LLM_REPLY_RESERVE: '256',
    },
    roles: { api: true, projector: true, worker: true },
  });
  const character = await svc.request('POST', '/api/v1/characters', {
    body: { name: 'Keeper', description: 'Keeper of the vault.', first_mes: 'Welcome to the vault.' },
  });
  expect(character.status).toBe(201);
  characterId = character.body.id;
  const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Vault lore' } });
  expect(book.status).toBe(201);
  bookId = book.body.id;
  // Sticky for 4 messages, then a cooldown of 4 messages.
  const entry = await svc.request('POST', `/api/v1/characters/world-books/${bookId}/entries`, {
    body: { keys: ['amulet'], content: 'LORE-AMULET: it hums at night.', sticky: 4, cooldown: 4 },
  });
  expect(entry.status).toBe(201);
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

async function newChat(): Promise<string> {
  const res = await svc.request('POST', '/api/v1/character_chats', {
    body: { character_id: characterId, settings: { user_name: 'Ann', world_book_ids: [bookId] } },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Sends one user turn (stored), returns the prompt the provider received. */
async function say(chatId: string, content: string, save = true): Promise<string> {
  upstream.clearRequests();
  upstream.reply({ text: 'Noted.' });
  const res = await svc.request('POST', '/api/v1/chat/completions', {
    body: { character_id: characterId, conversation_id: chatId, save_to_db: save, messages: [{ role: 'user', content }] },
  });
  expect(res.status).toBe(200);
  return (upstream.requests[0]!.body.messages as Array<{ content: string }>).map((m) => m.content).join('\n');
}

async function chatEvents(chatId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return svc.runtime.eventStore.readStream(`chat-${chatId}`);
}

describe('chat state carried between generations', () => {
  test('variables written by {{setvar}} / {{incvar}} are stored as a chat event and read by the next turn', async () => {
    const chatId = await newChat();
    await say(chatId, '{{setvar::mood::curious}}{{incvar::visits}}Hello.');
    const second = await say(chatId, 'Mood {{getvar::mood}}, visit {{incvar::visits}}.');
    expect(second).toContain('Mood curious, visit 2.');

    const changes = (await chatEvents(chatId)).filter((e) => e.type === 'ChatVariablesChanged').map((e) => e.data.changes);
    expect(changes).toEqual([
      [
        { name: 'mood', op: 'set', operand: 'curious', value: 'curious' },
        { name: 'visits', op: 'inc', value: '1' },
      ],
      [{ name: 'visits', op: 'inc', value: '2' }],
    ]);
    expect((await svc.request('GET', `/api/v1/character_chats/${chatId}`)).body.variables).toEqual({ mood: 'curious', visits: '2' });
    const prepared = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, {
      body: { message: 'Now {{getvar::visits}}' },
    });
    expect(prepared.status).toBe(200);
    expect(JSON.stringify(prepared.body.messages)).toContain('Now 2');
  });

  test('a turn that is not stored changes no variable', async () => {
    const chatId = await newChat();
    await say(chatId, '{{setvar::secret::x}}Hi.', false);
    expect((await chatEvents(chatId)).some((e) => e.type === 'ChatVariablesChanged')).toBe(false);
    expect(await say(chatId, 'Secret [{{getvar::secret}}]')).toContain('Secret []');
  });

  test('sticky lore stays for its message count after its key is gone, then cools down', async () => {
    const chatId = await newChat();
    // Chat length counts the greeting: the first turn is evaluated at 2 (greeting + user), sticky until 6.
    expect(await say(chatId, 'I found an amulet.')).toContain('LORE-AMULET');
    expect(await say(chatId, 'Let us talk about the weather.')).toContain('LORE-AMULET'); // sticky, no key
    const third = await say(chatId, 'And the amulet again?');
    expect(third).not.toContain('LORE-AMULET'); // sticky ended at 6, the cooldown blocks even the key

    const timed = (await chatEvents(chatId)).filter((e) => e.type === 'WorldInfoTimedEffectsChanged');
    const kinds = timed.flatMap((e) => (e.data.effects as Array<{ type: string }>).map((x) => x.type));
    expect(kinds).toEqual(expect.arrayContaining(['sticky_started', 'sticky_ended', 'cooldown_started']));

    // The explanation endpoint starts from the same stored state.
    const explained = await svc.request('POST', '/api/v1/characters/world-books/process-context', {
      body: { chat_id: chatId, text: 'amulet' },
    });
    expect(explained.status).toBe(200);
    expect(explained.body.activated).toHaveLength(0);
  });

  test('a completion retried after its turn was stored records its effects once', async () => {
    const chatId = await newChat();
    upstream.reply({ text: 'Once.' });
    const body = { character_id: characterId, conversation_id: chatId, messages: [{ role: 'user', content: '{{incvar::n}} amulet' }] };
    const first = await svc.request('POST', '/api/v1/chat/completions', { body, headers: { 'Idempotency-Key': `retry-${chatId}` } });
    upstream.reply({ text: 'Once.' });
    const again = await svc.request('POST', '/api/v1/chat/completions', { body, headers: { 'Idempotency-Key': `retry-${chatId}` } });
    expect([first.status, again.status]).toEqual([200, 200]);
    const events = await chatEvents(chatId);
    expect(events.filter((e) => e.type === 'ChatVariablesChanged')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'WorldInfoTimedEffectsChanged')).toHaveLength(1);
  });
});
