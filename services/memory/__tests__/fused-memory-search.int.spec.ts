import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startFakeEmbeddingsServer, type FakeEmbeddingsServer } from '../../../test/fake-llm/fake-embeddings-server.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { waitFor } from '../../../test/service-process.ts';
import { messagesToEmbed } from '../../../queries/message-embedding-queries.ts';

/**
 * Memory search and recall with an embedding model, over HTTP: the lexical ranking fused with the embedding
 * neighbours (the local stand-in computes hashed character n-grams of the text), each hit saying which side found
 * it; the embedding side holds the active branch, deletes and edits like the lexical one; /ready says which index
 * ranks the vectors.
 */
const MODEL = 'hash-ngram';
let upstream: FakeEmbeddingsServer;
let svc: TestService;
let chatId: string;
const ids: Record<string, string> = {};

type Hit = { message_id: string; score: number; why: string };

async function post(content: string, parent?: string, sender = 'user'): Promise<string> {
  const res = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
    body: { sender, content, ...(parent ? { parent_message_id: parent } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const search = async (query: string, limit = 10): Promise<Hit[]> => {
  const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/memory/search`, { body: { query, limit } });
  expect(res.status).toBe(200);
  return res.body.results as Hit[];
};

const allEmbedded = () =>
  waitFor(
    'every message of the active path to have its vector',
    async () => (await messagesToEmbed(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, MODEL, 1000)).length === 0,
    30_000,
    100,
  );

const FILLER = [
  'We walked along the river and talked about the weather.',
  'The bakery on the corner sold out of bread early.',
  'Work was busy with meetings all afternoon.',
  'In the evening we watched the rain from the window.',
];

beforeAll(async () => {
  upstream = await startFakeEmbeddingsServer();
  svc = await startTestService({
    env: {
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'fake-model',
      LLM_CONTEXT_SIZE: '1024',
      LLM_REPLY_RESERVE: '256',
      MEMORY_EMBEDDING_MODEL: MODEL,
    },
    roles: { api: true, projector: true, worker: true },
  });
  const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Keeper' } });
  const chat = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
  chatId = chat.body.id;
  ids.keeper = await post('The lighthouse keeper is called Ottilie and she paints the lamp red.');
  ids.food = await post('We had pancakes with blueberries for breakfast.');
  for (let i = 0; i < 60; i++) await post(`${FILLER[i % FILLER.length]} (${i})`, undefined, i % 2 ? 'user' : 'assistant');
  ids.storm = await post('A storm broke three windows of the harbour office.');
  ids.dog = await post('The dog sleeps under the kitchen table.');
  await allEmbedded();
}, 120_000);
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

describe('memory search fused with embeddings', () => {
  test('/ready says the vectors are ranked in process, with the model', async () => {
    const ready = await svc.request('GET', '/ready');
    expect(ready.body.checks.memory_embeddings).toMatchObject({ backend: 'in-process', model: MODEL });
  });

  test('a misspelt name no word matches is found by the embedding side, and why says so', async () => {
    const hits = await search('Ottily, who paints lamps?');
    expect(hits[0]!.message_id).toBe(ids.keeper);
    expect(hits[0]!.why).toMatch(/similar meaning: 0\.\d\d/);
  });

  test('a turn both sides find says both: the matched terms and the similarity', async () => {
    const hits = await search('the lighthouse keeper');
    expect(hits[0]!.message_id).toBe(ids.keeper);
    expect(hits[0]!.why).toMatch(/^matched terms "lighthous", "keeper".*; similar meaning: 0\.\d\d$/);
    // Best first by the fused score.
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
  });

  test('an edited turn is never found by its old vector, a deleted one never again', async () => {
    const similarity = (hits: Hit[]) =>
      Number(/similar meaning: (-?[\d.]+)/.exec(hits.find((h) => h.message_id === ids.food)?.why ?? '')?.[1] ?? 0);
    const old = 'pancakes with blueberries for breakfast';
    expect(similarity(await search(old))).toBeGreaterThan(0.9);
    const edit = await svc.request('PUT', `/api/v1/character_messages/messages/${ids.food}`, {
      body: { content: 'We had porridge with honey.' },
    });
    expect(edit.status).toBe(200);
    // The old text's vector is never used again: before the edit is embedded the turn has no vector, after it the new one.
    const afterEdit = await search(old);
    expect(afterEdit[0]?.message_id).not.toBe(ids.food);
    expect(similarity(afterEdit)).toBeLessThan(0.5);
    await allEmbedded();
    const now = await search('porridge and honey');
    expect(now[0]!.message_id).toBe(ids.food);
    expect(now[0]!.why).toMatch(/similar meaning/);
    const gone = await svc.request('DELETE', `/api/v1/character_messages/messages/${ids.food}`);
    expect(gone.status).toBeLessThan(300);
    expect((await search('porridge and honey')).map((h) => h.message_id)).not.toContain(ids.food);
  });

  test('only the active branch: a branch that leaves a turn behind no longer finds it on either side', async () => {
    ids.cat = await post('The cat sleeps on the warm kitchen stove.', ids.storm);
    await allEmbedded();
    const hits = await search('the dog sleeps under the kitchen table');
    expect(hits.map((h) => h.message_id)).not.toContain(ids.dog);
    expect(hits[0]!.message_id).toBe(ids.cat);
  });

  test('recall in the prompt fuses too: the old turn comes back with why, never one the window holds', async () => {
    ids.recent = await post('Ottilie waved again.');
    await allEmbedded();
    // The query: the latest turn of the window and the new one.
    const settings = await svc.request('PUT', `/api/v1/character_chats/${chatId}`, { body: { settings: { memory: { query_turns: 1 } } } });
    expect(settings.status).toBe(200);
    const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, {
      body: { message: 'Ottily, who paints lamps?' },
    });
    expect(res.status).toBe(200);
    expect(res.body.dropped.historyMessages).toBeGreaterThan(0);
    const recalled = res.body.memory.recalled as Hit[];
    const keeper = recalled.find((r) => r.message_id === ids.keeper);
    expect(keeper?.why).toMatch(/similar meaning: 0\.\d\d/);
    expect(recalled.map((r) => r.message_id)).not.toContain(ids.recent);
    const injected = (res.body.messages as Array<{ content: string }>).find((m) => m.content.startsWith('[Memory: '));
    expect(injected?.content).toContain('paints the lamp red');
  });
});
