import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { FakeReply } from '../../fake-llm/index.ts';
import { startTestService, TEST_API_KEY, type TestService } from '../../harness.ts';
import { startOpenAIUpstream, UPSTREAM_MODELS, type OpenAIUpstream } from '../openai-upstream.ts';
import { frontEndBody, generate, sseData, statusCheck, streamedText } from '../sillytavern-1.12.6-wire.ts';

/**
 * SillyTavern 1.12.6's requests to a custom OpenAI-compatible source, replayed against our service directly with
 * its HTTP client (node-fetch 2): the older client library is covered even where SillyTavern is not installed.
 */
const DEFAULT_REPLY: FakeReply = { text: 'Hello from the stand-in provider.' };
const messages = (userText: string) => [
  { role: 'system', content: "Write Seraphina's next reply in a fictional chat between Seraphina and User." },
  { role: 'system', content: '[Start a new Chat]' },
  { role: 'assistant', content: 'Easy now. You were hurt in the forest.' },
  { role: 'user', content: userText },
];

let upstream: OpenAIUpstream;
let svc: TestService;
let characterId: string;
const base = () => `${svc.url}/v1`;

beforeAll(async () => {
  upstream = await startOpenAIUpstream();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'stand-in-small', LLM_TIMEOUT_MS: '5000' },
    roles: { api: true, projector: true, worker: true },
  });
  const created = await svc.request('POST', '/api/v1/characters', { body: { name: 'Seraphina', description: 'A forest guardian' } });
  expect(created.status).toBe(201);
  characterId = created.body.id;
}, 120_000);
afterEach(() => upstream?.setDefaultReply(DEFAULT_REPLY));
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

describe('SillyTavern 1.12.6 replayed (node-fetch 2): connect', () => {
  test.each([
    ['…/v1', ''],
    ['…/v1/ (SillyTavern then asks //models)', '/'],
  ])('%s: GET models lists the provider models and the characters', async (_name, tail) => {
    const status = await statusCheck(`${base()}${tail}`, TEST_API_KEY);
    expect(status.ok).toBe(true);
    const ids: string[] = status.data.data.map((m: { id: string }) => m.id);
    expect(ids).toEqual(expect.arrayContaining([...UPSTREAM_MODELS]));
    expect(ids.filter((id) => id === `character:${characterId}` || /^character:seraphina/i.test(id))).toHaveLength(1);
  });
});

describe('SillyTavern 1.12.6 replayed (node-fetch 2): replies', () => {
  test('a streamed reply arrives whole', async () => {
    upstream.setDefaultReply({ text: 'Rest now, traveler — you are safe here. 🌿', chunkBytes: 5 });
    const answer = await generate(base(), TEST_API_KEY, frontEndBody(messages('Where am I?'), { model: 'stand-in-small', stream: true }));
    expect(answer.status).toBe(200);
    expect(streamedText(answer.body)).toBe('Rest now, traveler — you are safe here. 🌿');
    expect(sseData(answer.body).at(-1)).toBe('[DONE]');
  });

  test('a reply that is not streamed', async () => {
    upstream.setDefaultReply({ text: 'You are in the Eldoria forest.' });
    const answer = await generate(base(), TEST_API_KEY, frontEndBody(messages('Who are you?'), { model: 'stand-in-small', stream: false }));
    expect(answer.json?.choices?.[0]?.message?.content).toBe('You are in the Eldoria forest.');
  });

  test('model "" (none chosen yet): the default model answers', async () => {
    upstream.setDefaultReply({ text: 'The default model speaks.' });
    const answer = await generate(base(), TEST_API_KEY, frontEndBody(messages('Hello?'), { model: '', stream: false }));
    expect(answer.json?.choices?.[0]?.message?.content).toBe('The default model speaks.');
  });

  test('requests right after a streamed one work on the reused socket', async () => {
    upstream.setDefaultReply({ text: 'At once.' });
    const first = await generate(base(), TEST_API_KEY, frontEndBody(messages('One'), { model: 'stand-in-small', stream: true }));
    const second = await generate(base(), TEST_API_KEY, frontEndBody(messages('Two'), { model: 'stand-in-small', stream: false }));
    const third = await generate(base(), TEST_API_KEY, frontEndBody(messages('Three'), { model: 'stand-in-small', stream: true }));
    expect([streamedText(first.body), second.json?.choices?.[0]?.message?.content, streamedText(third.body)]).toEqual([
      'At once.',
      'At once.',
      'At once.',
    ]);
  });
});

describe('SillyTavern 1.12.6 replayed (node-fetch 2): errors carry the provider message where 1.12.6 reads it', () => {
  const contextTooLong: FakeReply = {
    kind: 'http-error',
    status: 400,
    body: {
      error: {
        message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  };

  test('not streamed: error.message is the provider message', async () => {
    upstream.setDefaultReply(contextTooLong);
    const answer = await generate(base(), TEST_API_KEY, frontEndBody(messages('Long'), { model: 'stand-in-small', stream: false }));
    expect(answer.json?.error?.message).toContain('maximum context length is 8192 tokens');
  });

  test('streamed: the body piped to the front end has error.message', async () => {
    upstream.setDefaultReply(contextTooLong);
    const answer = await generate(base(), TEST_API_KEY, frontEndBody(messages('Long'), { model: 'stand-in-small', stream: true }));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)?.error?.message).toContain('maximum context length is 8192 tokens');
  });

  test('a bad key for this service: error.message says so', async () => {
    const answer = await generate(
      base(),
      'not-the-right-key-0000',
      frontEndBody(messages('Hi'), { model: 'stand-in-small', stream: false }),
    );
    expect(answer.json?.error?.message).toMatch(/api key|credential/i);
  });

  test('an error mid-stream: a data event with error.message, after the text so far', async () => {
    upstream.setDefaultReply({
      textChunks: ['The forest ', 'is quiet'],
      errorAfterEvents: 3,
      error: { type: 'server_error', message: 'The model overloaded while generating. Please retry.' },
    });
    const answer = await generate(base(), TEST_API_KEY, frontEndBody(messages('Sound?'), { model: 'stand-in-small', stream: true }));
    expect(streamedText(answer.body)).toBe('The forest is quiet');
    const errors = sseData(answer.body)
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d))
      .filter((e) => e.error);
    expect(errors.map((e) => e.error.message)).toEqual(['The model overloaded while generating. Please retry.']);
  });
});
