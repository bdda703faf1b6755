import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startFakeEmbeddingsServer, type FakeEmbeddingsServer } from '../../../test/fake-llm/fake-embeddings-server.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../test/read-model-check.ts';
import { waitFor } from '../../../test/service-process.ts';
import { messagesToEmbed } from '../../../queries/message-embedding-queries.ts';
import { createEmbeddingIndex, type EmbeddingIndex } from '../embedding-index.ts';
import { embeddingSetup } from '../embedding-setup.ts';

/**
 * The optional embedding index over HTTP: with MEMORY_EMBEDDING_MODEL set, posted messages get vectors from the
 * provider's `/embeddings` (a local stand-in: hashed bag of words) through the worker, recorded as events, kept in
 * a read model; `embeddingNeighbours` ranks the active path's messages by exact cosine in process.
 */
let upstream: FakeEmbeddingsServer;
let svc: TestService;
let index: EmbeddingIndex;
let chatId: string;
const ids: Record<string, string> = {};

async function post(content: string, parent?: string): Promise<string> {
  const res = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
    body: { sender: 'user', content, ...(parent ? { parent_message_id: parent } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const allEmbedded = () =>
  waitFor(
    'every message of the active path to have its vector',
    async () => (await messagesToEmbed(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, 'hash-bow', 100)).length === 0,
    20_000,
    100,
  );

beforeAll(async () => {
  upstream = await startFakeEmbeddingsServer();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', MEMORY_EMBEDDING_MODEL: 'hash-bow' },
    roles: { api: true, projector: true, worker: true },
  });
  index = createEmbeddingIndex({
    db: svc.runtime.database.db,
    readSchema: svc.runtime.config.READ_SCHEMA,
    embeddings: embeddingSetup(svc.runtime.config)!,
  });
  const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Keeper' } });
  const chat = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
  chatId = chat.body.id;
  ids.keeper = await post('The lighthouse keeper is called Ottilie and she paints the lamp red.');
  ids.food = await post('We had pancakes with blueberries for breakfast.');
  ids.storm = await post('A storm broke three windows of the harbour office.');
  ids.dog = await post('The dog sleeps under the kitchen table.');
  await allEmbedded();
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

describe('embedding index', () => {
  test('vectors come from the provider’s /embeddings with the configured model', () => {
    expect(upstream.requests.length).toBeGreaterThan(0);
    expect(upstream.requests.every((r) => r.model === 'hash-bow')).toBe(true);
    expect(upstream.requests.flatMap((r) => r.input)).toEqual(expect.arrayContaining([expect.stringContaining('Ottilie')]));
  });

  test('embeddingNeighbours: the nearest messages by cosine, best first', async () => {
    const hits = await index.embeddingNeighbours(chatId, 'who is the lighthouse keeper', 2);
    expect(hits).toHaveLength(2);
    expect(hits[0]!.message_id).toBe(ids.keeper);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect((await index.embeddingNeighbours(chatId, 'pancakes and blueberries', 1))[0]!.message_id).toBe(ids.food);
    expect(await index.embeddingNeighbours(chatId, 'anything', 0)).toEqual([]);
  });

  test('only the active path: a branch that leaves a message behind no longer finds it', async () => {
    // A branch under the storm message: the dog message leaves the active path.
    ids.cat = await post('The cat sleeps on the warm kitchen stove.', ids.storm);
    await allEmbedded();
    const hits = await index.embeddingNeighbours(chatId, 'sleeps under the kitchen table', 5);
    expect(hits.map((h) => h.message_id)).not.toContain(ids.dog);
    expect(hits[0]!.message_id).toBe(ids.cat);
  });

  test('an edited message is embedded again from its new text', async () => {
    const edit = await svc.request('PUT', `/api/v1/character_messages/messages/${ids.food}`, {
      body: { content: 'We had porridge with honey.' },
    });
    expect(edit.status).toBe(200);
    await post('Another message, so the memory check runs.');
    await allEmbedded();
    expect((await index.embeddingNeighbours(chatId, 'porridge with honey', 1))[0]!.message_id).toBe(ids.food);
  });

  test('the index is a read model: a replay gives the same vectors without calling the provider', async () => {
    const calls = upstream.requests.length;
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl, svc.runtime.config.READ_SCHEMA);
    expect(differences).toEqual({});
    expect(upstream.requests.length).toBe(calls);
  });
});
