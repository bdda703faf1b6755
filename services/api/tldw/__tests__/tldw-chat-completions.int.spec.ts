/**
 * tldw_server's completion helpers on a chat against a local OpenAI-compatible upstream: `complete-v2` saves the
 * user's turn and the reply through our completion pipeline, `provider: "openai"` (the original's name) reaches
 * the configured OpenAI-like provider on both APIs, `completions` prepares without calling the provider.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FakeLlmServer } from '../../../../test/fake-llm/index.ts';
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

async function chat(): Promise<{ chatId: string; name: string }> {
  const name = `Sage ${Date.now()}`;
  const c = await svc.request('POST', '/api/v1/characters', {
    body: { name, first_message: 'Welcome, {{user}}.', system_prompt: 'You are {{char}}.' },
  });
  const r = await svc.request('POST', '/api/v1/chats/', { body: { character_id: c.body.id } });
  expect(r.status).toBe(201);
  return { chatId: r.body.id, name };
}

describe('tldw_server completion helpers', () => {
  test('complete-v2 with provider "openai" saves the turn and the reply; the context shows them', async () => {
    const { chatId, name } = await chat();
    upstream.reply({ text: 'The stars are bright tonight.' });
    const r = await svc.request('POST', `/api/v1/chats/${chatId}/complete-v2`, {
      body: { append_user_message: 'What do you see?', provider: 'openai' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      chat_id: chatId,
      provider: 'default',
      model: 'fake-model',
      saved: true,
      assistant_content: 'The stars are bright tonight.',
      speaker_character_name: name,
    });
    expect(typeof r.body.user_message_id).toBe('string');
    expect(typeof r.body.assistant_message_id).toBe('string');
    const context = await svc.request('GET', `/api/v1/chats/${chatId}/context`);
    expect(context.body.messages).toEqual([
      { role: 'user', content: 'What do you see?' },
      { role: 'assistant', content: 'The stars are bright tonight.' },
    ]);
    const sent = upstream.requests.at(-1)!.body as { model: string; messages: Array<{ role: string; content: string }> };
    expect(sent.model).toBe('fake-model');
    expect(sent.messages.at(-1)).toEqual({ role: 'user', content: 'What do you see?' });
  });

  test('the original provider names reach the OpenAI-like provider on the native API too; an unknown one is refused', async () => {
    const { chatId } = await chat();
    upstream.reply({ text: 'Native reply.' });
    const native = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, {
      body: { message: 'Hi', provider: 'llama_cpp' },
    });
    expect([native.status, native.body.content]).toEqual([200, 'Native reply.']);
    const unknown = await svc.request('POST', `/api/v1/chats/${chatId}/complete-v2`, {
      body: { append_user_message: 'Hi', provider: 'anthropic' },
    });
    expect(unknown.status).toBe(400);
    expect(typeof unknown.body.detail).toBe('string');
  });

  test('completions prepares the prompt without a provider call; complete (deprecated) acknowledges', async () => {
    const { chatId, name } = await chat();
    const before = upstream.requests.length;
    const r = await svc.request('POST', `/api/v1/chats/${chatId}/completions`, { body: { append_user_message: 'Ready?' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ chat_id: chatId, character_name: name });
    expect(r.body.messages[0]).toMatchObject({ role: 'system' });
    expect(r.body.messages.at(-1)).toEqual({ role: 'user', content: 'Ready?' });
    expect(upstream.requests.length).toBe(before);
    const legacy = await svc.request('POST', `/api/v1/chats/${chatId}/complete`);
    expect([legacy.status, legacy.body, legacy.headers.get('deprecation')]).toEqual([200, { status: 'ok', chat_id: chatId }, 'true']);
    const withBody = await svc.request('POST', `/api/v1/chats/${chatId}/complete`, { body: { message: 'x' } });
    expect(withBody.status).toBe(422);
  });
});
