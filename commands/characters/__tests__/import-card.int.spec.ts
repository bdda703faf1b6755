/**
 * The card import workflow without HTTP, on the real runtime (PostgreSQL event store, blob store, CPU pool): what an
 * import appends and stores, and that a refusal at each step (unreadable card, rate limit, storage quota, name
 * conflict) appends nothing, writes no blob and gives the quota back. What it appended is read back over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildPng, cardJson, tEXt } from '../../../shared/cards/__tests__/helpers/builders.ts';
import { resolveCardLimits, type CardParseOptions } from '../../../shared/cards/index.ts';
import { AppError } from '../../../shared/errors.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { importCard, type ImportCardInput, type ImportCardPorts } from '../import-card.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const context = (): Actor => ({
  userId: 'local',
  isAdmin: false,
  requestId: randomUUID(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
});
const seraphina = () => new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
const pngCard = (name: string) => buildPng([tEXt('chara', Buffer.from(cardJson(name)).toString('base64'))]);

/** The runtime's ports, recording what the rate limit was asked for; `refuse` makes the rate limit a 429. */
function portsOf(options: { quota?: number; refuse?: boolean } = {}) {
  const admitted: Array<{ withBinaries: boolean }> = [];
  const rt = svc.runtime;
  const ports: ImportCardPorts = {
    eventStore: rt.eventStore,
    blobStore: rt.blobStore,
    parse: (bytes: Uint8Array, parseOptions: CardParseOptions) => rt.cpu.run('parseCard', { bytes, options: parseOptions }, 'local'),
    admit: async (card) => {
      admitted.push(card);
      if (options.refuse) throw new AppError(429, 'rate_limited', 'too many imports');
    },
    config: { STORAGE_QUOTA_BYTES_PER_USER: options.quota ?? rt.config.STORAGE_QUOTA_BYTES_PER_USER },
  };
  return { ports, admitted };
}

const input = (bytes: Uint8Array, filename: string, extra: Partial<ImportCardInput> = {}): ImportCardInput => ({
  file: { bytes, filename, mimeType: 'image/png' },
  allowImageOnly: false,
  onConflict: 'error',
  limits: resolveCardLimits({}),
  ...extra,
});

async function blobCount(): Promise<number> {
  const { rows } = await svc.runtime.database.pool.query('SELECT count(*)::int AS n FROM blobs.blobs');
  return rows[0].n;
}

async function usedBytes(): Promise<number> {
  const res = await svc.request('GET', '/api/v1/users/me/usage');
  expect(res.status).toBe(200);
  return res.body.bytes_used;
}

async function refusal(run: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await run;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('the import was not refused');
}

describe('importCard', () => {
  test('a card with an image and a character_book: the character, its image and its attached world book', async () => {
    const { ports, admitted } = portsOf();
    const imported = await importCard(ports, context(), input(seraphina(), 'Seraphina.png'));
    expect(admitted).toEqual([{ withBinaries: true }]);
    expect(imported.parsed).toMatchObject({ sourceFormat: 'png', source: { dialect: 'v3' } });
    expect(imported.outcome.replaced).toBe(false);
    expect(imported.book).toMatchObject({ created: true, entryCount: 4 });
    expect(imported.position).toBe(imported.book!.position);
    await svc.runtime.waiter.waitFor(imported.position!, 15_000);
    const character = await svc.request('GET', `/api/v1/characters/${imported.outcome.characterId}`);
    expect(character.body).toMatchObject({ name: 'Seraphina', has_character_book: true, image: { mime: 'image/png' } });
    const image = await svc.download(character.body.image.url);
    expect(image.status).toBe(200);
    const book = await svc.request('GET', `/api/v1/characters/world-books/${imported.book!.worldBookId}`);
    expect(book.status).toBe(200);
  });

  test('a file that is not what its name says is the parser problem: the rate limit is not spent, nothing is appended', async () => {
    const { ports, admitted } = portsOf();
    const before = await svc.runtime.eventStore.headPosition();
    expect(await refusal(importCard(ports, context(), input(new TextEncoder().encode('not a card'), 'x.png')))).toEqual({
      status: 400,
      code: 'format_mismatch',
    });
    expect(admitted).toEqual([]);
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
  });

  test('a refused rate limit stops the import before the quota and the blobs', async () => {
    const { ports } = portsOf({ refuse: true });
    const [before, blobs, used] = await Promise.all([svc.runtime.eventStore.headPosition(), blobCount(), usedBytes()]);
    expect(await refusal(importCard(ports, context(), input(pngCard(`Limited ${randomUUID()}`), 'limited.png')))).toEqual({
      status: 429,
      code: 'rate_limited',
    });
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
    expect(await blobCount()).toBe(blobs);
    expect(await usedBytes()).toBe(used);
  });

  test('over the storage quota is a 413 quota_exceeded before anything is stored', async () => {
    const { ports } = portsOf({ quota: 1 });
    const [before, blobs] = await Promise.all([svc.runtime.eventStore.headPosition(), blobCount()]);
    expect(await refusal(importCard(ports, context(), input(pngCard(`Big ${randomUUID()}`), 'big.png')))).toEqual({
      status: 413,
      code: 'quota_exceeded',
    });
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
    expect(await blobCount()).toBe(blobs);
  });

  test('a name conflict is a 409 that gives the reserved quota back; rename imports it under a new name', async () => {
    const name = `Twin ${randomUUID()}`;
    const first = await importCard(portsOf().ports, context(), input(pngCard(name), 'twin.png'));
    await svc.runtime.waiter.waitFor(first.position!, 15_000);
    const used = await usedBytes();
    // The same name with another image: its bytes are reserved, then given back.
    const other = buildPng([tEXt('chara', Buffer.from(cardJson(name)).toString('base64')), tEXt('Comment', randomUUID())]);
    expect(await refusal(importCard(portsOf().ports, context(), input(other, 'twin.png')))).toMatchObject({
      status: 409,
      code: 'name_conflict',
    });
    expect(await usedBytes()).toBe(used);
    const renamed = await importCard(portsOf().ports, context(), input(other, 'twin.png', { onConflict: 'rename' }));
    expect(renamed.outcome.renamedFrom).toBe(name);
    expect(renamed.outcome.characterId).not.toBe(first.outcome.characterId);
  });
});
