import { startFakeAnthropicServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import { AnthropicProvider, completeOnce, ProviderCancelledError, ProviderError, type ChatRequest } from '../index.ts';
import { contentOf, drain, failure, splitPoints, USER_HELLO } from './helpers/stream.ts';

const MIXED_TEXT = '*Seraphina tilts her head* — «Eldoria» 🌲🦋 森, naïve café\n"The glade is safe." event: ping data: {}';

let upstream: FakeLlmServer;
let provider: AnthropicProvider;

function makeProvider(overrides: Partial<ConstructorParameters<typeof AnthropicProvider>[0]> = {}) {
  return new AnthropicProvider({
    name: 'claude',
    baseUrl: upstream.url,
    apiKey: 'sk-ant-test',
    defaultMaxTokens: 512,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 2000,
    ...overrides,
  });
}

beforeEach(async () => {
  upstream = await startFakeAnthropicServer();
  provider = makeProvider();
});

afterEach(async () => {
  await upstream.close();
});

describe('Anthropic provider: request', () => {
  test('POST /v1/messages with x-api-key, anthropic-version, streaming, max_tokens defaulted', async () => {
    await completeOnce(provider, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] });
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.body).toEqual({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 512, stream: true });
  });

  test('system prompt separate, role alternation, first turn from the user, example names', async () => {
    const request: ChatRequest = {
      model: 'claude',
      messages: [
        { role: 'system', content: "Write Seraphina's next reply." },
        { role: 'system', content: 'A guardian of the forest.' },
        { role: 'system', content: 'Hello', name: 'example_user' },
        { role: 'system', content: 'Welcome.', name: 'example_assistant' },
        { role: 'system', content: '[Start a new Chat]' },
        { role: 'assistant', content: '*You wake in a glade.*' },
        { role: 'system', content: 'Keep it cozy.' },
        { role: 'user', content: 'Where am I?' },
        { role: 'user', content: 'Hello?' },
      ],
      speakerNames: { user: 'Ann', assistant: 'Seraphina' },
      temperature: 1.4,
      top_p: 0.95,
      stop: ['\nAnn:', '   '],
      user: 'u-1',
      seed: 7,
      presence_penalty: 0.5,
      extra: { top_k: 20 },
    };
    await completeOnce(provider, request);
    expect(upstream.requests[0]!.body).toEqual({
      top_k: 20,
      model: 'claude',
      system: "Write Seraphina's next reply.\n\nA guardian of the forest.\n\nAnn: Hello\n\nSeraphina: Welcome.\n\n[Start a new Chat]",
      messages: [
        { role: 'user', content: '[Start a new chat]' },
        { role: 'assistant', content: '*You wake in a glade.*' },
        { role: 'user', content: 'Keep it cozy.\n\nWhere am I?\n\nHello?' },
      ],
      max_tokens: 512,
      stream: true,
      temperature: 1,
      top_p: 0.95,
      stop_sequences: ['\nAnn:'],
      metadata: { user_id: 'u-1' },
    });
  });

  test('tool calls and tool results are sent as tool_use and tool_result blocks; tools and tool_choice mapped', async () => {
    const request: ChatRequest = {
      model: 'claude',
      messages: [
        { role: 'user', content: 'Roll a d20 and look around.' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'roll_dice', arguments: '{"sides":20}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'look', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '17' },
        { role: 'tool', tool_call_id: 'toolu_2', content: 'A quiet glade.' },
        { role: 'user', content: 'Well?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'roll_dice',
            description: 'Roll dice',
            parameters: { type: 'object', properties: { sides: { type: 'integer' } } },
          },
        },
        { type: 'function', function: { name: 'look' } },
      ],
      tool_choice: 'required',
    };
    await completeOnce(provider, request);
    const body = upstream.requests[0]!.body;
    expect(body.messages).toEqual([
      { role: 'user', content: 'Roll a d20 and look around.' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'roll_dice', input: { sides: 20 } },
          { type: 'tool_use', id: 'toolu_2', name: 'look', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '17' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'A quiet glade.' },
          { type: 'text', text: 'Well?' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      { name: 'roll_dice', description: 'Roll dice', input_schema: { type: 'object', properties: { sides: { type: 'integer' } } } },
      { name: 'look', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any' });
  });

  test('a final assistant message is a prefill without trailing whitespace', async () => {
    await completeOnce(provider, {
      model: 'claude',
      messages: [
        { role: 'user', content: 'Go on' },
        { role: 'assistant', content: 'She smiled and  \n' },
      ],
    });
    expect(upstream.requests[0]!.body.messages).toEqual([
      { role: 'user', content: 'Go on' },
      { role: 'assistant', content: 'She smiled and' },
    ]);
  });
});

describe('Anthropic provider: streaming', () => {
  test('events become OpenAI chunks: role, content, finish_reason, usage', async () => {
    upstream.reply({ textChunks: ['The ', 'glade ', 'is safe.'], usage: { input: 40, output: 6 }, pings: true });
    const { chunks, error } = await drain(provider.complete(USER_HELLO));
    expect(error).toBeNull();
    expect(chunks[0]).toMatchObject({
      id: 'msg_fake_1',
      object: 'chat.completion.chunk',
      model: 'test-model',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    expect(contentOf(chunks)).toBe('The glade is safe.');
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 40, completion_tokens: 6, total_tokens: 46 } });
  });

  test.each([1, 2, 3, 7, 11])('writes of %i bytes give the exact text', async (size) => {
    upstream.reply({ text: MIXED_TEXT, chunkBytes: size, pings: true });
    expect((await completeOnce(provider, USER_HELLO)).choices[0]?.message.content).toBe(MIXED_TEXT);
  });

  test('random split points anywhere give the exact text', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      upstream.reply({ text: MIXED_TEXT, textChunks: Array.from(MIXED_TEXT), splitAt: splitPoints(8000, seed, 60), pings: true });
      expect((await completeOnce(provider, USER_HELLO)).choices[0]?.message.content).toBe(MIXED_TEXT);
    }
  });

  test('tool_use blocks stream as tool call deltas and collect into tool_calls', async () => {
    upstream.reply({
      text: 'Rolling.',
      toolCalls: [
        { id: 'toolu_a', name: 'roll_dice', arguments: '{"sides":20}', argumentChunks: ['{"sid', 'es":', '20}'] },
        { id: 'toolu_b', name: 'look', arguments: '{"at":"sky"}' },
      ],
    });
    const { chunks } = await drain(provider.complete(USER_HELLO));
    const deltas = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    expect(deltas[0]).toEqual({ index: 0, id: 'toolu_a', type: 'function', function: { name: 'roll_dice', arguments: '' } });
    expect(deltas.slice(1, 4)).toEqual([
      { index: 0, function: { arguments: '{"sid' } },
      { index: 0, function: { arguments: 'es":' } },
      { index: 0, function: { arguments: '20}' } },
    ]);
    upstream.reply({
      text: 'Rolling.',
      toolCalls: [
        { id: 'toolu_a', name: 'roll_dice', arguments: '{"sides":20}' },
        { id: 'toolu_b', name: 'look', arguments: '{"at":"sky"}' },
      ],
    });
    const completion = await completeOnce(provider, USER_HELLO);
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Rolling.',
        tool_calls: [
          { id: 'toolu_a', type: 'function', function: { name: 'roll_dice', arguments: '{"sides":20}' } },
          { id: 'toolu_b', type: 'function', function: { name: 'look', arguments: '{"at":"sky"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    });
  });

  test.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
  ])('stop_reason %s → finish_reason %s', async (stopReason, finishReason) => {
    upstream.reply({ text: 'x', finishReason: stopReason });
    expect((await completeOnce(provider, USER_HELLO)).choices[0]?.finish_reason).toBe(finishReason);
  });

  test('a non-streaming JSON answer is understood', async () => {
    upstream.reply({
      kind: 'raw',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'msg_json',
        type: 'message',
        role: 'assistant',
        model: 'claude',
        content: [{ type: 'text', text: 'whole' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 4, output_tokens: 1 },
      }),
    });
    expect(await completeOnce(provider, USER_HELLO)).toMatchObject({
      id: 'msg_json',
      choices: [{ message: { content: 'whole' }, finish_reason: 'stop' }],
      usage: { total_tokens: 5 },
    });
  });
});

describe('Anthropic provider: errors, timeouts, cancellation', () => {
  test('HTTP 4xx in Anthropic format: status and message passed on', async () => {
    upstream.reply({ kind: 'http-error', status: 400, message: 'messages: roles must alternate' });
    const error = await failure(provider, USER_HELLO);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      status: 400,
      code: 'upstream_client_error',
      message: 'messages: roles must alternate',
      details: { upstreamType: 'invalid_request_error' },
    });
  });

  test('429 with Retry-After', async () => {
    upstream.reply({
      kind: 'http-error',
      status: 429,
      message: 'Number of request tokens has exceeded your per-minute rate limit',
      headers: { 'retry-after': '30' },
    });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 429, code: 'upstream_rate_limited', retryAfter: '30' });
  });

  test.each([500, 529])('HTTP %i becomes 502', async (status) => {
    upstream.reply({ kind: 'http-error', status });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 502, code: 'upstream_server_error' });
  });

  test('an error event mid-stream (overloaded) fails after the text so far', async () => {
    upstream.reply({ textChunks: ['Once ', 'upon'], errorAfterEvents: 4, error: { type: 'overloaded_error', message: 'Overloaded' } });
    const { chunks, error } = await drain(provider.complete(USER_HELLO));
    expect(contentOf(chunks)).toBe('Once upon');
    expect(error).toMatchObject({
      status: 502,
      code: 'upstream_stream_error',
      message: 'Overloaded',
      details: { upstreamType: 'overloaded_error' },
    });
  });

  test('a rate_limit_error event is a 429', async () => {
    upstream.reply({ text: 'x', errorAfterEvents: 1, error: { type: 'rate_limit_error', message: 'slow down' } });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 429, code: 'upstream_rate_limited' });
  });

  test('a stream that ends before message_delta is a 502', async () => {
    upstream.reply({ text: 'partial', endAfterEvents: 3 });
    expect(await failure(provider, USER_HELLO)).toMatchObject({ status: 502, code: 'upstream_bad_response' });
  });

  test('connect and idle timeouts are 504', async () => {
    upstream.reply({ kind: 'hang', phase: 'before-headers' }, { text: 'hello there', hangAfterEvents: 3 });
    expect(await failure(makeProvider({ connectTimeoutMs: 120 }), USER_HELLO)).toMatchObject({
      status: 504,
      details: { phase: 'connect' },
    });
    expect(await failure(makeProvider({ idleTimeoutMs: 120 }), USER_HELLO)).toMatchObject({ status: 504, details: { phase: 'idle' } });
    expect(await upstream.requests[1]!.whenClosed()).toBe('client-closed');
  });

  test('cancellation aborts the upstream request', async () => {
    upstream.reply({ textChunks: ['a', 'b'], hangAfterEvents: 4 });
    const controller = new AbortController();
    const stream = provider.complete(USER_HELLO, { signal: controller.signal });
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.join('') === 'ab') setTimeout(() => controller.abort(), 20);
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderCancelledError);
    expect(await upstream.requests[0]!.whenClosed()).toBe('client-closed');
  });
});
