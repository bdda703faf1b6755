import path from 'node:path';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../infra/db/embedded-postgres.ts';
import { lastUserText, startFakeOpenAIServer, type FakeLlmServer } from '../../test/fake-llm/index.ts';
import { killRoleProcesses, startRedisServer, startRoleProcess, type RoleProcess } from '../../test/role-processes.ts';
import { apiClient, tempDataDir, waitFor } from '../../test/service-process.ts';

/**
 * The distributed topology as separate processes (the start:api / start:projector / start:worker entry points) on
 * one PostgreSQL and one Redis started here: two APIs, a projector with a standby, two workers, and a local
 * stand-in for the LLM provider that counts its calls. Read-your-writes holds across APIs, every completion runs
 * once, a worker killed mid-job loses nothing (the waiting client gets the rerun's reply), and the standby
 * projector takes over from a killed leader. The same kill-a-worker case runs on the PostgreSQL-backed queue.
 */
const API_KEY = 'scale-out-test-key-0123456789';
const SLOW_REPLY = 'Once upon a time, in a forest of silver trees, a guardian kept watch over the sleeping village.';

let postgres: EmbeddedPostgres;
let redis: { url: string; stop(): Promise<void> } | undefined;
let llm: FakeLlmServer;
const dataDir = tempDataDir('ccb-scale-');

beforeAll(async () => {
  postgres = await startEmbeddedPostgres({ dir: path.join(dataDir, 'pg'), fast: true });
  redis = await startRedisServer();
  if (!redis) console.log('SKIP scale-out on Redis: redis-server is not installed (.ci/run installs it)');
  llm = await startFakeOpenAIServer();
  // A prompt ending in "slow:" streams a long reply slowly (time to kill its worker); any other is answered at once.
  llm.setDefaultReply((request) => {
    const text = lastUserText(request);
    return text.startsWith('slow:')
      ? { text: SLOW_REPLY, textChunks: SLOW_REPLY.match(/.{1,6}/g)!, delayMs: 120 }
      : { text: `reply to ${text}` };
  });
  const admin = new pg.Client({ connectionString: postgres.connectionString() });
  await admin.connect();
  await admin.query('CREATE DATABASE redis_mode');
  await admin.query('CREATE DATABASE postgres_mode');
  await admin.end();
}, 60_000);

afterAll(async () => {
  await killRoleProcesses();
  await llm?.close();
  await redis?.stop();
  await postgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const envFor = (database: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: postgres.connectionString(database),
  API_KEY,
  LLM_PROVIDER: 'openai-compatible',
  LLM_BASE_URL: `${llm.url}/v1`,
  LLM_MODEL: 'fake-model',
  // A worker that dies is noticed (its job's lock not renewed) within this.
  WORKER_LOCK_DURATION_MS: '1500',
  ...extra,
});

/** One completion request; a stream is read to its end and its content deltas joined. */
async function complete(apiUrl: string, body: Record<string, unknown>, onDelta?: (soFar: string) => void) {
  const res = await fetch(`${apiUrl}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { 'X-API-KEY': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake-model', ...body }),
  });
  if (!body.stream) return { status: res.status, body: (await res.json()) as any, content: '', events: [] as any[] };
  const events: any[] = [];
  let content = '';
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (!data || data === '[DONE]') {
        if (data) events.push('[DONE]');
        continue;
      }
      const event = JSON.parse(data);
      events.push(event);
      content += event.choices?.[0]?.delta?.content ?? '';
      onDelta?.(content);
    }
  }
  return { status: res.status, body: undefined, content, events };
}

/** The worker running a job right now (asked through each worker's own health endpoint). */
const busyWorker = (workers: RoleProcess[]) =>
  waitFor(
    'a worker to run the job',
    async () => {
      for (const w of workers) if ((await w.health().catch(() => undefined))?.body.active_jobs?.length) return w;
      return undefined;
    },
    15_000,
    50,
  );

const callsFor = (text: string) => llm.requests.filter((r) => lastUserText(r) === text).length;

async function characterAndChat(call: ReturnType<typeof apiClient>, name: string) {
  const character = await call('POST', '/api/v1/characters', { body: { name, description: 'A guardian' } });
  expect(character.status).toBe(201);
  const chat = await call('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
  expect(chat.status).toBe(201);
  return { characterId: character.body.id as string, chatId: chat.body.id as string };
}

const repliesIn = async (call: ReturnType<typeof apiClient>, chatId: string) => {
  const list = await call('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`);
  expect(list.status).toBe(200);
  return (list.body.items as Array<{ sender: string; content: string }>).filter((m) => m.sender === 'assistant');
};

describe('scale-out on Redis: two APIs, a projector and its standby, two workers', () => {
  let apiA: RoleProcess;
  let apiB: RoleProcess;
  let projectors: RoleProcess[];
  let workers: RoleProcess[];
  let callA: ReturnType<typeof apiClient>;
  let callB: ReturnType<typeof apiClient>;
  const run = () => redis !== undefined;

  beforeAll(async () => {
    if (!redis) return;
    const env = envFor('redis_mode', { REDIS_URL: redis.url });
    // The first process creates the schemas; the others start on them together.
    const first = await startRoleProcess('projector', 'projector-1', env);
    const rest = await Promise.all([
      startRoleProcess('projector', 'projector-2', env),
      startRoleProcess('api', 'api-a', env),
      startRoleProcess('api', 'api-b', env),
      startRoleProcess('worker', 'worker-1', env),
      startRoleProcess('worker', 'worker-2', env),
    ]);
    projectors = [first, rest[0]];
    [apiA, apiB] = [rest[1], rest[2]];
    workers = [rest[3], rest[4]];
    callA = apiClient(apiA.url, API_KEY);
    callB = apiClient(apiB.url, API_KEY);
  }, 90_000);

  test('every role answers for its own state: one projector leads, the other stands by; workers take jobs', async () => {
    if (!run()) return;
    const states = await Promise.all(projectors.map((p) => p.health()));
    expect(states.map((s) => s.status)).toEqual([200, 200]);
    expect(states.map((s) => s.body.leader).sort()).toEqual([false, true]);
    for (const w of workers) expect(await w.health()).toMatchObject({ status: 200, body: { role: 'worker', active_jobs: [] } });
  });

  test('read-your-writes across API processes: written on A, read at once on B (and back)', async () => {
    if (!run()) return;
    for (let i = 0; i < 15; i += 1) {
      const created = await callA('POST', '/api/v1/characters', { body: { name: `Across ${i}` } });
      expect(created.status).toBe(201);
      const read = await callB('GET', `/api/v1/characters/${created.body.id}`);
      expect(read).toMatchObject({ status: 200, body: { name: `Across ${i}`, version: 1 } });
    }
    const { chatId } = await characterAndChat(callB, 'Across chat');
    for (let i = 0; i < 10; i += 1) {
      const posted = await (i % 2 ? callA : callB)('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
        body: { sender: 'user', content: `message ${i}` },
      });
      expect(posted.status).toBe(201);
      const list = await (i % 2 ? callB : callA)('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`);
      expect(list.body.items.map((m: { content: string }) => m.content)).toContain(`message ${i}`);
    }
  });

  test('every completion runs exactly once, by either worker', async () => {
    if (!run()) return;
    const texts = Array.from({ length: 12 }, (_, i) => `once ${i}`);
    const results = await Promise.all(
      texts.map((text, i) => complete((i % 2 ? apiA : apiB).url, { messages: [{ role: 'user', content: text }], stream: i % 3 === 0 })),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body ? r.body.choices[0].message.content : r.content).toBe(`reply to ${texts[i]}`);
    });
    for (const text of texts) expect(callsFor(text)).toBe(1);
  });

  test("a worker killed mid-stream loses nothing: the waiting client gets the rerun's reply, stored once", async () => {
    if (!run()) return;
    const { characterId, chatId } = await characterAndChat(callA, 'Kill worker stream');
    const prompt = 'slow: tell me a tale (redis)';
    let killed: Promise<RoleProcess> | undefined;
    const streamed = complete(
      apiA.url,
      { stream: true, character_id: characterId, conversation_id: chatId, messages: [{ role: 'user', content: prompt }] },
      // Kill the worker once the client holds part of the reply.
      (soFar) => {
        if (!killed && soFar.length >= 12) killed = busyWorker(workers).then(async (w) => (await w.kill(), w));
      },
    );
    const result = await streamed;
    const victim = await killed!;
    expect(result.status).toBe(200);
    expect(result.events.filter((e) => e !== '[DONE]' && e.error)).toEqual([]);
    expect(result.content).toBe(SLOW_REPLY);
    expect(result.events.at(-1)).toBe('[DONE]');
    expect(callsFor(prompt)).toBe(2); // the first run (killed) and the rerun
    const replies = await repliesIn(callB, chatId);
    expect(replies.map((m) => m.content)).toEqual([SLOW_REPLY]);
    workers = workers.filter((w) => w !== victim);
  }, 60_000);

  test("a worker killed while a client waits without streaming: the client gets the rerun's result, never a 502 completion_restarted", async () => {
    if (!run()) return;
    // The killed worker of the test before is replaced, so one can die here and another rerun.
    workers.push(await startRoleProcess('worker', 'worker-3', envFor('redis_mode', { REDIS_URL: redis!.url })));
    const { characterId, chatId } = await characterAndChat(callA, 'Kill worker wait redis');
    const prompt = 'slow: tell me a tale (redis, waiting)';
    const waiting = complete(apiB.url, {
      stream: false,
      character_id: characterId,
      conversation_id: chatId,
      messages: [{ role: 'user', content: prompt }],
    });
    await waitFor('the provider to start streaming', () => callsFor(prompt) === 1, 15_000, 20);
    const victim = await busyWorker(workers);
    await new Promise((r) => setTimeout(r, 400)); // mid-reply
    await victim.kill();
    workers = workers.filter((w) => w !== victim);
    const result = await waiting;
    expect(JSON.stringify(result.body)).not.toContain('completion_restarted');
    expect(result.status).toBe(200);
    expect(result.body.choices[0].message.content).toBe(SLOW_REPLY);
    expect(callsFor(prompt)).toBe(2);
    expect((await repliesIn(callA, chatId)).map((m) => m.content)).toEqual([SLOW_REPLY]);
  }, 60_000);

  test('the standby projector takes over when the leader is killed; read-your-writes holds after', async () => {
    if (!run()) return;
    const leaderIndex = (await Promise.all(projectors.map((p) => p.health()))).findIndex((s) => s.body.leader === true);
    const [leader, standby] = [projectors[leaderIndex]!, projectors[1 - leaderIndex]!];
    await leader.kill();
    await waitFor('the standby to lead', async () => (await standby.health()).body.leader === true, 20_000);
    const created = await callB('POST', '/api/v1/characters', { body: { name: 'After the takeover' } });
    expect(created.status).toBe(201);
    expect(await callA('GET', `/api/v1/characters/${created.body.id}`)).toMatchObject({
      status: 200,
      body: { name: 'After the takeover' },
    });
  }, 30_000);
});

describe('scale-out on the PostgreSQL-backed queue: a worker killed mid-job', () => {
  let api: RoleProcess;
  let workers: RoleProcess[];

  beforeAll(async () => {
    const env = envFor('postgres_mode');
    const projector = await startRoleProcess('projector', 'pg-projector', env);
    const rest = await Promise.all([
      startRoleProcess('api', 'pg-api', env),
      startRoleProcess('worker', 'pg-worker-1', env),
      startRoleProcess('worker', 'pg-worker-2', env),
    ]);
    expect((await projector.health()).body.leader).toBe(true);
    [api, ...workers] = rest;
  }, 90_000);

  test("the client waiting on the completion gets the rerun's result, stored once", async () => {
    const call = apiClient(api.url, API_KEY);
    const { characterId, chatId } = await characterAndChat(call, 'Kill worker wait');
    const prompt = 'slow: tell me a tale (postgres)';
    const waiting = complete(api.url, {
      stream: false,
      character_id: characterId,
      conversation_id: chatId,
      messages: [{ role: 'user', content: prompt }],
    });
    await waitFor('the provider to start streaming', () => callsFor(prompt) === 1, 15_000, 20);
    const victim = await busyWorker(workers);
    await new Promise((r) => setTimeout(r, 400)); // mid-reply
    await victim.kill();
    const result = await waiting;
    expect(result.status).toBe(200);
    expect(JSON.stringify(result.body)).not.toContain('completion_restarted');
    expect(result.body.choices[0].message.content).toBe(SLOW_REPLY);
    expect(callsFor(prompt)).toBe(2);
    expect((await repliesIn(call, chatId)).map((m) => m.content)).toEqual([SLOW_REPLY]);
  }, 60_000);
});
