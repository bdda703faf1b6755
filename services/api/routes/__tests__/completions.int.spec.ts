import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
import { flushRedisDatabase, ownRedisDatabase } from '../../../../test/redis-database.ts';
import { startFakeAnthropicServer, startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { createStateCache } from '../../../../commands/state-cache.ts';
import { createMemoryRelay } from '../../../../infra/relay/relay.ts';
import type { CompletionResult } from '../../../../shared/completions/completion-job.ts';
import { createCharacterPrompts } from '../../../completions/character-prompt.ts';
import { createCompletionRunner } from '../../../completions/completion-runner.ts';
import { createCompletionSealer } from '../../../completions/completion-sealing.ts';

/**
 * Completions end to end: HTTP -> queue -> worker -> fake upstream -> relay -> HTTP, on the queue backend the
 * configuration picks (PostgreSQL; Redis as well when REDIS_URL is set).
 */
// `postgres` takes the embedded fast path (the job starts on this process while it is queued); the hand-off
// variant makes every job wait for the queue to hand it to the worker.
const backends: Array<[string, Record<string, string>]> = [
  ['postgres', {}],
  ['postgres, queue hand-off', { COMPLETIONS_LOCAL_START: 'false' }],
];
const redisUrl = ownRedisDatabase(7);
if (redisUrl) {
  backends.push(['redis', { REDIS_URL: redisUrl }]);
  beforeAll(() => flushRedisDatabase(redisUrl));
} else {
  console.log('SKIP completions on Redis: REDIS_URL is not set');
  test.skip('completions (redis): REDIS_URL is not set', () => undefined);
}

const seraphinaPng = () => new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));

interface SseEvent {
  id?: string;
  data: string;
}

/** A streaming POST, read to the end (or until `stopAfter` events, then the connection is dropped). */
async function streamPost(
  svc: TestService,
  urlPath: string,
  body: unknown,
  options: { headers?: Record<string, string>; stopAfter?: number } = {},
) {
  const controller = new AbortController();
  const res = await fetch(`${svc.url}${urlPath}`, {
    method: 'POST',
    headers: { 'X-API-KEY': TEST_API_KEY, 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  return { res, ...(await readSse(res, controller, options.stopAfter)) };
}

async function readSse(res: Response, controller: AbortController, stopAfter?: number): Promise<{ events: SseEvent[]; text: string }> {
  const events: SseEvent[] = [];
  if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return { events, text: await res.text() };
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: SseEvent = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('data: ')) event.data += line.slice(6);
        }
        events.push(event);
        if (stopAfter !== undefined && events.length >= stopAfter) {
          controller.abort();
          return { events, text: '' };
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return { events, text: '' };
}

const contentOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data))
    .flatMap((c) => (c.choices ?? []).map((ch: { delta: { content?: string } }) => ch.delta.content ?? ''))
    .join('');

const until = async (check: () => Promise<boolean> | boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(backends)('completions end to end (%s)', (_backend, backendEnv) => {
  let upstream: FakeLlmServer;
  let svc: TestService;
  let seraphinaId: string;

  beforeAll(async () => {
    upstream = await startFakeOpenAIServer();
    svc = await startTestService({
      env: {
        ...backendEnv,
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: upstream.url,
        LLM_MODEL: 'fake-model',
        LLM_TIMEOUT_MS: '1500',
        LLM_CONTEXT_SIZE: '8192',
        LLM_REPLY_RESERVE: '512',
      },
      roles: { api: true, projector: true, worker: true },
    });
    const imported = await svc.upload('/api/v1/characters/import', { bytes: seraphinaPng(), filename: 'Seraphina.png' });
    expect(imported.status).toBe(201);
    seraphinaId = imported.body.id;
  });
  afterAll(async () => {
    await svc?.close();
    await upstream?.close();
  });

  const newChat = async () => {
    const res = await svc.request('POST', '/api/v1/character_chats', {
      body: { character_id: seraphinaId, settings: { user_name: 'Ann' } },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const pathOf = async (chatId: string) =>
    (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`)).body.items as Array<Record<string, any>>;
  const treeOf = async (chatId: string) =>
    (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?view=tree&limit=100`)).body.items as Array<
      Record<string, any>
    >;

  test('a plain proxy: the request reaches the provider as sent, the reply comes back in OpenAI format', async () => {
    upstream.clearRequests();
    upstream.reply({ text: 'Plain answer.' });
    const res = await svc.request('POST', '/api/v1/chat/completions', {
      body: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
        temperature: 0.3,
        top_p: 0.9,
        max_tokens: 50,
        stop: ['\n\n'],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      model: 'fake-model',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Plain answer.' }, finish_reason: 'stop' }],
      saved: false,
      conversation_id: null,
    });
    expect(res.body.id).toMatch(/^chatcmpl-/);
    expect(res.body.usage.total_tokens).toBeGreaterThan(0);
    const sent = upstream.requests[0]!.body;
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(sent).toMatchObject({ model: 'fake-model', temperature: 0.3, top_p: 0.9, max_tokens: 50, stop: ['\n\n'], stream: true });
  });

  test('one provider call per completion, also for concurrent retries of one request; the queue job completes with the result', async () => {
    upstream.clearRequests();
    // Unique per run: a Redis kept from an earlier run still holds that run's job, sealed with a key this database never had.
    const key = `once-${_backend.replace(/\W+/g, '-')}-${Date.now()}`;
    upstream.reply({ text: 'Once, and only once.', chunkBytes: 4, delayMs: 5 });
    const body = { messages: [{ role: 'user', content: 'How many times?' }] };
    const answers = await Promise.all(
      [0, 1, 2].map(() => svc.request('POST', '/api/v1/chat/completions', { body, headers: { 'Idempotency-Key': key } })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.map((a) => a.body.choices[0].message.content)).toEqual([
      'Once, and only once.',
      'Once, and only once.',
      'Once, and only once.',
    ]);
    await until(async () => (await svc.runtime.queue.getJob(answers[0]!.body.id))?.state === 'completed');
    const job = await svc.runtime.queue.getJob(answers[0]!.body.id);
    // Stored sealed with the user's key (see completion-sealing.ts): nothing of it in clear.
    expect(JSON.stringify(job!.result)).not.toContain('only once');
    const result = await createCompletionSealer(svc.runtime.dataKeys).open<CompletionResult>(job!.id, 'result', job!.result);
    expect(result!.completion.choices[0]!.message.content).toBe('Once, and only once.');
    await new Promise((r) => setTimeout(r, 200)); // room for a second run, if there were one
    expect(upstream.requests).toHaveLength(1);
  });

  test('streaming: OpenAI chunks with ids, every token in order, one [DONE]', async () => {
    const text = 'Once upon a time, in a forest of whispering pines, a traveler rested.';
    upstream.reply({ text, chunkBytes: 7 });
    const { res, events } = await streamPost(svc, '/api/v1/chat/completions', {
      stream: true,
      messages: [{ role: 'user', content: 'Tell me a story' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(events.filter((e) => e.data === '[DONE]')).toHaveLength(1);
    expect(contentOf(events)).toBe(text);
    const chunks = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([res.headers.get('x-completion-id')]));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(events.slice(0, -1).every((e) => e.id !== undefined)).toBe(true);
  });

  test('tool calls pass through both ways in OpenAI format', async () => {
    upstream.clearRequests();
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    upstream.reply({ toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: '{"city":"Eldoria"}' }] });
    const first = await svc.request('POST', '/api/v1/chat/completions', {
      body: { messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'auto' },
    });
    expect(first.status).toBe(200);
    expect(first.body.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Eldoria"}' } }],
      },
    });
    expect(upstream.requests[0]!.body).toMatchObject({ tools, tool_choice: 'auto' });

    upstream.reply({ text: 'Sunny in Eldoria.' });
    const messages = [
      { role: 'user', content: 'Weather?' },
      first.body.choices[0].message,
      { role: 'tool', tool_call_id: 'call_w', content: '{"sky":"clear"}' },
    ];
    const second = await svc.request('POST', '/api/v1/chat/completions', { body: { messages, tools } });
    expect(second.body.choices[0].message.content).toBe('Sunny in Eldoria.');
    expect(upstream.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Eldoria"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_w', content: '{"sky":"clear"}' },
    ]);

    // Streamed tool-call deltas reach the client as OpenAI deltas.
    upstream.reply({ toolCalls: [{ id: 'call_s', name: 'get_weather', arguments: '{"city":"Glade"}' }] });
    const { events } = await streamPost(svc, '/api/v1/chat/completions', {
      stream: true,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools,
    });
    const deltas = events
      .filter((e) => e.data !== '[DONE]')
      .flatMap((e) => JSON.parse(e.data).choices.flatMap((c: any) => c.delta.tool_calls ?? []));
    expect(deltas[0]).toMatchObject({ index: 0, id: 'call_s', function: { name: 'get_weather' } });
    expect(deltas.map((d: any) => d.function?.arguments ?? '').join('')).toBe('{"city":"Glade"}');
  });

  test("Seraphina: the lore of a key the user mentions reaches the provider; the turn is stored once with the reply's metadata", async () => {
    const chatId = await newChat();
    upstream.clearRequests();
    const reply = '*Seraphina frowns.* "Shadowfangs hunt beyond the glade."';
    upstream.reply({ text: reply, textChunks: ['*Seraphina', ' frowns.* ', '"Shadowfangs hunt', ' beyond the glade."'] });
    const { res, events } = await streamPost(svc, '/api/v1/chat/completions', {
      stream: true,
      character_id: seraphinaId,
      conversation_id: chatId,
      messages: [{ role: 'user', content: 'What is a shadowfang?' }],
    });
    expect(res.status).toBe(200);
    expect(contentOf(events)).toBe(reply);
    const trailer = events
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data))
      .at(-1);
    expect(trailer).toMatchObject({ conversation_id: chatId, saved: true });

    const sent = upstream.requests[0]!.body;
    const prompt = (sent.messages as Array<{ role: string; content: string }>).map((m) => m.content).join('\n');
    expect(prompt).toContain('Shadowfang'); // the lorebook entry's content
    expect(prompt).toContain('Seraphina'); // the card
    expect(sent.messages.at(-1)).toMatchObject({ role: 'user', content: 'What is a shadowfang?' });
    expect(sent.max_tokens).toBe(512);

    const messages = await pathOf(chatId);
    expect(messages.map((m) => m.sender)).toEqual(['assistant', 'user', 'assistant']);
    expect(messages[1]).toMatchObject({ content: 'What is a shadowfang?', id: trailer.message_ids.turn[0] });
    expect(messages[2]).toMatchObject({ content: reply, id: trailer.message_ids.reply });
    const meta = messages[2]!.metadata;
    expect(meta).toMatchObject({
      provider: 'default',
      model: 'fake-model',
      finish_reason: 'stop',
      mode: 'normal',
      completion_id: res.headers.get('x-completion-id'),
    });
    expect(meta.usage.total_tokens).toBeGreaterThan(0);
    expect(typeof meta.latency_ms).toBe('number');
    expect(meta.lorebook.activated.map((a: { comment?: string }) => a.comment)).toContain('shadowfang');
  });

  test('an idempotent retry is the same job: one upstream call, the same answer, one stored reply', async () => {
    const chatId = await newChat();
    upstream.clearRequests();
    upstream.reply({ text: 'Only once.', delayMs: 20 });
    const body = { character_id: seraphinaId, conversation_id: chatId, messages: [{ role: 'user', content: 'Hello there' }] };
    const headers = { 'Idempotency-Key': `retry-${chatId}` };
    const [a, b] = await Promise.all([
      svc.request('POST', '/api/v1/chat/completions', { body, headers }),
      svc.request('POST', '/api/v1/chat/completions', { body, headers }),
    ]);
    const c = await svc.request('POST', '/api/v1/chat/completions', { body, headers });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(b.body.id).toBe(a.body.id);
    expect(c.body).toEqual(a.body);
    expect(upstream.requests).toHaveLength(1);
    expect((await pathOf(chatId)).map((m) => m.content)).toEqual([expect.any(String), 'Hello there', 'Only once.']);
    // The stream of a finished completion replays; the same key with another body is refused.
    const replay = await streamPost(
      svc,
      '/api/v1/chat/completions',
      { ...body, stream: true },
      { headers: { 'Idempotency-Key': `retry-stream-${chatId}` } },
    );
    expect(contentOf(replay.events)).toBe('Hello from the fake OpenAI server.');
    const reused = await svc.request('POST', '/api/v1/chat/completions', {
      body: { ...body, messages: [{ role: 'user', content: 'Something else' }] },
      headers,
    });
    expect(reused.status).toBe(422);
  });

  test('the same job run again (another worker after a crash) stores nothing more', async () => {
    const chatId = await newChat();
    upstream.reply({ text: 'Stored once.' }, { text: 'A second run.' });
    const first = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { message: 'Hello' } });
    expect(first.status).toBe(200);
    const job = await svc.runtime.queue.getJob(first.body.completion_id);
    const { runtime } = svc;
    const otherWorker = createCompletionRunner({
      providers: runtime.providers,
      relay: createMemoryRelay(),
      prompts: createCharacterPrompts(runtime.database.db, runtime.config.READ_SCHEMA),
      chats: { eventStore: runtime.eventStore, stateCache: createStateCache(), config: runtime.config },
      eventStore: runtime.eventStore,
      waiter: runtime.waiter,
      readYourWritesTimeoutMs: 2000,
      sealer: createCompletionSealer(runtime.dataKeys),
      images: { blobs: runtime.blobStore, quotaBytes: runtime.config.STORAGE_QUOTA_BYTES_PER_USER },
    });
    const sealed = await otherWorker(job!.data, {
      jobId: job!.id,
      jobName: 'completion',
      attempt: 2,
      maxAttempts: 2,
      signal: new AbortController().signal,
      log: runtime.logger,
    });
    const again = (await createCompletionSealer(runtime.dataKeys).open<CompletionResult>(job!.id, 'result', sealed))!;
    expect(again.saved).toEqual({ chatId, turnMessageIds: first.body.message_ids.turn, replyMessageId: first.body.message_ids.reply });
    const messages = await treeOf(chatId);
    expect(messages.map((m) => m.content)).toEqual([expect.any(String), 'Hello', 'Stored once.']);
  });

  test('a stream resumes after Last-Event-ID', async () => {
    upstream.reply({ text: 'abcdefghijklmnopqrstuvwxyz', textChunks: ['abc', 'def', 'ghi', 'jkl', 'mno'] });
    const first = await streamPost(svc, '/api/v1/chat/completions', {
      stream: true,
      resumable: true,
      messages: [{ role: 'user', content: 'letters' }],
    });
    const id = first.res.headers.get('x-completion-id')!;
    const third = first.events[2]!;
    const res = await fetch(`${svc.url}/api/v1/chat/completions/${id}/stream`, {
      headers: { 'X-API-KEY': TEST_API_KEY, 'Last-Event-ID': third.id! },
    });
    const resumed = await readSse(res, new AbortController());
    expect(resumed.events.map((e) => e.data)).toEqual(first.events.slice(3).map((e) => e.data));
  });

  test('complete: normal, regenerate (a new alternate), continue (the reply extended), impersonate (not stored)', async () => {
    const chatId = await newChat();
    upstream.reply({ text: 'First reply.' });
    const normal = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { message: 'Hi Seraphina' } });
    expect(normal.status).toBe(200);
    expect(normal.body).toMatchObject({ mode: 'normal', content: 'First reply.', saved: true, finish_reason: 'stop' });
    const userMessageId = normal.body.message_ids.turn[0];

    upstream.clearRequests();
    upstream.reply({ text: 'Second take.' });
    const regen = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { mode: 'regenerate' } });
    expect(regen.body).toMatchObject({ mode: 'regenerate', content: 'Second take.', saved: true });
    // The replaced reply is not in the prompt; the user's message is the last one answered.
    expect(upstream.requests[0]!.body.messages.map((m: { content: string }) => m.content)).not.toContain('First reply.');
    const reply = (await svc.request('GET', `/api/v1/character_messages/messages/${regen.body.message_ids.reply}`)).body;
    expect(reply).toMatchObject({ parent_message_id: userMessageId, alternate_count: 2, alternate_index: 1, on_active_path: true });

    upstream.reply({ text: ' And more.' });
    const cont = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { mode: 'continue' } });
    expect(cont.body).toMatchObject({ mode: 'continue', content: 'Second take. And more.', saved: true });
    const continued = (await svc.request('GET', `/api/v1/character_messages/messages/${cont.body.message_ids.reply}`)).body;
    expect(continued).toMatchObject({
      content: 'Second take. And more.',
      alternate_of: regen.body.message_ids.reply,
      parent_message_id: userMessageId,
      on_active_path: true,
    });

    const before = await treeOf(chatId);
    upstream.reply({ text: 'I walk closer.' });
    const imp = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { mode: 'impersonate' } });
    expect(imp.body).toMatchObject({ mode: 'impersonate', content: 'I walk closer.', saved: false, message_ids: null });
    expect(await treeOf(chatId)).toEqual(before);
  });

  test('prepare: the exact messages, token accounting and lorebook diagnostics, without calling the provider', async () => {
    const chatId = await newChat();
    upstream.clearRequests();
    const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, {
      body: { message: 'Are there monsters near the glade?' },
    });
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(0);
    expect(res.body.messages.at(-1)).toMatchObject({ role: 'user', content: 'Are there monsters near the glade?' });
    expect(res.body.tokens.total).toBeGreaterThan(0);
    expect(res.body.tokens.budget).toBe(8192 - 512);
    const fired = res.body.world_info.activated.map((a: { comment?: string }) => a.comment);
    expect(fired).toEqual(expect.arrayContaining(['shadowfang', 'glade']));
    expect(res.body.world_info.diagnostics.length).toBeGreaterThanOrEqual(4);
    // The same prompt is what a completion then sends.
    upstream.reply({ text: 'Yes.' });
    await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { message: 'Are there monsters near the glade?' } });
    expect(upstream.requests[0]!.body.messages).toEqual(res.body.messages);
  });

  test('an unknown character is 404 (never a stand-in); a chat of another character is 400', async () => {
    const missing = await svc.request('POST', '/api/v1/chat/completions', {
      body: { character_id: '01a20b51-8aef-70e2-bc70-d07f7c1061d9', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(missing.status).toBe(404);
    const other = await svc.request('POST', '/api/v1/characters', { body: { name: `Other ${Date.now()}`, first_message: 'hey' } });
    const chatId = await newChat();
    const mismatch = await svc.request('POST', '/api/v1/chat/completions', {
      body: { character_id: other.body.id, conversation_id: chatId, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(mismatch.status).toBe(400);
  });

  test('a character without a conversation gets a new chat when saving, none when not', async () => {
    upstream.reply({ text: 'Welcome.' }, { text: 'Ephemeral.' });
    const saved = await svc.request('POST', '/api/v1/chat/completions', {
      body: { character_id: seraphinaId, messages: [{ role: 'user', content: 'Where am I?' }] },
    });
    expect(saved.body).toMatchObject({ saved: true, character_id: seraphinaId });
    const messages = await pathOf(saved.body.conversation_id);
    expect(messages.map((m) => m.content).slice(1)).toEqual(['Where am I?', 'Welcome.']);
    const unsaved = await svc.request('POST', '/api/v1/chat/completions', {
      body: { character_id: seraphinaId, save_to_db: false, messages: [{ role: 'user', content: 'Where am I?' }] },
    });
    expect(unsaved.body).toMatchObject({ saved: false, conversation_id: null, choices: [{ message: { content: 'Ephemeral.' } }] });
  });

  test.each([
    [{ kind: 'http-error', status: 400, message: 'bad temperature' }, 400, 'upstream_client_error'],
    [{ kind: 'http-error', status: 401, message: 'invalid key' }, 401, 'upstream_client_error'],
    [{ kind: 'http-error', status: 500 }, 502, 'upstream_server_error'],
    [{ kind: 'http-error', status: 429, headers: { 'retry-after': '7' } }, 429, 'upstream_rate_limited'],
    [{ kind: 'hang', phase: 'before-headers' }, 504, 'upstream_timeout'],
  ] as const)('upstream failure %o -> %i %s (streaming and not)', async (script, status, code) => {
    upstream.reply(script as never);
    const plain = await svc.request('POST', '/api/v1/chat/completions', { body: { messages: [{ role: 'user', content: 'x' }] } });
    expect(plain.status).toBe(status);
    expect(plain.body.code).toBe(code);
    if (status === 429) {
      expect(plain.body.retry_after).toBe('7');
      expect(plain.headers.get('retry-after')).toBe('7');
    }
    if (status === 400) expect(plain.body.detail).toContain('bad temperature');
    upstream.reply(script as never);
    const streamed = await streamPost(svc, '/api/v1/chat/completions', { stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(streamed.res.status).toBe(status);
    expect(JSON.parse(streamed.text).code).toBe(code);
  });

  test('an error mid-stream ends the stream with an error event and [DONE]; nothing is stored', async () => {
    const chatId = await newChat();
    upstream.reply({ text: 'Half a sentence that never', errorAfterEvents: 3 });
    const { res, events } = await streamPost(svc, '/api/v1/chat/completions', {
      stream: true,
      character_id: seraphinaId,
      conversation_id: chatId,
      messages: [{ role: 'user', content: 'Go on' }],
    });
    expect(res.status).toBe(200);
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(JSON.parse(events.at(-2)!.data).error).toMatchObject({ code: 'upstream_stream_error' });
    expect((await pathOf(chatId)).map((m) => m.sender)).toEqual(['assistant']);
  });

  test('a client that disconnects aborts the upstream request; nothing is stored', async () => {
    const chatId = await newChat();
    upstream.reply({ text: 'This will never be finished because the client leaves', hangAfterEvents: 3 });
    const request = upstream.waitForRequest();
    const { events } = await streamPost(
      svc,
      '/api/v1/chat/completions',
      { stream: true, character_id: seraphinaId, conversation_id: chatId, messages: [{ role: 'user', content: 'Wait' }] },
      { stopAfter: 2 },
    );
    expect(events).toHaveLength(2);
    const upstreamRequest = await request;
    await expect(upstreamRequest.whenClosed()).resolves.toBe('client-closed');
    await until(async () => (await svc.runtime.queue.getJob(JSON.parse(events[0]!.data).id))?.state === 'failed');
    expect((await pathOf(chatId)).map((m) => m.sender)).toEqual(['assistant']);
  });

  test('cancel route: the upstream request is aborted', async () => {
    upstream.reply({ text: 'Long story', hangAfterEvents: 2 });
    const request = upstream.waitForRequest();
    const controller = new AbortController();
    // Headers (with the completion id) come with the first chunk.
    const res = await fetch(`${svc.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'X-API-KEY': TEST_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, resumable: true, messages: [{ role: 'user', content: 'Long' }] }),
      signal: controller.signal,
    });
    const id = res.headers.get('x-completion-id')!;
    const upstreamRequest = await request;
    const cancelled = await svc.request('POST', `/api/v1/chat/completions/${id}/cancel`);
    expect(cancelled.status).toBe(202);
    await expect(upstreamRequest.whenClosed()).resolves.toBe('client-closed');
    const { events } = await readSse(res, controller);
    expect(JSON.parse(events.at(-2)!.data).error).toMatchObject({ code: 'cancelled' });
  });
});

describe('completions against Anthropic and without a provider', () => {
  test('an Anthropic provider: Seraphina with the lorebook through the Messages API', async () => {
    const upstream = await startFakeAnthropicServer();
    const svc = await startTestService({
      env: { LLM_PROVIDER: 'anthropic', LLM_BASE_URL: upstream.url, LLM_API_KEY: 'sk-ant-test', LLM_MODEL: 'claude-test' },
      roles: { api: true, projector: true, worker: true },
    });
    try {
      const imported = await svc.upload('/api/v1/characters/import', { bytes: seraphinaPng(), filename: 'Seraphina.png' });
      upstream.reply({ text: 'The forest protects you.' });
      const { res, events } = await streamPost(svc, '/api/v1/chat/completions', {
        stream: true,
        character_id: imported.body.id,
        messages: [{ role: 'user', content: 'Is Eldoria safe?' }],
      });
      expect(res.status).toBe(200);
      expect(contentOf(events)).toBe('The forest protects you.');
      const body = upstream.requests[0]!.body;
      expect(body.model).toBe('claude-test');
      expect(body.system).toContain('Eldoria');
      expect(body.messages.at(-1).role).toBe('user');
    } finally {
      await svc.close();
      await upstream.close();
    }
  });

  test('no provider configured: 503 saying how to configure one', async () => {
    const svc = await startTestService({ roles: { api: true, projector: true, worker: true } });
    try {
      const res = await svc.request('POST', '/api/v1/chat/completions', { body: { messages: [{ role: 'user', content: 'hi' }] } });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'llm_not_configured' });
      expect(res.body.detail).toContain('LLM_PROVIDER');
    } finally {
      await svc.close();
    }
  });
});
