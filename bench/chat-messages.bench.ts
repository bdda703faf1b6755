import os from 'node:os';
import pg from 'pg';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { INLINE_STAGES, openStageProbe, STAGES } from './append-stages.ts';
import { benchPostgres, machine, startService, summarize, table, writeResult } from './bench-kit.ts';
import { createChatSeeder, seedText } from './seed-chat.ts';

/**
 * Appending to chats of 100, 1,000 and 10,000 messages (issue 16: p50 <= 4 ms, p99 <= 10 ms at each size,
 * durable commits, encryption on, read-your-writes kept). Two copies of `npm start`'s service (child processes,
 * each on its own durable embedded PostgreSQL): the default, where a posted message's chat rows commit in the
 * append's own transaction and the answer is the row written (`INLINE_PROJECTIONS=true`), and the earlier path as
 * the same-run baseline (`INLINE_PROJECTIONS=false`: read the stream's tail, append, wait for the projector, read
 * the message). Each has the three chats, seeded through the command side; requests alternate between the two
 * services and the three sizes, so drift (load from others, autovacuum) hits all alike. Also measured: the latest
 * 50 messages of each chat, and the same pipeline's simplest command (PUT a character's description) and GET /health.
 *
 * Then, with the services stopped, the stage breakdown in this process on each database (bench/append-stages.ts).
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const STAGE_ITERATIONS = Number(process.env.BENCH_STAGE_ITERATIONS ?? 150);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const MODES = ['inline', 'baseline'] as const;
type Mode = (typeof MODES)[number];

async function setUp(mode: Mode) {
  const database = await benchPostgres();
  const service = await startService({
    DATABASE_URL: database.url,
    MAX_MESSAGES_PER_CHAT: '1000000',
    INLINE_PROJECTIONS: String(mode === 'inline'),
  });
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
  const seedChat = createChatSeeder(createPostgresEventStore({ pool }), { url: service.url, headers });
  const chats = new Map<number, string>();
  for (const size of SIZES) chats.set(size, await seedChat(character.id as string, size));
  await pool.end();
  return { mode, database, service, api, character: character.id as string, chats };
}

const setups = [];
for (const mode of MODES) setups.push(await setUp(mode));
const loadBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);

type Setup = (typeof setups)[number];
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
const append = (s: Setup, size: number, i: number) =>
  timed(async () => {
    const m = await s.api('POST', `/api/v1/character_messages/chats/${s.chats.get(size)!}/messages`, {
      sender: i % 2 ? 'assistant' : 'user',
      content: seedText(i),
    });
    // read-your-writes: the answer came after the projection, so the message is readable now
    if (!m.id) throw new Error('no message in the answer');
  });
const latest = (s: Setup, size: number) =>
  timed(async () => {
    const page = await s.api('GET', `/api/v1/character_messages/chats/${s.chats.get(size)!}/messages?order=desc&limit=50`);
    if ((page.items as unknown[]).length !== 50 && size >= 50) throw new Error('expected 50 messages');
  });

// Warm-up: each service's state cache loads each chat once (the first command on a cold 10,000-message chat
// reads its whole stream), and connections and plans warm up.
const coldFirstAppend: Record<string, number> = {};
for (const s of setups) {
  coldFirstAppend[s.mode] = Math.round((await append(s, SIZES[SIZES.length - 1]!, 0)) * 10) / 10;
  for (let i = 0; i < 30; i++) for (const size of SIZES) await append(s, size, i);
}

const samples = new Map<string, number[]>();
const push = (key: string, ms: number) => (samples.get(key) ?? samples.set(key, []).get(key)!).push(ms);
for (let i = 0; i < ITERATIONS; i++) {
  const order = i % 2 === 0 ? setups : [...setups].reverse();
  for (const size of i % 2 === 0 ? SIZES : [...SIZES].reverse())
    for (const s of order) push(`append ${size} ${s.mode}`, await append(s, size, i));
  const main = setups[0]!;
  for (const size of SIZES) push(`latest50 ${size}`, await latest(main, size));
  push('put character', await timed(() => main.api('PUT', `/api/v1/characters/${main.character}`, { description: `revision ${i}` })));
  push('health', await timed(async () => (await fetch(`${main.service.url}/health`)).text()));
}
const loadAfterHttp = os.loadavg().map((l) => Math.round(l * 100) / 100);
const finalCounts: Record<string, unknown> = {};
for (const s of setups) {
  finalCounts[s.mode] = (await s.api('GET', `/api/v1/character_chats/${s.chats.get(SIZES[0]!)!}`)).message_count;
  await s.service.stop();
}

// The stage breakdown, both projector modes alternating as above.
const probes = [];
for (const s of setups)
  probes.push(
    await openStageProbe({
      databaseUrl: s.database.url,
      chats: SIZES.map((size) => ({ label: String(size), id: s.chats.get(size)! })),
      inline: s.mode === 'inline',
    }),
  );
for (let i = 0; i < STAGE_ITERATIONS; i++)
  for (const size of i % 2 === 0 ? SIZES : [...SIZES].reverse())
    for (const probe of i % 2 === 0 ? probes : [...probes].reverse()) await probe.append(String(size), i);
const stages: Record<string, unknown> = {};
for (const [k, s] of setups.entries()) stages[s.mode] = await probes[k]!.finish();
for (const s of setups) await s.database.cleanup();

const stat = (key: string) => summarize(samples.get(key)!);
const appendMs = Object.fromEntries(SIZES.map((size) => [size, Object.fromEntries(MODES.map((m) => [m, stat(`append ${size} ${m}`)]))]));
const met = SIZES.every((size) => appendMs[size]!.inline!.p50 <= 4 && appendMs[size]!.inline!.p99 <= 10);
const result = {
  machine: machine(),
  iterations: ITERATIONS,
  sizes: SIZES,
  coldFirstAppendMs: coldFirstAppend,
  appendMs,
  readLatest50Ms: Object.fromEntries(SIZES.map((size) => [size, stat(`latest50 ${size}`)])),
  baselineMs: { characterUpdate: stat('put character'), health: stat('health') },
  stagesMs: stages,
  messageCountAtEnd: finalCounts,
  loadAverage: { beforeHttp: loadBefore, afterHttp: loadAfterHttp, atEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
  targets: { appendP50Ms: 4, appendP99Ms: 10, met },
};
table([
  ...SIZES.flatMap((size) =>
    MODES.map((m) => ({
      measure: `append, ${size.toLocaleString('en')}-message chat, ${m === 'baseline' ? 'baseline: wait for the projector' : 'inline chat projection'}`,
      ...appendMs[size]![m]!,
    })),
  ),
  ...SIZES.map((size) => ({ measure: `read latest 50, ${size.toLocaleString('en')}-message chat`, ...stat(`latest50 ${size}`) })),
  { measure: 'baseline: PUT /api/v1/characters/{id}', ...stat('put character') },
  { measure: 'baseline: GET /health', ...stat('health') },
]);
for (const s of setups) {
  const bySize = stages[s.mode] as Record<string, Record<string, { p50: number }>>;
  console.log(`stage breakdown (p50 ms, in process), ${s.mode}:`);
  table(
    (s.mode === 'inline' ? INLINE_STAGES : STAGES).map((stage) => ({
      stage,
      ...Object.fromEntries(SIZES.map((size) => [size, bySize[String(size)]![stage]!.p50])),
    })),
  );
}
console.log(`first append on the cold ${SIZES[SIZES.length - 1]}-message chat: ${JSON.stringify(coldFirstAppend)} ms`);
console.log(
  `targets (p50 <= 4, p99 <= 10 ms at every size) ${met ? 'met' : 'NOT met'}; load average ${JSON.stringify(result.loadAverage)} on ${os.cpus().length} cores`,
);
writeResult('chat-messages', result);
