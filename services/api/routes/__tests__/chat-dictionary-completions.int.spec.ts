import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { lastUserText, startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

/**
 * Chat dictionaries in completions, end to end: HTTP -> queue -> worker -> fake upstream. Dictionaries attached to
 * the character rewrite the user's turn, those attached for the reply rewrite it before it is stored; `prepare`
 * shows the same result; timed effects are kept in the chat and counted in messages.
 */
let upstream: FakeLlmServer;
let svc: TestService;
let characterId: string;

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', LLM_TIMEOUT_MS: '3000' },
    roles: { api: true, projector: true, worker: true },
  });
  const c = await svc.request('POST', '/api/v1/characters', {
    body: { name: 'Lexi', description: 'A terse assistant.', first_message: 'Hello.' },
  });
  expect(c.status).toBe(201);
  characterId = c.body.id;
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

const DICT = '/api/v1/chat/dictionaries';

async function dictionary(name: string, entries: Array<Record<string, unknown>>): Promise<string> {
  const res = await svc.request('POST', DICT, { body: { name, entries } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function newChat(): Promise<string> {
  const res = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: characterId, settings: { user_name: 'Ann' } } });
  expect(res.status).toBe(201);
  return res.body.id;
}

const attach = async (url: string, dictionaryId: string, applyTo: string) =>
  expect((await svc.request('POST', url, { body: { dictionary_id: dictionaryId, apply_to: applyTo } })).status).toBe(200);
const pathOf = async (chatId: string) =>
  (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`)).body.items as Array<Record<string, any>>;
const complete = async (chatId: string, body: Record<string, unknown>) => {
  const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body });
  expect(res.status).toBe(200);
  return res.body;
};
const prepare = async (chatId: string, body: Record<string, unknown>) => {
  const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, { body });
  expect(res.status).toBe(200);
  return res.body;
};

describe('chat dictionaries in completions', () => {
  test("the user's turn and the reply are rewritten, prepare shows it, the original text stays with the message", async () => {
    const slang = await dictionary('Slang in', [
      { pattern: 'brb', replacement: 'be right back' },
      { pattern: '/\\bu\\b/i', replacement: 'you', type: 'regex' },
    ]);
    const styled = await dictionary('Style out', [{ pattern: 'Dark Lord', replacement: 'Shadow King' }]);
    await attach(`/api/v1/characters/${characterId}/chat-dictionaries`, slang, 'input');
    const chatId = await newChat();
    await attach(`/api/v1/character_chats/${chatId}/chat-dictionaries`, styled, 'output');

    const prepared = await prepare(chatId, { message: 'brb, U there?' });
    expect(prepared.user_turn.content).toBe('be right back, you there?');
    expect(prepared.messages.at(-1).content).toContain('be right back, you there?');
    expect(prepared.chat_dictionaries.attached.map((a: { name: string; apply_to: string }) => [a.name, a.apply_to])).toEqual([
      ['Slang in', 'input'],
      ['Style out', 'output'],
    ]);
    expect(prepared.chat_dictionaries.input).toMatchObject({
      original_text: 'brb, U there?',
      processed_text: 'be right back, you there?',
      replacements: 2,
    });
    expect(prepared.chat_dictionaries.input.explanations.map((x: { outcome: string }) => x.outcome)).toEqual(['applied', 'applied']);
    expect(prepared.chat_dictionaries.output_dictionaries).toEqual([styled]);

    upstream.clearRequests();
    upstream.reply({ text: 'The Dark Lord waits, and the Dark Lord is patient.' });
    const done = await complete(chatId, { message: 'brb, U there?' });
    expect(lastUserText(upstream.requests[0]!)).toContain('be right back, you there?');
    expect(done.content).toBe('The Shadow King waits, and the Shadow King is patient.');

    const path = await pathOf(chatId);
    const [user, reply] = path.slice(-2);
    expect(user).toMatchObject({ sender: 'user', content: 'be right back, you there?' });
    expect(user!.metadata.chat_dictionaries).toMatchObject({ original_text: 'brb, U there?', replacements: 2 });
    expect(reply).toMatchObject({ sender: 'assistant', content: 'The Shadow King waits, and the Shadow King is patient.' });
    expect(reply!.metadata.chat_dictionaries.output).toMatchObject({ replacements: 2 });

    // Streaming: the chunks are the reply as generated; the final chunk carries the rewritten text.
    upstream.reply({ text: 'Bow to the Dark Lord.' });
    const res = await fetch(`${svc.url}/api/v1/character_chats/${chatId}/complete`, {
      method: 'POST',
      headers: { 'X-API-KEY': 'test-api-key-0123456789abcdef', 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'ok', stream: true }),
    });
    const text = await res.text();
    const trailer = text
      .split('\n\n')
      .filter((b) => b.includes('"saved"'))
      .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)))[0];
    expect(trailer.content).toBe('Bow to the Shadow King.');
    expect((await pathOf(chatId)).at(-1)!.content).toBe('Bow to the Shadow King.');

    // The OpenAI-compatible endpoint: the message content is the rewritten reply.
    upstream.reply({ text: 'The Dark Lord again.' });
    const openai = await svc.request('POST', '/api/v1/chat/completions', {
      body: { character_id: characterId, conversation_id: chatId, messages: [{ role: 'user', content: 'brb' }] },
    });
    expect(openai.status).toBe(200);
    expect(openai.body.choices[0].message.content).toBe('The Shadow King again.');
    expect((await pathOf(chatId)).at(-2)!.content).toBe('be right back');
    await svc.request('DELETE', `/api/v1/characters/${characterId}/chat-dictionaries/${slang}`);
  });

  test('probability is seeded by the chat: prepare predicts what complete stores', async () => {
    const words = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const coin = await dictionary(
      'Coin',
      words.map((w) => ({ pattern: w, replacement: w.toUpperCase(), probability: 0.5 })),
    );
    const chatId = await newChat();
    await attach(`/api/v1/character_chats/${chatId}/chat-dictionaries`, coin, 'input');
    const message = words.join(' ');
    const first = await prepare(chatId, { message });
    const second = await prepare(chatId, { message });
    expect(second.user_turn.content).toBe(first.user_turn.content);
    const outcomes = first.chat_dictionaries.input.explanations.map((x: { outcome: string }) => x.outcome);
    expect(outcomes).toContain('applied');
    expect(outcomes).toContain('probability_failed');
    // /process with the chat rolls as the chat's next user turn will.
    const viaProcess = await svc.request('POST', `${DICT}/process`, { body: { text: message, dictionary_ids: [coin], chat_id: chatId } });
    expect(viaProcess.body.processed_text).toBe(first.user_turn.content);
    upstream.reply({ text: 'Noted.' });
    await complete(chatId, { message });
    expect((await pathOf(chatId)).at(-2)!.content).toBe(first.user_turn.content);
  });

  test('timed effects are counted in messages and kept in the chat; the chat keeps a usable version', async () => {
    // cooldown 3: fires at chat length 2 (greeting + this message), blocked at 4, fires again at 6.
    const cool = await dictionary('Cooldown', [{ pattern: 'hi', replacement: 'greetings', timed_effects: { cooldown: 3 } }]);
    const delayed = await dictionary('Delayed', [{ pattern: 'bye', replacement: 'farewell', timed_effects: { delay: 4 } }]);
    const chatId = await newChat();
    await attach(`/api/v1/character_chats/${chatId}/chat-dictionaries`, cool, 'input');
    await attach(`/api/v1/character_chats/${chatId}/chat-dictionaries`, delayed, 'input');

    const sent: string[] = [];
    for (let turn = 0; turn < 3; turn++) {
      upstream.reply({ text: `Reply ${turn}.` });
      await complete(chatId, { message: 'hi and bye' });
      sent.push((await pathOf(chatId)).at(-2)!.content);
    }
    expect(sent).toEqual(['greetings and bye', 'hi and farewell', 'greetings and farewell']);

    const next = await prepare(chatId, { message: 'hi' });
    expect(next.chat_dictionaries.input.explanations[0]).toMatchObject({ outcome: 'cooldown' });
    // /process with the chat sees the same state (read only)
    const processed = await svc.request('POST', `${DICT}/process`, { body: { text: 'hi', dictionary_ids: [cool], chat_id: chatId } });
    expect(processed.body.explanations[0].outcome).toBe('cooldown');

    // A regenerate does not rewrite the user's turn again, and the chat's version still answers writes.
    upstream.reply({ text: 'Another take.' });
    await complete(chatId, { mode: 'regenerate' });
    const afterRegenerate = await pathOf(chatId);
    expect(afterRegenerate.at(-2)!.content).toBe('greetings and farewell');
    expect(afterRegenerate.at(-1)!.content).toBe('Another take.');
    const chat = await svc.request('GET', `/api/v1/character_chats/${chatId}`);
    const renamed = await svc.request('PUT', `/api/v1/character_chats/${chatId}?expected_version=${chat.body.version}`, {
      body: { title: 'Still writable' },
    });
    expect(renamed.status).toBe(200);
  });
});
