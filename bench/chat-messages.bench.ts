import os from 'node:os';
import pg from 'pg';
import { createChat } from '../commands/chats/chat-workflows.ts';
import type { SeedMessage } from '../commands/chats/chat-decider.ts';
import { createStateCache } from '../commands/state-cache.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { newId } from '../shared/ids.ts';
import { benchPostgres, machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Long chats stay fast. One run, two chats of the same character: one with 10,000 messages, one with 100.
 * Both are seeded through the command side (one CreateChat command, appended in one batch), then measured
 * over HTTP against `npm start`'s service (a child process on a durable embedded PostgreSQL):
 * - append one message end to end (command -> append -> projection -> read-your-writes -> response):
 *   p50 < 10 ms, and flat: the 10,000-message chat within 1.5x of the 100-message one;
 * - read the latest 50 messages of the conversation: p50 < 20 ms.
 * Requests alternate between the two chats so drift (cache warmth, autovacuum) hits both alike. Baselines in
 * the same run: the same pipeline's simplest command (PUT a character's description) and GET /health.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);
const LONG = Number(process.env.BENCH_LONG_CHAT ?? 10_000);
const SHORT = 100;

const database = await benchPostgres();
const service = await startService({ DATABASE_URL: database.url, MAX_MESSAGES_PER_CHAT: '1000000' });
const headers = { 'content-type': 'application/json', 'x-api-key': service.key };
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
};

const character = await api('POST', '/api/v1/characters', { name: 'Bench', first_message: 'Hello, traveller.' });

// Seeding through the command side, in this process, on the same event log.
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
const eventStore = createPostgresEventStore({ pool });
const seedDeps = { eventStore, stateCache: createStateCache(), config: { MAX_CHATS_PER_USER: 100_000, MAX_MESSAGES_PER_CHAT: 1_000_000 } };
const context = { userId: 'local', isAdmin: false, requestId: 'bench-seed', correlationId: 'bench-seed', causationId: 'bench-seed' };
const text = (i: number) => `Message ${i}: ${'the forest is quiet tonight, and the lanterns sway in the wind. '.repeat(3)}`;

async function seedChat(messages: number): Promise<{ id: string; seedSeconds: number }> {
  const started = performance.now();
  const chatId = newId();
  let parentId: string | null = null;
  const seeds: SeedMessage[] = [];
  for (let i = 0; i < messages; i++) {
    const messageId = newId();
    seeds.push({
      messageId,
      parentId,
      sender: i % 2 ? 'user' : 'assistant',
      name: null,
      content: text(i),
      image: null,
      metadata: null,
      sentAt: null,
      active: true,
    });
    parentId = messageId;
  }
  await createChat(seedDeps, context, {
    chatId,
    characterId: character.id as string,
    characterName: 'Bench',
    title: `${messages} messages`,
    settings: {},
    forkedFrom: null,
    importedFrom: null,
    messages: seeds,
  });
  // wait for the service's projector to have it all
  for (;;) {
    const chat = await fetch(`${service.url}/api/v1/character_chats/${chatId}`, { headers }).then(
      (r) => r.json() as Promise<{ message_count?: number }>,
    );
    if (chat.message_count === messages) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { id: chatId, seedSeconds: Math.round((performance.now() - started) / 100) / 10 };
}

const long = await seedChat(LONG);
const short = await seedChat(SHORT);
await pool.end();

const append = async (chatId: string, i: number) => {
  const t = performance.now();
  await api('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { sender: i % 2 ? 'assistant' : 'user', content: text(i) });
  return performance.now() - t;
};
const latest = async (chatId: string) => {
  const t = performance.now();
  const page = await api('GET', `/api/v1/character_messages/chats/${chatId}/messages?order=desc&limit=50`);
  if ((page.items as unknown[]).length !== 50) throw new Error('expected 50 messages');
  return performance.now() - t;
};

// Warm-up: the service's state cache loads each chat once (the first command on a cold 10,000-message chat
// reads its whole stream), and connections and plans warm up.
const coldFirstAppend = await append(long.id, 0);
for (let i = 0; i < 30; i++) {
  await append(long.id, i);
  await append(short.id, i);
  await latest(long.id);
  await latest(short.id);
}

const baseline = async (i: number) => {
  const t = performance.now();
  await api('PUT', `/api/v1/characters/${character.id as string}`, { description: `revision ${i}` });
  return performance.now() - t;
};
const health = async () => {
  const t = performance.now();
  await (await fetch(`${service.url}/health`)).text();
  return performance.now() - t;
};
const samples = {
  appendLong: [] as number[],
  appendShort: [] as number[],
  readLong: [] as number[],
  readShort: [] as number[],
  command: [] as number[],
  health: [] as number[],
};
for (let i = 0; i < ITERATIONS; i++) {
  const longFirst = i % 2 === 0;
  if (longFirst) samples.appendLong.push(await append(long.id, i));
  samples.appendShort.push(await append(short.id, i));
  if (!longFirst) samples.appendLong.push(await append(long.id, i));
  if (longFirst) samples.readLong.push(await latest(long.id));
  samples.readShort.push(await latest(short.id));
  if (!longFirst) samples.readLong.push(await latest(long.id));
  samples.command.push(await baseline(i));
  samples.health.push(await health());
}
const finalLong = (await api('GET', `/api/v1/character_chats/${long.id}`)).message_count;
await service.stop();
await database.cleanup();

const appendLong = summarize(samples.appendLong);
const appendShort = summarize(samples.appendShort);
const readLong = summarize(samples.readLong);
const readShort = summarize(samples.readShort);
const command = summarize(samples.command);
const healthMs = summarize(samples.health);
const growth = Math.round((appendLong.p50 / appendShort.p50) * 100) / 100;
const result = {
  machine: machine(),
  iterations: ITERATIONS,
  chats: {
    long: { seeded: LONG, atEnd: finalLong, seedSeconds: long.seedSeconds },
    short: { seeded: SHORT, seedSeconds: short.seedSeconds },
  },
  coldFirstAppendMs: Math.round(coldFirstAppend * 10) / 10,
  appendMs: { long: appendLong, short: appendShort, growth },
  readLatest50Ms: { long: readLong, short: readShort },
  baselineMs: { characterUpdate: command, health: healthMs },
  loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  targets: {
    appendP50Ms: 10,
    readLatest50P50Ms: 20,
    maxGrowth: 1.5,
    met: appendLong.p50 < 10 && appendShort.p50 < 10 && readLong.p50 < 20 && growth <= 1.5,
  },
};
table([
  { measure: `append one message, ${LONG.toLocaleString('en')}-message chat`, ...appendLong },
  { measure: `append one message, ${SHORT}-message chat`, ...appendShort },
  { measure: `read latest 50, ${LONG.toLocaleString('en')}-message chat`, ...readLong },
  { measure: `read latest 50, ${SHORT}-message chat`, ...readShort },
  { measure: 'baseline: PUT /api/v1/characters/{id}', ...command },
  { measure: 'baseline: GET /health', ...healthMs },
]);
console.log(
  `append p50 growth (long / short): ${growth}x; first append on the cold long chat: ${result.coldFirstAppendMs} ms; seeding ${long.seedSeconds} s`,
);
console.log(`targets ${result.targets.met ? 'met' : 'NOT met'}; load average ${result.loadAverage.join(' ')} on ${os.cpus().length} cores`);
writeResult('chat-messages', result);
