import { createHash } from 'node:crypto';
import os from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { handleCommand } from '../commands/command-handler.ts';
import { chatEmbeddingsDecider, chatEmbeddingsStream } from '../commands/memory/embedding-decider.ts';
import { loadConfig } from '../infra/config.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { createMemorySearch } from '../queries/memory-search.ts';
import { createEmbeddingIndex } from '../services/memory/embedding-index.ts';
import { embeddingSetup } from '../services/memory/embedding-setup.ts';
import { MAX_VECTORS_PER_EVENT } from '../shared/events/memory-embedding-events.ts';
import { fuseRankings } from '../shared/memory/memory-fusion.ts';
import { encodeVector } from '../shared/memory/vector-codec.ts';
import { startFakeEmbeddingsServer } from '../test/fake-llm/fake-embeddings-server.ts';
import { benchPostgres, machine, serviceApi, startService, summarize, table, writeResult } from './bench-kit.ts';
import { generateConversation } from './memory-conversation.ts';
import { emptyRecall, KS, percent, plainBm25, score, type Recall } from './memory-recall-scoring.ts';
import { createChatSeeder } from './seed-chat.ts';

/**
 * Long-term memory with embeddings (issue 25): recall@5/10/25 per question type of the fused search (the service
 * with MEMORY_EMBEDDING_MODEL, over HTTP) against, in the same run and on the same turns, the lexical ranking alone
 * (queries/memory-search.ts, in process), the embedding neighbours alone (the in-process index) and plain BM25.
 * The embedding model is a local stand-in over HTTP that computes vectors from the text (hashed character 3/4-grams
 * and words, test/fake-llm/fake-embeddings-server.ts), knowing nothing of the questions; the vectors are written
 * through the command side (`MessagesEmbedded`, as the worker writes them). The service fuses with the standout
 * gate (shared/memory/memory-fusion.ts); plain RRF without it, and with the lexical side weighted twice, are
 * computed in process on the same two lists, to show what the gate does. `BENCH_FUSION_SIZE` (10000), `BENCH_FUSION_SEED`.
 */
const SIZE = Number(process.env.BENCH_FUSION_SIZE ?? 10_000);
const SEED = Number(process.env.BENCH_FUSION_SEED ?? 2511);
const MODEL = 'hash-ngram';

const stand_in = await startFakeEmbeddingsServer();
const database = await benchPostgres();
const env = { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: stand_in.url, LLM_MODEL: 'stand-in', MEMORY_EMBEDDING_MODEL: MODEL };
const service = await startService({ DATABASE_URL: database.url, MAX_MESSAGES_PER_CHAT: '1000000', ...env });
const { headers, json: api } = serviceApi(service);
const character = (await api('POST', '/api/v1/characters', { name: 'Bench', first_message: 'Hello.' })) as { id: string };
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
const db = new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
const eventStore = createPostgresEventStore({ pool });
const seedChat = createChatSeeder(eventStore, { url: service.url, headers });
const embeddings = embeddingSetup(loadConfig(env))!;

const results: Record<string, unknown> = { load_before: os.loadavg(), size: SIZE, seed: SEED, model: MODEL };
const conversation = generateConversation({ seed: SEED, turns: SIZE, facts: Math.min(400, Math.round(SIZE / 50)) });
let t = performance.now();
const chatId = await seedChat(character.id, SIZE, (i) => conversation.turns[i]!);
for (;;) {
  const row = await db.withSchema('read').selectFrom('memory_chats').select('turns').where('chat_id', '=', chatId).executeTakeFirst();
  if (row && row.turns >= SIZE) break;
  await new Promise((r) => setTimeout(r, 200));
}
results.seed_and_index_s = Math.round((performance.now() - t) / 1000);

// ---- the vectors, through the provider's /embeddings and the command side ----------------------------------------
const rows = await db
  .withSchema('read')
  .selectFrom('chat_messages')
  .select(['id', 'content'])
  .where('chat_id', '=', chatId)
  .orderBy('depth')
  .execute();
const ids = rows.map((r) => r.id);
t = performance.now();
const actor = { userId: 'local', isAdmin: false, requestId: 'bench', correlationId: 'bench', causationId: 'bench' };
for (let from = 0; from < rows.length; from += MAX_VECTORS_PER_EVENT) {
  const batch = rows.slice(from, from + MAX_VECTORS_PER_EVENT);
  const vectors = await embeddings.client.embed(
    MODEL,
    batch.map((r) => r.content),
  );
  await handleCommand(
    eventStore,
    chatEmbeddingsStream(chatId),
    chatEmbeddingsDecider,
    {
      type: 'RecordEmbeddings',
      data: {
        chatId,
        ownerId: 'local',
        model: MODEL,
        dimensions: vectors[0]!.length,
        vectors: batch.map((r, i) => ({
          messageId: r.id,
          contentSha256: createHash('sha256').update(r.content, 'utf8').digest('hex'),
          vector: encodeVector(vectors[i]!).toString('base64'),
        })),
      },
    },
    actor,
    { dataSubject: 'local' },
  );
}
for (;;) {
  const row = await db
    .withSchema('read')
    .selectFrom('message_embeddings')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('chat_id', '=', chatId)
    .executeTakeFirstOrThrow();
  if (Number(row.n) >= rows.length) break;
  await new Promise((r) => setTimeout(r, 200));
}
results.embed_s = Math.round((performance.now() - t) / 1000);
await sql`analyze`.execute(db);

// ---- recall of each side and of the fusion, plain BM25 as the baseline ------------------------------------------
const indexOf = new Map(ids.map((id, i) => [id, i]));
const lexicalSearch = createMemorySearch(db, 'read');
const vectorIndex = createEmbeddingIndex({ db, readSchema: 'read', embeddings });
const bm25 = plainBm25(conversation.turns.map((x) => x.content));
const sides = ['fused (HTTP)', 'lexical', 'embedding', 'plain RRF', 'plain RRF, lexical ×2', 'plain BM25'] as const;
const recall = Object.fromEntries(sides.map((s) => [s, emptyRecall()])) as Record<(typeof sides)[number], Recall>;
const latency = { fused_http: [] as number[], lexical: [] as number[], embedding: [] as number[] };
const toIndexes = (hits: Array<{ message_id: string }>) => hits.map((h) => indexOf.get(h.message_id)!);
for (const q of conversation.questions) {
  let s = performance.now();
  const fused = (await api('POST', `/api/v1/character_chats/${chatId}/memory/search`, { query: q.query, limit: 25 })) as {
    results: Array<{ message_id: string }>;
  };
  latency.fused_http.push(performance.now() - s);
  s = performance.now();
  const lexical = await lexicalSearch.search(chatId, q.query, { limit: 50 });
  latency.lexical.push(performance.now() - s);
  s = performance.now();
  const near = await vectorIndex.embeddingNeighbours(chatId, q.query, 50);
  latency.embedding.push(performance.now() - s);
  score(recall['fused (HTTP)'], q.type, q.evidence, toIndexes(fused.results));
  score(recall.lexical, q.type, q.evidence, toIndexes(lexical));
  score(recall.embedding, q.type, q.evidence, toIndexes(near));
  score(recall['plain RRF'], q.type, q.evidence, toIndexes(fuseRankings(lexical, near, 25)));
  score(
    recall['plain RRF, lexical ×2'],
    q.type,
    q.evidence,
    toIndexes(fuseRankings(lexical, near, 25, { weights: { lexical: 2, embedding: 1 } })),
  );
  score(recall['plain BM25'], q.type, q.evidence, bm25(q.query, 25));
}

const tableRows: Record<string, unknown>[] = [];
for (const side of sides) {
  const p = percent(recall[side]);
  for (const [type, r] of Object.entries(p))
    tableRows.push({ side, type, questions: r.questions, ...Object.fromEntries(KS.map((k) => [`r@${k}`, r[`r@${k}`]])) });
}
table(tableRows);
results.recall = Object.fromEntries(sides.map((s) => [s, percent(recall[s])]));
results.latency_ms = {
  fused_search_http: summarize(latency.fused_http),
  lexical_in_process: summarize(latency.lexical),
  embedding_in_process: summarize(latency.embedding),
};
results.load_after = os.loadavg();
console.log(JSON.stringify(results, null, 2));
writeResult('memory-fusion', { machine: machine(), ...results });
await pool.end();
await service.stop();
await database.cleanup();
await stand_in.close();
