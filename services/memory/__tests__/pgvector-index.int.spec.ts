import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../../../infra/db/database.ts';
import { migrateReadModels } from '../../../infra/db/migrate.ts';
import { loadConfig } from '../../../infra/config.ts';
import { newId } from '../../../shared/ids.ts';
import { encodeVector } from '../../../shared/memory/vector-codec.ts';
import { startTestService } from '../../../test/harness.ts';
import { waitFor } from '../../../test/service-process.ts';
import {
  hashedCharacterNgrams,
  startFakeEmbeddingsServer,
  type FakeEmbeddingsServer,
} from '../../../test/fake-llm/fake-embeddings-server.ts';
import { createEmbeddingIndex, type EmbeddingIndex } from '../embedding-index.ts';
import { embeddingSetup } from '../embedding-setup.ts';
import { createPgvectorIndex, pgvectorAvailable } from '../pgvector-index.ts';
import { sillyTavernLineParts } from '../../../shared/chats/sillytavern-line-parts.ts';

/**
 * The pgvector adapter against the in-process index, on the same read model: the same neighbours for the same
 * queries, and the same contract (active path only, deleted and edited turns never by an old vector). Needs a
 * PostgreSQL server with the pgvector extension (the embedded one has none): MEMORY_PGVECTOR_URL, e.g.
 * postgres://postgres:postgres@localhost:5432/postgres (docker run -e POSTGRES_PASSWORD=postgres -p 5432:5432
 * pgvector/pgvector:pg17). A fresh schema is made and dropped.
 */
const url = process.env.MEMORY_PGVECTOR_URL;
const MODEL = 'hash-ngram';

const TOPICS = [
  'The lighthouse keeper is called Ottilie and she paints the lamp red.',
  'We had pancakes with blueberries for breakfast.',
  'A storm broke three windows of the harbour office.',
  'The dog sleeps under the kitchen table.',
  'My cousin Idris bought an orange kite for the beach.',
  'The train to Lisbon was late by forty minutes.',
];

if (!url) {
  console.log('SKIP pgvector index suite: MEMORY_PGVECTOR_URL is not set (a PostgreSQL server with the pgvector extension)');
  test.skip('pgvector index suite (needs MEMORY_PGVECTOR_URL)', () => undefined);
} else {
  const schema = `pgvector_test_${Date.now()}`;
  const chatId = newId();
  const ids: string[] = [];
  let database: Database;
  let upstream: FakeEmbeddingsServer;
  let pgvector: EmbeddingIndex;
  let inProcess: EmbeddingIndex;
  const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const stLineColumns = (sender: 'user' | 'assistant', createdAt: Date) => {
    const parts = sillyTavernLineParts({ sender, createdAt, metadata: null });
    return { st_line_head: parts.head, st_swipe_info: parts.swipeInfo };
  };

  beforeAll(async () => {
    database = createDatabase(url, { max: 4 });
    upstream = await startFakeEmbeddingsServer();
    expect(await pgvectorAvailable(database.db)).toBe(true);
    await migrateReadModels(database.db, schema);
    const scoped = database.db.withSchema(schema);
    const at = new Date('2026-03-01T10:00:00Z');
    for (let i = 0; i < 300; i++) {
      const id = newId();
      const content = `${TOPICS[i % TOPICS.length]} (${i})`;
      ids.push(id);
      await scoped
        .insertInto('chat_messages')
        .values({
          id,
          chat_id: chatId,
          seq: i,
          parent_id: i === 0 ? null : ids[i - 1]!,
          sibling_group: id,
          depth: i,
          on_path: i !== 10,
          sender: i % 2 ? 'assistant' : 'user',
          name: null,
          speaker_id: null,
          content: i === 20 ? 'Edited: the ferry leaves at noon.' : content,
          image_sha256: null,
          image_media_type: null,
          image_size: null,
          metadata: null,
          alternate_of: null,
          version: 1,
          created_at: at,
          updated_at: at,
          deleted_at: i === 30 ? at : null,
          ...stLineColumns(i % 2 ? 'assistant' : 'user', at),
        })
        .execute();
      await scoped
        .insertInto('message_embeddings')
        .values({
          message_id: id,
          model: MODEL,
          chat_id: chatId,
          owner_id: 'local',
          content_sha256: sha(content),
          dimensions: 384,
          vector: encodeVector(Float32Array.from(hashedCharacterNgrams(content))),
          revision: i + 1,
        })
        .execute();
    }
    const config = loadConfig({
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'm',
      MEMORY_EMBEDDING_MODEL: MODEL,
    });
    const embeddings = embeddingSetup(config)!;
    pgvector = await createPgvectorIndex({ db: database.db, readSchema: schema, embeddings });
    inProcess = createEmbeddingIndex({ db: database.db, readSchema: schema, embeddings });
  }, 120_000);

  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    await database?.close();
    await upstream?.close();
  });

  describe('pgvector index', () => {
    test('says it is pgvector', () => {
      expect(pgvector.backend).toBe('pgvector');
      expect(inProcess.backend).toBe('in-process');
    });

    test('the same neighbours as the exact in-process index', async () => {
      for (const query of ['who paints the lighthouse lamp?', 'a kite at the beach', 'late train', 'windows broken in a storm']) {
        const [a, b] = await Promise.all([
          pgvector.embeddingNeighbours(chatId, query, 10),
          inProcess.embeddingNeighbours(chatId, query, 10),
        ]);
        expect(a).toHaveLength(10);
        a.forEach((n, i) => expect(n.score).toBeCloseTo(b[i]!.score, 4));
        // The same turns, but for ties at the cut and their order among equal scores (float32 rounding orders them either way).
        const cut = b.at(-1)!.score + 1e-4;
        const above = (list: typeof a) =>
          list
            .filter((n) => n.score > cut)
            .map((n) => n.message_id)
            .sort();
        expect(above(a)).toEqual(above(b));
      }
    });

    test('never a turn off the active path, deleted, or with a vector of an older text', async () => {
      const found = new Set((await pgvector.embeddingNeighbours(chatId, TOPICS[10 % TOPICS.length]!, 300)).map((n) => n.message_id));
      expect(found.size).toBe(297);
      for (const i of [10, 20, 30]) expect(found.has(ids[i]!)).toBe(false);
    });

    test('a vector rewritten (a new revision) is used from the next query on', async () => {
      const text = 'Edited: the ferry leaves at noon.';
      await database.db
        .withSchema(schema)
        .updateTable('message_embeddings')
        .set({ content_sha256: sha(text), vector: encodeVector(Float32Array.from(hashedCharacterNgrams(text))), revision: 1000 })
        .where('message_id', '=', ids[20]!)
        .execute();
      expect((await pgvector.embeddingNeighbours(chatId, 'when does the ferry leave', 1))[0]!.message_id).toBe(ids[20]);
    });

    test('the service on that server chooses pgvector, says so, and memory search fuses its neighbours', async () => {
      const name = `pgvector_service_${Date.now()}`;
      await sql`create database ${sql.id(name)}`.execute(database.db);
      const serviceUrl = new URL(url);
      serviceUrl.pathname = `/${name}`;
      const svc = await startTestService({
        env: {
          DATABASE_URL: serviceUrl.toString(),
          LLM_PROVIDER: 'openai-compatible',
          LLM_BASE_URL: upstream.url,
          LLM_MODEL: 'm',
          MEMORY_EMBEDDING_MODEL: MODEL,
        },
        roles: { api: true, projector: true, worker: true },
      });
      try {
        expect((await svc.request('GET', '/ready')).body.checks.memory_embeddings).toMatchObject({ backend: 'pgvector', model: MODEL });
        const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Keeper' } });
        const chat = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
        let keeper = '';
        for (const content of [...TOPICS, ...TOPICS.map((t) => `Again: ${t}`)]) {
          const res = await svc.request('POST', `/api/v1/character_messages/chats/${chat.body.id}/messages`, {
            body: { sender: 'user', content },
          });
          keeper ||= res.body.id;
        }
        await waitFor(
          'the vectors',
          async () =>
            Number(
              (await sql<{ n: string }>`select count(*) as n from read.message_embeddings`.execute(svc.runtime.database.db)).rows[0]!.n,
            ) >= 12,
          30_000,
          100,
        );
        const found = await svc.request('POST', `/api/v1/character_chats/${chat.body.id}/memory/search`, { body: { query: 'Ottily?' } });
        expect(found.body.results[0].message_id).toBe(keeper);
        expect(found.body.results[0].why).toMatch(/similar meaning: 0\.\d\d/);
      } finally {
        await svc.close();
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(database.db);
      }
    }, 120_000);
  });
}
