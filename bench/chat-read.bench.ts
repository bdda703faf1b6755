import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { createChatMessageQueries, toMessageView } from '../queries/chat-messages-queries.ts';
import { createChatTranscriptQueries } from '../queries/chat-transcript-queries.ts';
import { createChatQueries } from '../queries/chats-queries.ts';
import { createChatExportLines } from '../queries/chat-export-lines.ts';
import { sillyTavernChatExport, sillyTavernChatFile } from '../services/chats/export-chat.ts';
import { benchPostgres, cpuMs, machine, serviceApi, startService, summarize, table, writeResult } from './bench-kit.ts';
import { createChatSeeder } from './seed-chat.ts';
import { baselineSillyTavernChatFile, createBaselineChatReads } from './chat-read-baseline.ts';

/**
 * Whole chats (issue 16, item 2): a 10,000-message chat in one request (the SillyTavern JSONL export) in at
 * most 40 ms, and keyset pages of 200 of the conversation in at most 5 ms each, page 50 as fast as page 1.
 * Chats of 1,000 and 10,000 messages are seeded through the command side and read over HTTP from `npm start`'s
 * service (a child process on a durable embedded PostgreSQL). The same run measures, in this process on the
 * same database, the reads as they were before (bench/chat-read-baseline.ts) against the current ones, query
 * plus serialization, and the database's own execution time of each query (EXPLAIN ANALYZE), so the
 * breakdown database / driver / serialization / HTTP is visible. The current export is one statement in which the
 * database joins each message's stored line parts (queries/chat-export-lines.ts); the run stops unless the old read,
 * the current one and the HTTP answer are the same bytes. Requests alternate between the old and new
 * reads so drift hits both alike.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);
const SIZES = [1_000, 10_000];
const PAGE = 200;
const PAGES = [1, 25, 50];

const database = await benchPostgres();
const service = await startService({ DATABASE_URL: database.url, MAX_MESSAGES_PER_CHAT: '1000000' });
const { headers, text: api } = serviceApi(service);
const character = JSON.parse(await api('POST', '/api/v1/characters', { name: 'Bench', first_message: 'Hello.' })) as { id: string };

const pool = new pg.Pool({ connectionString: database.url, max: 4 });
const db = new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
const eventStore = createPostgresEventStore({ pool });
const seedChat = createChatSeeder(eventStore, { url: service.url, headers });

const chats: Record<number, string> = {};
for (const size of SIZES) chats[size] = await seedChat(character.id, size);
await sql`analyze`.execute(db);

const baseline = createBaselineChatReads(db, 'read');
const current = {
  transcripts: createChatTranscriptQueries(db, 'read'),
  lines: createChatExportLines(db, 'read'),
  messages: createChatMessageQueries(db, 'read'),
};
const chatRows = createChatQueries(db, 'read');

// CPU time per read, summed over this process (the client, or the in-process read), the service and PostgreSQL (the
// postmaster and its backends): unlike the wall time, it does not grow with the other work on the machine, and on
// an otherwise idle machine a read one at a time takes about that long.
const backendPid = Number((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
const postmasterPid = Number(readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
/** CPU of backends that have exited (the postmaster's reaped children), which the live processes' sum no longer holds. */
const exitedBackendsMs = () => {
  const fields = readFileSync(`/proc/${postmasterPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
};
const cpuNow = () => {
  const own = process.cpuUsage();
  return {
    client: (own.user + own.system) / 1000,
    service: cpuMs([service.pid]),
    database: cpuMs([], [postmasterPid]) + exitedBackendsMs(),
  };
};
/** CPU ms per read: this process (the client, or the in-process read), the service, PostgreSQL, and their sum. */
async function cpuPerRead(work: () => Promise<unknown>, times: number) {
  const before = cpuNow();
  for (let i = 0; i < times; i++) await work();
  const after = cpuNow();
  const per = (k: keyof typeof after) => Math.round(((after[k] - before[k]) / times) * 100) / 100;
  const parts = { client: per('client'), service: per('service'), database: per('database') };
  return { ...parts, total: Math.round((parts.client + parts.service + parts.database) * 100) / 100 };
}
const cpuText = (c: Awaited<ReturnType<typeof cpuPerRead>>) => `${c.total} (${c.client} + ${c.service} + ${c.database})`;

const time = async (work: () => Promise<unknown>) => {
  const t = performance.now();
  await work();
  return performance.now() - t;
};
/** Where a whole-chat read's time goes, before: the database's execution, the driver's fetch and parse, the JSONL. */
async function breakdown(chatId: string, chat: Parameters<typeof sillyTavernChatFile>[0]) {
  const query = `select * from read.chat_messages where chat_id = $1 and deleted_at is null order by seq`;
  const samples = { database: [] as number[], driver: [] as number[], jsonl: [] as number[], lines: [] as number[] };
  const names = { user: '"User"', assistant: '"Bench"', system: '"System"' };
  const entries = await baseline.transcript(chatId);
  for (let i = 0; i < ITERATIONS; i++) {
    const { rows } = await pool.query(`explain (analyze, format json) ${query}`, [chatId]);
    samples.database.push((rows[0]['QUERY PLAN'][0] as { 'Execution Time': number })['Execution Time']);
    samples.driver.push(await time(() => pool.query(query, [chatId])));
    samples.jsonl.push(await time(async () => baselineSillyTavernChatFile(chat, entries)));
    samples.lines.push(await time(() => current.lines.sillyTavernLines(chatId, names)));
  }
  return {
    database: summarize(samples.database),
    driver: summarize(samples.driver),
    jsonl: summarize(samples.jsonl),
    lines: summarize(samples.lines),
  };
}

const rows: Record<string, unknown>[] = [];
const results: Record<string, unknown> = {};
for (const size of SIZES) {
  const chatId = chats[size]!;
  const chat = (await chatRows.get(chatId))!;
  const old = async () => baselineSillyTavernChatFile(chat, await baseline.transcript(chatId));
  const now = async () => sillyTavernChatExport(chat, current);
  const http = async () => api('GET', `/api/v1/character_chats/${chatId}/export?format=jsonl`);
  const file = await old();
  if ((await now()) !== file || (await http()) !== file) throw new Error(`the ${size}-message export differs from the old read's`);
  const samples = { old: [] as number[], now: [] as number[], http: [] as number[] };
  for (let i = 0; i < 5; i++) await Promise.all([]).then(old).then(now).then(http);
  for (let i = 0; i < ITERATIONS; i++) {
    if (i % 2) samples.old.push(await time(old));
    samples.now.push(await time(now));
    if (!(i % 2)) samples.old.push(await time(old));
    samples.http.push(await time(http));
  }
  const r = { old: summarize(samples.old), now: summarize(samples.now), http: summarize(samples.http) };
  const stages = await breakdown(chatId, chat);
  const cpu = { old: await cpuPerRead(old, ITERATIONS), now: await cpuPerRead(now, ITERATIONS), http: await cpuPerRead(http, ITERATIONS) };
  results[`whole${size}`] = { ...r, before: stages, cpu };
  rows.push({ measure: `whole chat ${size}: CPU ms per read, before in process (this + service + database)`, p50: cpuText(cpu.old) });
  rows.push({ measure: `whole chat ${size}: CPU ms per read, now in process`, p50: cpuText(cpu.now) });
  rows.push({ measure: `whole chat ${size}: CPU ms per read, now over HTTP (client + service + database)`, p50: cpuText(cpu.http) });
  rows.push({ measure: `whole chat ${size}, before: database execution (EXPLAIN ANALYZE)`, ...stages.database });
  rows.push({ measure: `whole chat ${size}, before: query through the driver (rows parsed)`, ...stages.driver });
  rows.push({ measure: `whole chat ${size}, before: JSONL from the rows`, ...stages.jsonl });
  rows.push({ measure: `whole chat ${size}, now: the lines statement (database joins the stored parts)`, ...stages.lines });
  rows.push({ measure: `whole chat ${size}: before (query + JSONL, in process)`, ...r.old });
  rows.push({ measure: `whole chat ${size}: now (query + JSONL, in process)`, ...r.now });
  rows.push({ measure: `whole chat ${size}: GET export?format=jsonl over HTTP`, ...r.http });
}

// Keyset pages of 200 of the 10,000-message conversation: the cursors of pages 1..50 first.
const longId = chats[10_000]!;
const cursors: Array<number | undefined> = [undefined];
for (let p = 1; p < 50; p++) {
  const page = await current.messages.pathPage(longId, { order: 'asc', limit: PAGE, after: cursors[p - 1] });
  cursors.push(page.items[page.items.length - 1]!.depth);
}
const cursorParam = (after: number | undefined) =>
  after === undefined ? '' : `&cursor=${Buffer.from(JSON.stringify({ v: 'path', o: 'asc', k: after })).toString('base64url')}`;
for (const p of PAGES) {
  const after = cursors[p - 1];
  const old = async () => JSON.stringify((await baseline.pathPage(longId, { order: 'asc', limit: PAGE, after })).items.map(toMessageView));
  const now = async () =>
    JSON.stringify((await current.messages.pathPage(longId, { order: 'asc', limit: PAGE, after })).items.map(toMessageView));
  if ((await old()) !== (await now())) throw new Error(`page ${p} differs between the old and new reads`);
  const http = async () => api('GET', `/api/v1/character_messages/chats/${longId}/messages?limit=${PAGE}${cursorParam(after)}`);
  const samples = { old: [] as number[], now: [] as number[], http: [] as number[] };
  for (let i = 0; i < 10; i++) await Promise.all([]).then(old).then(now).then(http);
  for (let i = 0; i < ITERATIONS * 4; i++) {
    if (i % 2) samples.old.push(await time(old));
    samples.now.push(await time(now));
    if (!(i % 2)) samples.old.push(await time(old));
    samples.http.push(await time(http));
  }
  const r = { old: summarize(samples.old), now: summarize(samples.now), http: summarize(samples.http) };
  const cpu = {
    old: await cpuPerRead(old, ITERATIONS * 4),
    now: await cpuPerRead(now, ITERATIONS * 4),
    http: await cpuPerRead(http, ITERATIONS * 4),
  };
  results[`page${p}`] = { ...r, cpu };
  rows.push({
    measure: `page ${p}: CPU ms per read, before / now in process, now over HTTP`,
    p50: [cpu.old, cpu.now, cpu.http].map(cpuText).join(' | '),
  });
  rows.push({ measure: `page ${p} of 200 (10,000): before (query + JSON, in process)`, ...r.old });
  rows.push({ measure: `page ${p} of 200 (10,000): now (query + JSON, in process)`, ...r.now });
  rows.push({ measure: `page ${p} of 200 (10,000): GET messages?limit=200 over HTTP`, ...r.http });
}

await db.destroy();
await service.stop();
await database.cleanup();
table(rows);
const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100);
console.log(`load average ${loadAverage.join(' ')} on ${os.cpus().length} cores`);
writeResult('chat-read', { machine: machine(), iterations: ITERATIONS, results, loadAverage });
