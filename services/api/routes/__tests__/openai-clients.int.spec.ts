import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import nodeFetch from 'node-fetch';
import OpenAI from 'openai';
import { startTestService, TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
import { startFakeAnthropicServer, startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';

type ApiError = InstanceType<typeof OpenAI.APIError>;

/**
 * The OpenAI-compatible surface driven by the official `openai` SDK (6.x), against local stand-ins speaking the
 * OpenAI and the Anthropic wire protocols: models, create with and without stream, the stream helpers, tool calls,
 * errors as the SDK reads them, include_usage, parameters forwarded, mapped or refused by name.
 */
describe('OpenAI clients', () => {
  let local: FakeLlmServer;
  let claude: FakeLlmServer;
  let svc: TestService;
  let client: OpenAI;
  let characterId: string;

  beforeAll(async () => {
    local = await startFakeOpenAIServer();
    claude = await startFakeAnthropicServer();
    // Anthropic's model list fails: its configured models stand in.
    claude.setModels({ kind: 'http-error', status: 500, message: 'models are down' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h17-providers-'));
    const file = path.join(dir, 'providers.json');
    writeFileSync(
      file,
      JSON.stringify({
        default: 'local',
        providers: {
          local: { type: 'openai-compatible', baseUrl: local.url, defaultModel: 'fake-model' },
          claude: {
            type: 'anthropic',
            baseUrl: claude.url,
            apiKey: 'test-anthropic-key',
            models: ['claude-test'],
            allowUnlistedModels: true,
          },
        },
      }),
    );
    svc = await startTestService({
      env: { LLM_PROVIDERS_FILE: file, LLM_TIMEOUT_MS: '3000' },
      roles: { api: true, projector: true, worker: true },
    });
    client = new OpenAI({ apiKey: TEST_API_KEY, baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const created = await svc.request('POST', '/api/v1/characters', {
      body: { name: 'Seraphina', description: 'A guardian of the forest' },
    });
    expect(created.status).toBe(201);
    characterId = created.body.id;
  });
  afterAll(async () => {
    await svc?.close();
    await local?.close();
    await claude?.close();
  });

  const messages = [{ role: 'user' as const, content: 'Hi' }];

  test('models.list: the providers’ own lists (read once, cached), the configured fallback, and the caller’s characters', async () => {
    const ids: string[] = [];
    const names: Record<string, string | undefined> = {};
    for await (const model of client.models.list()) {
      ids.push(model.id);
      names[model.id] = (model as { name?: string }).name;
      expect(model.object).toBe('model');
    }
    const readable = `character:seraphina-${characterId.replace(/-/g, '').slice(-4)}`;
    expect(ids).toEqual(['fake-model', 'fake-model-large', 'claude-test', readable]);
    expect(names[readable]).toBe('Seraphina');
    const again = await new OpenAI({ apiKey: TEST_API_KEY, baseURL: `${svc.url}/api/v1`, maxRetries: 0 }).models.list();
    expect(again.data.map((m) => m.id)).toEqual(ids);
    expect(local.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/models'))).toHaveLength(1);
    expect(claude.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(claude.requests[0]!.headers['x-api-key']).toBe('test-anthropic-key');
  });

  test('models.retrieve: a provider model, a character with its name; an unknown one is a 404 the SDK reads', async () => {
    expect(await client.models.retrieve('fake-model-large')).toMatchObject({ id: 'fake-model-large', object: 'model', owned_by: 'local' });
    expect(await client.models.retrieve(`character:${characterId}`)).toMatchObject({ name: 'Seraphina', owned_by: 'character' });
    const err = await client.models.retrieve('no-such-model').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).message).toContain('The model `no-such-model` does not exist');
    expect((err as ApiError).code).toBe('model_not_found');
  });

  test('both bases are complete, and a trailing or doubled slash after the base is tolerated', async () => {
    for (const p of ['/v1/models', '/v1/models/', '/v1//models', '/api/v1//models', '//v1/models']) {
      const res = await fetch(`${svc.url}${p}`, { headers: { Authorization: `Bearer ${TEST_API_KEY}` } });
      expect([p, res.status]).toEqual([p, 200]);
      expect(((await res.json()) as { object: string }).object).toBe('list');
    }
    const res = await fetch(`${svc.url}/v1//chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    expect(res.status).toBe(200);
  });

  test('create without stream; an empty or missing model is the default one', async () => {
    local.reply({ text: 'Hello there.' }, { text: 'Default again.' });
    const completion = await client.chat.completions.create({ model: '', messages });
    expect(completion.choices[0]!.message.content).toBe('Hello there.');
    expect(completion.model).toBe('fake-model');
    const raw = await svc.request('POST', '/v1/chat/completions', { body: { messages } });
    expect(raw.body.choices[0].message.content).toBe('Default again.');
  });

  test('create with stream: the common loop over choices[0].delta never meets an empty chunk; usage only when asked', async () => {
    local.reply({ text: 'One two three four.' });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    let text = '';
    for await (const chunk of await client.chat.completions.create({ model: 'fake-model', messages, stream: true })) {
      chunks.push(chunk);
      text += chunk.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe('One two three four.');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => !('usage' in c))).toBe(true);

    local.reply({ text: 'Counted.' });
    const counted: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of await client.chat.completions.create({
      model: 'fake-model',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    }))
      counted.push(chunk);
    const last = counted.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.total_tokens).toBeGreaterThan(0);
    expect(counted.slice(0, -1).every((c) => c.choices.length === 1 && c.usage === null)).toBe(true);
  });

  test('the stream helpers: content events and the final completion', async () => {
    local.reply({ text: 'Helpers work.' });
    const deltas: string[] = [];
    const stream = client.chat.completions.stream({ model: 'fake-model', messages });
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.join('')).toBe('Helpers work.');
    expect(final.choices[0]!.message.content).toBe('Helpers work.');
    expect(final.choices[0]!.finish_reason).toBe('stop');
  });

  test('tool calls, streamed and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const call = { toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Eldoria"}' }], finishReason: 'tool_calls' };
    local.reply(call, call);
    const plain = await client.chat.completions.create({ model: 'fake-model', messages, tools });
    expect(plain.choices[0]!.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Eldoria"}' } },
    ]);
    expect(plain.choices[0]!.finish_reason).toBe('tool_calls');
    const streamed = await client.chat.completions.stream({ model: 'fake-model', messages, tools }).finalChatCompletion();
    expect(streamed.choices[0]!.message.tool_calls?.[0]).toMatchObject({ id: 'call_1', function: { arguments: '{"city":"Eldoria"}' } });
  });

  test("errors: the provider's own message and a faithful status, as APIError.status and .message", async () => {
    const cases: Array<[Parameters<FakeLlmServer['reply']>[0], number, string]> = [
      [{ kind: 'http-error', status: 400, message: "This model's maximum context length is 8192 tokens" }, 400, 'maximum context length'],
      [{ kind: 'http-error', status: 401, message: 'Incorrect API key provided' }, 401, 'Incorrect API key'],
      [{ kind: 'http-error', status: 500, message: 'upstream exploded' }, 502, 'upstream exploded'],
    ];
    for (const [reply, status, text] of cases) {
      local.reply(reply, reply);
      for (const stream of [false, true]) {
        const err = await (async () => {
          const r = await client.chat.completions.create({ model: 'fake-model', messages, stream });
          if (stream) for await (const _ of r as AsyncIterable<unknown>);
        })().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect([stream, (err as ApiError).status]).toEqual([stream, status]);
        expect((err as ApiError).message).toContain(text);
      }
    }
  });

  test('a 429 keeps Retry-After and is rate_limit_exceeded, never insufficient_quota', async () => {
    const limited = {
      kind: 'http-error' as const,
      status: 429,
      type: 'insufficient_quota',
      message: 'slow down',
      headers: { 'retry-after': '7' },
    };
    local.reply(limited);
    const err = (await client.chat.completions.create({ model: 'fake-model', messages }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('7');
    expect(err.type).toBe('rate_limit_exceeded');
    expect(err.message).toContain('slow down');
  });

  test('an error mid-stream reaches the SDK as an APIError with the message', async () => {
    local.reply({ text: 'Some text before the failure.', errorAfterEvents: 3, error: { message: 'the model crashed' } });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of await client.chat.completions.create({ model: 'fake-model', messages, stream: true }))
        seen.push(chunk.choices[0]!.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as ApiError).message).toContain('the model crashed');
    expect(seen.length).toBeGreaterThan(0);
  });

  test('our own refusals carry the envelope too: validation (param named), credentials, unknown routes, bad JSON', async () => {
    const invalid = (await client.chat.completions
      .create({ model: 'fake-model', messages, temperature: 7 })
      .catch((e: unknown) => e)) as ApiError;
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid.param).toBe('temperature');
    expect(invalid.type).toBe('invalid_request_error');
    const anonymous = new OpenAI({ apiKey: 'wrong-key-0123456789', baseURL: `${svc.url}/v1`, maxRetries: 0 });
    expect(await anonymous.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    const nope = await fetch(`${svc.url}/v1/nothing-here`, { headers: { Authorization: `Bearer ${TEST_API_KEY}` } });
    expect(nope.status).toBe(404);
    expect(((await nope.json()) as { error: { message: string } }).error.message).toContain('no route');
    const broken = await fetch(`${svc.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: '{"messages": [',
    });
    const body = (await broken.json()) as { error: { message: string; type: string; code: string }; code: string; status: number };
    expect(body).toMatchObject({ status: 400, code: 'invalid_json', error: { type: 'invalid_request_error', code: 'invalid_json' } });
    expect(body.error.message).toContain('not valid JSON');
  });

  test('character:<id> is the character, never a model name sent upstream; an unknown one is a 404 in the envelope', async () => {
    local.clearRequests();
    local.reply({ text: 'I am Seraphina.' });
    const reply = await client.chat.completions.create({ model: `character:${characterId}`, messages });
    expect(reply.choices[0]!.message.content).toBe('I am Seraphina.');
    const sent = local.requests.find((r) => r.method === 'POST')!.body;
    expect(sent.model).toBe('fake-model');
    expect(JSON.stringify(sent.messages)).toContain('A guardian of the forest');
    const missing = `character:${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`;
    const err = (await client.chat.completions.create({ model: missing, messages }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
    expect(err.message).toContain(missing);
    expect(
      (await client.chat.completions.create({ model: 'character:seraphina', messages }).catch((e: unknown) => e)) as ApiError,
    ).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('every Chat Completions parameter reaches an OpenAI-compatible provider as given', async () => {
    local.clearRequests();
    local.reply({ text: 'ok' });
    await client.chat.completions.create({
      model: 'fake-model',
      messages,
      max_completion_tokens: 77,
      n: 1,
      response_format: { type: 'json_object' },
      seed: 42,
      logprobs: true,
      top_logprobs: 3,
      logit_bias: { '1234': -50 },
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      stop: ['END'],
      user: 'user-7',
      reasoning_effort: 'low',
      metadata: { purpose: 'test' },
      modalities: ['text'],
      // a field of the server's own, sent through as well
      ...({ mirostat: 2 } as object),
    });
    const sent = local.requests.find((r) => r.method === 'POST')!.body;
    expect(sent).toMatchObject({
      max_completion_tokens: 77,
      n: 1,
      response_format: { type: 'json_object' },
      seed: 42,
      logprobs: true,
      top_logprobs: 3,
      logit_bias: { '1234': -50 },
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      stop: ['END'],
      user: 'user-7',
      reasoning_effort: 'low',
      metadata: { purpose: 'test' },
      modalities: ['text'],
      mirostat: 2,
    });
    expect(sent.max_tokens).toBeUndefined();
  });

  test('Anthropic: the same stream grammar, neutral values dropped, equivalents mapped, the rest refused naming it', async () => {
    claude.clearRequests();
    claude.reply({ text: 'Bonjour from Claude.' });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    // What SillyTavern sends with every request.
    const neutral = { temperature: 1, top_p: 1, presence_penalty: 0, frequency_penalty: 0, logit_bias: {}, n: 1, stop: ['\nUser:'] };
    for await (const chunk of await client.chat.completions.create({
      model: 'claude-test',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 99,
      ...neutral,
    }))
      chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(
      chunks
        .slice(0, -1)
        .map((c) => c.choices[0]!.delta.content ?? '')
        .join(''),
    ).toBe('Bonjour from Claude.');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0);
    const sent = claude.requests.find((r) => r.method === 'POST')!.body;
    expect(sent).toMatchObject({ model: 'claude-test', max_tokens: 99, temperature: 1, top_p: 1, stop_sequences: ['\nUser:'] });
    for (const dropped of ['presence_penalty', 'frequency_penalty', 'logit_bias', 'n', 'stop', 'max_completion_tokens', 'stream_options'])
      expect([dropped, sent[dropped]]).toEqual([dropped, undefined]);

    for (const [param, value] of [
      ['presence_penalty', 0.5],
      ['seed', 3],
      ['logit_bias', { '42': 10 }],
      ['response_format', { type: 'json_object' }],
      ['temperature', 1.5],
    ] as const) {
      const before = claude.requests.length;
      const err = (await client.chat.completions
        .create({ model: 'claude-test', messages, [param]: value } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e)) as ApiError;
      expect([param, err.status, err.param, err.code]).toEqual([param, 400, param, 'unsupported_parameter']);
      expect(err.message).toContain(param);
      expect(claude.requests.length).toBe(before);
    }
  });

  test("SillyTavern 1.12's custom source, replayed: its status check and its generate bodies, with a trailing-slash base", async () => {
    // src/endpoints/backends/chat-completions.js: `api_url + '/models'` with the key as a Bearer token, then
    // `${apiUrl}/chat/completions` with the body below (undefined members vanish in JSON), through node-fetch 2.
    const base = `${svc.url}/v1/`;
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_API_KEY}` };
    const status = await nodeFetch(`${base}/models`, { method: 'GET', headers: { Authorization: `Bearer ${TEST_API_KEY}` } });
    expect(status.ok).toBe(true);
    const ids = ((await status.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id).sort();
    expect(ids).toContain(`character:seraphina-${characterId.replace(/-/g, '').slice(-4)}`);
    const generate = (model: string, stream: boolean) => ({
      messages: [
        { role: 'system', content: "Write Seraphina's next reply in a fictional chat between Seraphina and User." },
        { role: 'user', content: 'Hello?' },
      ],
      model,
      temperature: 1,
      max_tokens: 300,
      stream,
      presence_penalty: 0,
      frequency_penalty: 0,
      top_p: 1,
      top_k: 0,
      stop: [],
      logit_bias: {},
    });
    for (const [model, upstream] of [
      ['fake-model', local],
      ['claude-test', claude],
    ] as const) {
      upstream.reply({ text: 'Streamed hello.' }, { text: 'Plain hello.' });
      const streamed = await nodeFetch(`${base}/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify(generate(model, true)),
      });
      expect([model, streamed.status]).toEqual([model, 200]);
      expect(await streamed.text()).toContain('data: [DONE]');
      const plain = await nodeFetch(`${base}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(generate(model, false)) });
      expect([model, plain.status]).toEqual([model, 200]);
      expect(((await plain.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
        'Plain hello.',
      );
    }
    // What SillyTavern shows on a failure: `errorData?.error?.message`.
    local.reply({ kind: 'http-error', status: 400, message: 'prompt is too long for this model' });
    const failed = await nodeFetch(`${base}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(generate('', false)) });
    expect(failed.status).toBe(400);
    expect(((await failed.json()) as { error?: { message?: string } }).error?.message).toBe('prompt is too long for this model');
  });
});
