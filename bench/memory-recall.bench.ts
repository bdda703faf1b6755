import os from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createDatabase } from '../infra/db/database.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { chatsProjection } from '../projections/chats-projection.ts';
import { memoryIndexProjection } from '../projections/memory-index-projection.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';
import { newId } from '../shared/ids.ts';
import { openEventLog } from '../test/read-model-check.ts';
import { benchPostgres, machine, serviceApi, startService, summarize, table, writeResult } from './bench-kit.ts';
import { generateConversation, type GeneratedConversation } from './memory-conversation.ts';
import { emptyRecall, KS, percent, plainBm25, score } from './memory-recall-scoring.ts';
import { createChatSeeder } from './seed-chat.ts';

/**
 * Long-term memory (issue 25): recall@5/10/25 per question type of memory search against plain BM25 (the
 * baseline, computed in this run over the same turns), on generated conversations of 10,000 and 100,000 messages
 * (bench/memory-conversation.ts, seeded, no public data) written through the command side into `npm start`'s
 * service; search latency over HTTP (p50/p95); what indexing adds to an append (the memory projection's apply of
 * one posted message, in a rolled-back transaction, beside the chats projection's, which runs in parallel with it,
 * and the HTTP append p50 for scale); and the rebuild of the memory index from the log.
 * `BENCH_MEMORY_SIZES=10000` for a shorter run.
 */
const SIZES = (process.env.BENCH_MEMORY_SIZES ?? '10000,100000').split(',').map(Number);
const LATENCY_ROUNDS = 3;

const database = await benchPostgres();
const service = await startService({ DATABASE_URL: database.url, MAX_MESSAGES_PER_CHAT: '1000000' });
const { headers, json: api } = serviceApi(service);
const character = (await api('POST', '/api/v1/characters', { name: 'Bench', first_message: 'Hello.' })) as { id: string };
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
const db = new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
const seedChat = createChatSeeder(createPostgresEventStore({ pool }), { url: service.url, headers });

async function waitForIndex(chatId: string, size: number) {
  for (;;) {
    const row = await db.withSchema('read').selectFrom('memory_chats').select('turns').where('chat_id', '=', chatId).executeTakeFirst();
    if (row && row.turns >= size) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const results: Record<string, unknown> = { load_before: os.loadavg() };
const rows: Record<string, unknown>[] = [];
let firstChat: { chatId: string; size: number } | null = null;
for (const size of SIZES) {
  const conversation: GeneratedConversation = generateConversation({
    seed: size,
    turns: size,
    facts: Math.min(400, Math.round(size / 50)),
  });
  const seedStarted = performance.now();
  const chatId = await seedChat(character.id, size, (i) => conversation.turns[i]!);
  await waitForIndex(chatId, size);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  firstChat ??= { chatId, size };
  await sql`analyze`.execute(db);
  const ids = (
    await db.withSchema('read').selectFrom('chat_messages').select(['id', 'depth']).where('chat_id', '=', chatId).orderBy('depth').execute()
  ).map((r) => r.id);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const bm25 = plainBm25(conversation.turns.map((t) => t.content));
  const ours = emptyRecall();
  const baseline = emptyRecall();
  const latencies: number[] = [];
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const q of conversation.questions) {
      const t = performance.now();
      const found = (await api('POST', `/api/v1/character_chats/${chatId}/memory/search`, { query: q.query, limit: 25 })) as {
        results: Array<{ message_id: string }>;
      };
      latencies.push(performance.now() - t);
      if (round > 0) continue;
      score(
        ours,
        q.type,
        q.evidence,
        found.results.map((r) => indexOf.get(r.message_id)!),
      );
      score(baseline, q.type, q.evidence, bm25(q.query, 25));
    }
  }
  const latency = summarize(latencies);
  results[`chat_${size}`] = {
    seed_and_index_s: Math.round(seedSeconds),
    recall: percent(ours),
    plain_bm25: percent(baseline),
    search_http_ms: latency,
  };
  for (const [type, r] of Object.entries(percent(ours)))
    rows.push({
      size,
      type,
      questions: r.questions,
      ...Object.fromEntries(KS.map((k) => [`ours r@${k}`, r[`r@${k}`]])),
      'bm25 r@10': percent(baseline)[type]!['r@10'],
    });
  rows.push({
    size,
    type: 'search over HTTP (ms)',
    questions: latency.n,
    'ours r@5': `p50 ${latency.p50}`,
    'ours r@10': `p95 ${latency.p95}`,
  });
}
table(rows);

// ---- what indexing adds to an append ------------------------------------------------------------------------
const { chatId } = firstChat!;
const last = await db
  .withSchema('read')
  .selectFrom('chat_messages')
  .select(['id', 'depth'])
  .where('chat_id', '=', chatId)
  .where('on_path', '=', true)
  .orderBy('depth', 'desc')
  .limit(1)
  .executeTakeFirstOrThrow();
const applyTimes = { memory: [] as number[], chats: [] as number[] };
for (let i = 0; i < 300; i++) {
  const messageId = newId();
  const event: RecordedEvent = {
    id: newId(),
    streamId: `chat-${chatId}`,
    revision: 10_000_000 + i,
    position: '0',
    type: 'MessagePosted',
    data: {
      chatId,
      messageId,
      parentId: last.id,
      depth: last.depth + 1,
      sender: 'user',
      name: null,
      content: `My cousin Idris finally bought the orange kite he wanted, we flew it on the beach (${i}).`,
      image: null,
      metadata: null,
      sentAt: null,
      active: true,
      alternateOf: null,
      path: { from: last.depth + 1, ids: [messageId] },
    },
    metadata: { userId: 'local', schemaVersion: 1, correlationId: 'b', causationId: 'b', requestId: 'b' },
    createdAt: new Date(),
  };
  for (const [name, projection] of [
    ['memory', memoryIndexProjection],
    ['chats', chatsProjection],
  ] as const) {
    await db
      .transaction()
      .execute(async (trx) => {
        const t = performance.now();
        await projection.apply(trx.withSchema('read'), event);
        applyTimes[name].push(performance.now() - t);
        throw new Error('rollback');
      })
      .catch((err: Error) => {
        if (err.message !== 'rollback') throw err;
      });
  }
}
const appendHttp: number[] = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  await api('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
    sender: 'user',
    content: `An ordinary message number ${i} about the garden.`,
  });
  appendHttp.push(performance.now() - t);
}
results.append = {
  memory_projection_apply_ms: summarize(applyTimes.memory.slice(50)),
  chats_projection_apply_ms: summarize(applyTimes.chats.slice(50)),
  http_append_ms: summarize(appendHttp),
};

// ---- rebuild of the memory index from the log ---------------------------------------------------------------
const rebuildDb = createDatabase(database.url, { max: 4, applicationName: 'memory-bench' });
const log = openEventLog(rebuildDb);
const target = `memory_rebuild_${Date.now()}`;
const t = performance.now();
const rebuilt = await rebuildReadModels({
  db: rebuildDb.db,
  eventStore: log.eventStore,
  liveSchema: 'read',
  projections: [memoryIndexProjection],
  targetSchema: target,
  swap: false,
});
const rebuildSeconds = (performance.now() - t) / 1000;
const turns = await db
  .withSchema(target)
  .selectFrom('memory_turns')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .executeTakeFirstOrThrow();
await sql`DROP SCHEMA ${sql.id(target)} CASCADE`.execute(db);
results.rebuild = { seconds: Math.round(rebuildSeconds * 10) / 10, events: rebuilt.events, turns: Number(turns.n) };
results.load_after = os.loadavg();
console.log(JSON.stringify(results, null, 2));
writeResult('memory-recall', { machine: machine(), ...results });
await log.close();
await rebuildDb.close();
await pool.end();
await service.stop();
await database.cleanup();
