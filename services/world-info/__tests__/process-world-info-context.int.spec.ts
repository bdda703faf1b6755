/**
 * The process-context use case without its route, on the real runtime: the scope a chat gives (its messages, its
 * character's book, its own books, its owner's data even for an administrator), who may scan what, the scan limit
 * checked first, and recorded activations. The data is made over real HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError } from '../../../shared/errors.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { processContextBody, toEngineSettings } from '../../api/routes/process-context-schemas.ts';
import { createWorldInfoContextProcessor } from '../process-world-info-context.ts';
import { actorOf } from '../../../test/actors.ts';

let svc: TestService;
let processor: ReturnType<typeof createWorldInfoContextProcessor>;
let ann: { principal: Actor; key: string };
let bea: Actor;
let annChat: { id: string; characterId: string; cardBookId: string };
const root: Actor = actorOf('root', true);

beforeAll(async () => {
  svc = await startTestService({
    env: {
      AUTH_MODE: 'multi-user',
      JWT_SECRET: 'process-context-secret-0123456789-abcdef',
      RATE_LIMITS_ENABLED: 'false',
      WORLD_INFO_MAX_SCAN_CHARS: '20000',
    },
  });
  const rt = svc.runtime;
  processor = createWorldInfoContextProcessor({
    db: rt.database.db,
    readSchema: rt.config.READ_SCHEMA,
    cpu: rt.cpu,
    eventStore: rt.eventStore,
    waiter: rt.waiter,
    config: rt.config,
  });
  const a = await rt.userStore.createUser(`ann-${randomBytes(3).toString('hex')}`, false);
  ann = { principal: actorOf(a.user.id), key: a.apiKey };
  bea = actorOf((await rt.userStore.createUser(`bea-${randomBytes(3).toString('hex')}`, false)).user.id);
  const png = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
  const character = (
    await svc.upload('/api/v1/characters/import', { bytes: png, filename: 'Seraphina.png', type: 'image/png' }, { key: ann.key })
  ).body;
  const chat = (await svc.request('POST', '/api/v1/character_chats', { key: ann.key, body: { character_id: character.id } })).body;
  expect(
    (
      await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
        key: ann.key,
        body: { sender: 'user', content: 'Is a shadowfang near?' },
      })
    ).status,
  ).toBe(201);
  annChat = { id: chat.id, characterId: character.id, cardBookId: character.import.world_book.id };
});
afterAll(async () => {
  await svc?.close();
});

const context = (who: Actor): Actor => ({
  userId: who.userId,
  isAdmin: who.isAdmin,
  requestId: randomUUID(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
});
const run = (raw: Record<string, unknown>, who: Actor) => {
  const body = processContextBody.parse(raw);
  return processor.process(body, toEngineSettings(body), context(who));
};

async function problemOf(work: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await work;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('no error');
}

describe('process world-info context', () => {
  test("a chat brings its messages and its character's book; the request's text counts for the chat's length", async () => {
    const { result, books, recorded, chatLength } = await run(
      { chat_id: annChat.id, text: 'And now?', include_global: false },
      ann.principal,
    );
    expect(books.map((b) => [b.id, b.source])).toEqual([[annChat.cardBookId, 'character']]);
    expect(result.activated.some((a) => a.bookId === annChat.cardBookId)).toBe(true);
    expect(recorded).toBe(false);
    expect(chatLength).toBe(3);
  });

  test("another user's chat or character is a 403; an administrator scans it with its owner's books", async () => {
    expect(await problemOf(run({ chat_id: annChat.id }, bea))).toEqual({ status: 403, code: 'forbidden' });
    expect(await problemOf(run({ character_id: annChat.characterId, text: 'x' }, bea))).toEqual({ status: 403, code: 'forbidden' });
    const asAdmin = await run({ chat_id: annChat.id, include_global: false }, root);
    expect(asAdmin.books.map((b) => b.ownerId)).toEqual([ann.principal.userId]);
  });

  test('a text over WORLD_INFO_MAX_SCAN_CHARS is a 413 scan_too_large', async () => {
    expect(await problemOf(run({ text: 'x'.repeat(20_001) }, ann.principal))).toEqual({ status: 413, code: 'scan_too_large' });
  });

  test('record: true appends the activations and waits for them to be read', async () => {
    const { recorded, result } = await run(
      { character_id: annChat.characterId, text: 'A shadowfang!', record: true, include_global: false },
      ann.principal,
    );
    const fromCardBook = result.activated.filter((a) => a.bookId === annChat.cardBookId).length;
    expect(fromCardBook).toBeGreaterThan(0);
    expect(recorded).toBe(true);
    // Read right after (no polling): the statistics already count them.
    const stats = await svc.request('GET', `/api/v1/characters/world-books/${annChat.cardBookId}/statistics`, { key: ann.key });
    expect(stats.body.total_activations).toBe(fromCardBook);
  });
});
