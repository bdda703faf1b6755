import { lastUserText, startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import {
  collectCompletion,
  completeOnce,
  OpenAICompatibleProvider,
  ProviderCancelledError,
  ProviderError,
  type ChatRequest,
} from '../index.ts';
import { contentOf, drain, failure, splitPoints, USER_HELLO } from './helpers/stream.ts';

const MIXED_TEXT = 'Seraphina smiles — «bienvenue» 🌿✨ 你好, traveler! Ünïcödé\nsecond line: "quoted" {braces} data: [DONE]?';

let upstream: FakeLlmServer;
let provider: OpenAICompatibleProvider;

function makeProvider(overrides: Partial<ConstructorParameters<typeof OpenAICompatibleProvider>[0]> = {}) {
  return new OpenAICompatibleProvider({
    name: 'local',
    type: 'openai-compatible',
    baseUrl: upstream.url,
    apiKey: 'sk-test',
    connectTimeoutMs: 2000,
    idleTimeoutMs: 2000,
    ...overrides,
  });
}

beforeEach(async () => {
  upstream = await startFakeOpenAIServer();
  provider = makeProvider();
});

afterEach(async () => {
  await upstream.close();
});

describe('OpenAI-compatible provider: streaming', () => {
  test('streams content deltas in chat.completion.chunk shape, then finish_reason and usage', async () => {
    upstream.reply({ textChunks: ['Hel', 'lo, ', 'Ann.'], usage: { input: 12, output: 3 } });
    const { chunks, error } = await drain(provider.complete(USER_HELLO));
    expect(error).toBeNull();
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      id: 'chatcmpl-fake-1',
      model: 'test-model',
      choices: [{ index: 0, delta: { role: 'assistant' } }],
    });
    expect(chunks.slice(1, 4).map((c) => c.choices[0]?.delta.content)).toEqual(['Hel', 'lo, ', 'Ann.']);
    expect(chunks[4]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
    expect(chunks).toHaveLength(6);
  });

  test('sends the request OpenAI expects: path, auth, stream with usage, parameters, extras', async () => {
    const request: ChatRequest = {
      model: 'llama-3.1-8b',
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'system', content: 'Example', name: 'example_user' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 256,
      stop: ['\nAnn:'],
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      seed: 42,
      user: 'user-1',
      extra: { top_k: 40, min_p: 0.05, stream: false, model: 'ignored' },
    };
    await completeOnce(provider, request);
    const sent = upstream.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body).toEqual({
      top_k: 40,
      min_p: 0.05,
      model: 'llama-3.1-8b',
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 256,
      stop: ['\nAnn:'],
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      seed: 42,
      user: 'user-1',
    });
  });

  test('the openai type sends max_completion_tokens to reasoning models', async () => {
    const openai = makeProvider({ type: 'openai' });
    await completeOnce(openai, { ...USER_HELLO, model: 'o3-mini', max_tokens: 100 });
    await completeOnce(openai, { ...USER_HELLO, model: 'gpt-4o', max_tokens: 100 });
    expect(upstream.requests[0]!.body.max_completion_tokens).toBe(100);
    expect(upstream.requests[0]!.body.max_tokens).toBeUndefined();
    expect(upstream.requests[1]!.body.max_tokens).toBe(100);
  });

  test.each([1, 2, 3, 5, 7, 13])('writes of %i bytes (inside UTF-8 characters and SSE lines) give the exact text', async (size) => {
    upstream.reply({ text: MIXED_TEXT, chunkBytes: size });
    const completion = await completeOnce(provider, USER_HELLO);
    expect(completion.choices[0]?.message.content).toBe(MIXED_TEXT);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  test('random split points anywhere give the exact text', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      upstream.reply({ text: MIXED_TEXT, textChunks: Array.from(MIXED_TEXT), splitAt: splitPoints(4000, seed, 40) });
      const completion = await completeOnce(provider, USER_HELLO);
      expect(completion.choices[0]?.message.content).toBe(MIXED_TEXT);
    }
  });

  test('200 concurrent streams each get their own reply, whole and in order', async () => {
    upstream.setDefaultReply((request) => ({ text: `Reply to ${lastUserText(request)}: ${'token '.repeat(40)}end`, delayMs: 1 }));
    // This test is about isolation and order, not timeouts: on two busy cores 200 connections can take seconds to open.
    const patient = makeProvider({ connectTimeoutMs: 30_000, idleTimeoutMs: 30_000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => completeOnce(patient, { model: 'm', messages: [{ role: 'user', content: `question ${i}` }] })),
    );
    results.forEach((completion, i) =>
      expect(completion.choices[0]?.message.content).toBe(`Reply to question ${i}: ${'token '.repeat(40)}end`),
    );
    expect(upstream.requests).toHaveLength(200);
  });

  test('slow streams arrive in order', async () => {
    upstream.reply({ textChunks: ['a', 'b', 'c', 'd'], delayMs: 30 });
    const started = Date.now();
    const completion = await completeOnce(provider, USER_HELLO);
    expect(completion.choices[0]?.message.content).toBe('abcd');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  test("vLLM's usage chunk with choices: null, and servers that never report usage", async () => {
    upstream.reply({ text: 'ok', usageChoices: 'null', usage: { input: 5, output: 1 } }, { text: 'ok', usage: null });
    expect((await completeOnce(provider, USER_HELLO)).usage).toEqual({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 });
    const withoutUsage = await completeOnce(provider, USER_HELLO);
    expect(withoutUsage.usage).toBeNull();
    expect(withoutUsage.choices[0]?.message.content).toBe('ok');
  });

  test('a stream that finishes without [DONE] is complete', async () => {
    upstream.reply({ text: 'no done marker', omitDone: true });
    expect((await completeOnce(provider, USER_HELLO)).choices[0]?.message.content).toBe('no done marker');
  });

  test('finish reasons pass through (length, content_filter) and unknown ones become stop', async () => {
    upstream.reply(
      { text: 'cut', finishReason: 'length' },
      { text: 'x', finishReason: 'content_filter' },
      { text: 'y', finishReason: 'eos' },
    );
    expect((await completeOnce(provider, USER_HELLO)).choices[0]?.finish_reason).toBe('length');
    expect((await completeOnce(provider, USER_HELLO)).choices[0]?.finish_reason).toBe('content_filter');
    expect((await completeOnce(provider, USER_HELLO)).choices[0]?.finish_reason).toBe('stop');
  });

  test('a server that ignores stream: true and answers JSON is still understood', async () => {
    upstream.reply({
      kind: 'raw',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'cmpl-json',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'whole reply' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    });
    const completion = await completeOnce(provider, USER_HELLO);
    expect(completion).toMatchObject({
      id: 'cmpl-json',
      choices: [{ message: { content: 'whole reply' }, finish_reason: 'stop' }],
      usage: { total_tokens: 5 },
    });
  });
});

describe('OpenAI-compatible provider: tool calls', () => {
  test('tool call deltas (id, name, argument fragments) are streamed and collected', async () => {
    upstream.reply({
      toolCalls: [
        { id: 'call_a', name: 'roll_dice', arguments: '{"sides":20,"count":2}', argumentChunks: ['{"si', 'des":20,', '"count":2}'] },
        { id: 'call_b', name: 'look', arguments: '{"at":"glade"}' },
      ],
    });
    const { chunks } = await drain(provider.complete(USER_HELLO));
    const deltas = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    expect(deltas[0]).toEqual({ index: 0, id: 'call_a', type: 'function', function: { name: 'roll_dice', arguments: '' } });
    expect(
      deltas
        .filter((d) => d.index === 0)
        .slice(1)
        .map((d) => d.function?.arguments),
    ).toEqual(['{"si', 'des":20,', '"count":2}']);
    const completion = await collectCompletion(
      (async function* () {
        yield* chunks;
      })(),
    );
    expect(completion.choices[0]?.message).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'roll_dice', arguments: '{"sides":20,"count":2}' } },
        { id: 'call_b', type: 'function', function: { name: 'look', arguments: '{"at":"glade"}' } },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  test('tools, tool_choice, assistant tool calls and tool results are sent as given', async () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'user', content: 'Roll for me' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'roll_dice', arguments: '{"sides":20}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '17' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'roll_dice', description: 'Roll', parameters: { type: 'object', properties: { sides: { type: 'integer' } } } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'roll_dice' } },
    };
    await completeOnce(provider, request);
    const body = upstream.requests[0]!.body;
    expect(body.messages).toEqual(request.messages);
    expect(body.tools).toEqual(request.tools);
    expect(body.tool_choice).toEqual(request.tool_choice);
  });
});

describe('OpenAI-compatible provider: errors', () => {
  test('upstream 4xx keeps its status and message', async () => {
    upstream.reply({
      kind: 'http-error',
      status: 400,
      message: "This model's maximum context length is 8192 tokens.",
      type: 'invalid_request_error',
    });
    const error = await failure(provider, USER_HELLO);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      status: 400,
      code: 'upstream_client_error',
      message: "This model's maximum context length is 8192 tokens.",
    });
    expect(error.details).toMatchObject({ upstreamStatus: 400, upstreamType: 'invalid_request_error', provider: 'local' });
  });

  test.each([
    [401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }, 'Incorrect API key provided'],
    [404, { error: 'model "nope" not found, try pulling it first' }, 'model "nope" not found, try pulling it first'],
    [422, { detail: [{ msg: 'field required' }, { msg: 'value is not a valid float' }] }, 'field required; value is not a valid float'],
    [400, 'plain text failure', 'plain text failure'],
  ])('HTTP %i with the body of other servers: the message is found', async (status, body, message) => {
    upstream.reply({ kind: 'http-error', status, body });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status, code: 'upstream_client_error', message });
  });

  test('429 stays 429 and keeps Retry-After', async () => {
    upstream.reply({ kind: 'http-error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '7' } });
    const error = await failure(provider, USER_HELLO);
    expect(error).toMatchObject({ status: 429, code: 'upstream_rate_limited', message: 'Rate limit reached', retryAfter: '7' });
    expect(error.extra).toMatchObject({ retry_after: '7', upstream_status: 429 });
  });

  test.each([500, 502, 503])('upstream %i becomes 502', async (status) => {
    upstream.reply({ kind: 'http-error', status, message: 'The server had an error' });
    expect(await failure(provider, USER_HELLO)).toMatchObject({
      status: 502,
      code: 'upstream_server_error',
      details: { upstreamStatus: status },
    });
  });

  test('an error object in the middle of the stream fails the stream after the text so far', async () => {
    upstream.reply({ textChunks: ['Once ', 'upon '], errorAfterEvents: 3, error: { message: 'upstream crashed', type: 'server_error' } });
    const { chunks, error } = await drain(provider.complete(USER_HELLO));
    expect(contentOf(chunks)).toBe('Once upon ');
    expect(error).toMatchObject({ status: 502, code: 'upstream_stream_error', message: 'upstream crashed' });
  });

  test('a rate-limit error in the stream is a 429', async () => {
    upstream.reply({ text: 'x', errorAfterEvents: 1, error: { message: 'Rate limit exceeded', type: 'rate_limit_exceeded' } });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 429, code: 'upstream_rate_limited' });
  });

  test('a dropped connection or a stream closed before the end is a 502', async () => {
    upstream.reply({ text: 'partial reply here', dropAfterEvents: 2 }, { text: 'partial reply here', endAfterEvents: 2, omitDone: true });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(await failure(provider, USER_HELLO)).toMatchObject({
      status: 502,
      code: 'upstream_bad_response',
      message: expect.stringContaining('before the reply was complete'),
    });
  });

  test('data that is not JSON is a 502', async () => {
    upstream.reply({ kind: 'raw', body: 'data: {not json\n\n' });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 502, code: 'upstream_bad_response' });
  });

  test.each([
    ['in one write', undefined],
    ['buffered across writes', 512],
  ])('an oversized event is refused (%s)', async (_label, chunkBytes) => {
    const small = makeProvider({ maxEventSize: 1000 });
    upstream.reply({ kind: 'raw', body: `data: "${'x'.repeat(5000)}"\n\n`, ...(chunkBytes ? { chunkBytes } : {}) });
    expect(await failure(small, USER_HELLO)).toMatchObject({
      status: 502,
      code: 'upstream_bad_response',
      message: expect.stringContaining('larger than 1000'),
    });
  });

  test('an unreachable server is a 502', async () => {
    const port = upstream.port;
    await upstream.close();
    const error = await failure(makeProvider({ baseUrl: `http://127.0.0.1:${port}/v1` }), USER_HELLO);
    expect(error).toMatchObject({ status: 502, code: 'upstream_unreachable', message: expect.stringContaining('ECONNREFUSED') });
    upstream = await startFakeOpenAIServer();
  });
});

describe('OpenAI-compatible provider: timeouts and cancellation', () => {
  test('no response headers within the connect timeout: 504 (connect)', async () => {
    upstream.reply({ kind: 'hang', phase: 'before-headers' });
    const started = Date.now();
    const error = await failure(makeProvider({ connectTimeoutMs: 150 }), USER_HELLO);
    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout', details: { phase: 'connect', timeoutMs: 150 } });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await upstream.requests[0]!.whenClosed()).toBe('client-closed');
  });

  test('silence between chunks longer than the idle timeout: 504 (idle), the text so far was delivered', async () => {
    upstream.reply({ textChunks: ['still ', 'here'], hangAfterEvents: 3 });
    const { chunks, error } = await drain(makeProvider({ idleTimeoutMs: 150 }).complete(USER_HELLO));
    expect(contentOf(chunks)).toBe('still here');
    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout', details: { phase: 'idle' } });
    expect(await upstream.requests[0]!.whenClosed()).toBe('client-closed');
  });

  test('slow but steady streams do not trip the idle timeout', async () => {
    upstream.reply({ textChunks: ['a', 'b', 'c', 'd', 'e'], delayMs: 60 });
    const completion = await completeOnce(makeProvider({ idleTimeoutMs: 200 }), USER_HELLO);
    expect(completion.choices[0]?.message.content).toBe('abcde');
  });

  test('aborting mid-stream cancels: distinct error, and the upstream sees the connection close', async () => {
    upstream.reply({ textChunks: ['one ', 'two '], hangAfterEvents: 3 });
    const controller = new AbortController();
    const received: string[] = [];
    let caught: unknown;
    try {
      for await (const chunk of provider.complete(USER_HELLO, { signal: controller.signal })) {
        received.push(chunk.choices[0]?.delta.content ?? '');
        if (received.join('') === 'one two ') controller.abort();
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderCancelledError);
    expect(caught).toMatchObject({ code: 'cancelled', status: 499 });
    expect(await upstream.requests[0]!.whenClosed()).toBe('client-closed');
  });

  test('aborting while waiting for headers cancels too', async () => {
    upstream.reply({ kind: 'hang', phase: 'before-headers' });
    const controller = new AbortController();
    const pending = failure(provider, USER_HELLO, controller.signal);
    await upstream.waitForRequest(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(ProviderCancelledError);
    expect(await upstream.requests[0]!.whenClosed()).toBe('client-closed');
  });

  test('an already aborted signal never reaches the upstream', async () => {
    const error = await failure(provider, USER_HELLO, AbortSignal.abort());
    expect(error).toBeInstanceOf(ProviderCancelledError);
    expect(upstream.requests).toHaveLength(0);
  });

  test('a consumer that stops reading closes the upstream connection', async () => {
    upstream.reply({ textChunks: ['a', 'b', 'c'], hangAfterEvents: 3 });
    for await (const chunk of provider.complete(USER_HELLO)) {
      if (chunk.choices[0]?.delta.content === 'a') break;
    }
    expect(await upstream.requests[0]!.whenClosed()).toBe('client-closed');
  });
});
