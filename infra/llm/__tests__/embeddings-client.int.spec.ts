import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashedBagOfWords, startFakeEmbeddingsServer, type FakeEmbeddingsServer } from '../../../test/fake-llm/fake-embeddings-server.ts';
import { createEmbeddingsClient } from '../embeddings-client.ts';
import type { ProviderSettings } from '../provider-config.ts';
import { ProviderError } from '../provider-errors.ts';

const settings = (baseUrl: string): ProviderSettings => ({
  name: 'local',
  type: 'openai-compatible',
  baseUrl,
  apiKey: 'sk-test',
  headers: { 'x-extra': 'yes' },
  models: [],
  allowUnlistedModels: true,
  contextSize: 8192,
  replyReserve: 512,
  connectTimeoutMs: 5000,
  idleTimeoutMs: 5000,
  vision: false,
});

let stand: FakeEmbeddingsServer;
let broken: Server;
let brokenUrl: string;
let brokenReply: { status: number; body: string } = { status: 500, body: '{}' };

beforeAll(async () => {
  stand = await startFakeEmbeddingsServer();
  broken = createServer((_req, res) => res.writeHead(brokenReply.status, { 'content-type': 'application/json' }).end(brokenReply.body));
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stand?.close();
  await new Promise<void>((resolve) => broken.close(() => resolve()));
});

describe('OpenAI-compatible embeddings client', () => {
  test('one vector per input, in order, with the model named', async () => {
    const client = createEmbeddingsClient(settings(`${stand.url}/v1/`));
    const vectors = await client.embed('hash-bow', ['red door', 'blue key']);
    expect(vectors.map((v) => [...v])).toEqual([hashedBagOfWords('red door'), hashedBagOfWords('blue key')]);
    expect(stand.requests.at(-1)).toEqual({ model: 'hash-bow', input: ['red door', 'blue key'] });
    expect(await client.embed('hash-bow', [])).toEqual([]);
  });

  test('an error answer, a body that is not JSON, or a missing vector is a ProviderError', async () => {
    const client = createEmbeddingsClient(settings(brokenUrl));
    brokenReply = { status: 429, body: '{"error":{"message":"slow down"}}' };
    await expect(client.embed('m', ['a'])).rejects.toMatchObject({ code: 'upstream_rate_limited' });
    brokenReply = { status: 200, body: 'not json' };
    await expect(client.embed('m', ['a'])).rejects.toBeInstanceOf(ProviderError);
    brokenReply = { status: 200, body: JSON.stringify({ data: [{ index: 0, embedding: [1, 2] }] }) };
    await expect(client.embed('m', ['a', 'b'])).rejects.toMatchObject({ code: 'upstream_bad_response' });
  });
});
