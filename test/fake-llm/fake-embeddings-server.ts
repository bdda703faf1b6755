/**
 * A stand-in for an OpenAI-compatible `POST /embeddings`, over real HTTP: deterministic vectors computed from the
 * text. A model whose name holds `ngram` gets hashed character n-grams (`hashedCharacterNgrams`: word pieces, so
 * "remembered" is near "remember" and a typo near its word); any other model a hashed bag of words (each
 * lower-cased word adds 1 at the index its FNV-1a hash picks), so texts sharing words are near. It records what
 * it receives.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_EMBEDDING_DIMENSIONS = 256;

function fnv1a(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The vector the stand-in answers for a text. */
export function hashedBagOfWords(text: string, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const out = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) out[fnv1a(word) % dimensions]! += 1;
  return out;
}

/** Dimensions of the n-gram vectors. */
export const NGRAM_DIMENSIONS = 384;

/**
 * Feature hashing of character 3- and 4-grams of each word (with word boundaries, diacritics folded) and the word
 * itself, each with a hashed sign (so collisions cancel rather than pile up), counts damped by a square root.
 */
export function hashedCharacterNgrams(text: string, dimensions = NGRAM_DIMENSIONS): number[] {
  const counts = new Map<string, number>();
  const words =
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    const padded = `<${word}>`;
    counts.set(`w:${word}`, (counts.get(`w:${word}`) ?? 0) + 1);
    for (const n of [3, 4])
      for (let i = 0; i + n <= padded.length; i++) counts.set(padded.slice(i, i + n), (counts.get(padded.slice(i, i + n)) ?? 0) + 1);
  }
  const out = new Array<number>(dimensions).fill(0);
  for (const [piece, count] of counts) {
    const h = fnv1a(piece);
    out[h % dimensions]! += (h & 0x80000000 ? -1 : 1) * Math.sqrt(count);
  }
  return out;
}

export interface FakeEmbeddingsServer {
  url: string;
  requests: Array<{ model: string; input: string[] }>;
  close(): Promise<void>;
}

export async function startFakeEmbeddingsServer(): Promise<FakeEmbeddingsServer> {
  const requests: FakeEmbeddingsServer['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/embeddings')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; input: string | string[] };
      const input = Array.isArray(body.input) ? body.input : [body.input];
      requests.push({ model: body.model, input });
      const data = input.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: body.model.includes('ngram') ? hashedCharacterNgrams(text) : hashedBagOfWords(text),
      }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
