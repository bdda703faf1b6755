import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { newId } from '../../shared/ids.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { characterWorldBooksProjection } from '../character-world-books-projection.ts';
import { withUpcast } from '../projection-runner.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';
import { worldBooksProjection } from '../world-books-projection.ts';
import { worldInfoActivationsProjection } from '../world-info-activations-projection.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BASE = '/api/v1/characters/world-books';
const mine = [worldBooksProjection, characterWorldBooksProjection, worldInfoActivationsProjection];

async function seed() {
  const book = (await svc.request('POST', BASE, { body: { name: 'Seeded' } })).body;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      (await svc.request('POST', `${BASE}/${book.id}/entries`, { body: { keys: [`k${i}`], content: `content ${i}` } })).body.entry_id,
    );
  await svc.request('PUT', `${BASE}/${book.id}/entries/${ids[0]}`, { body: { content: 'changed' } });
  await svc.request('DELETE', `${BASE}/${book.id}/entries/${ids[1]}`);
  await svc.request('POST', `${BASE}/entries/bulk`, { body: { entry_ids: [ids[2], ids[3]], operation: 'set_order', value: 3 } });
  await svc.request('POST', `${BASE}/entries/bulk`, { body: { entry_ids: [ids[4]], operation: 'delete' } });
  await svc.request('PUT', `${BASE}/${book.id}`, { body: { name: 'Seeded 2', is_global: true, description: 'd' } });
  await svc.request('POST', `${BASE}/process-context`, { body: { text: 'k0 k2', world_book_ids: [book.id], record: true } });
  await svc.request('POST', `${BASE}/process-context`, { body: { text: 'k0', world_book_ids: [book.id], record: true } });
  const png = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
  const character = (await svc.upload('/api/v1/characters/import', { bytes: png, filename: 'Seraphina.png', type: 'image/png' })).body;
  await svc.request('POST', `/api/v1/characters/${character.id}/world-books`, { body: { world_book_id: book.id, priority: 3 } });
  await svc.request('DELETE', `/api/v1/characters/${character.id}/world-books/${book.id}`);
  await svc.request('POST', `/api/v1/characters/${character.id}/world-books`, { body: { world_book_id: book.id, priority: 4 } });
  await svc.request('DELETE', `${BASE}/${book.id}`);
  await svc.request('POST', `${BASE}/${book.id}/restore`);
  return book.id as string;
}

async function snapshot(schema: string) {
  const db = svc.runtime.database.db.withSchema(schema);
  return {
    books: await db.selectFrom('world_books').selectAll().orderBy('id').execute(),
    entries: await db.selectFrom('world_book_entries').selectAll().orderBy('entry_id').execute(),
    attachments: await db.selectFrom('character_world_books').selectAll().orderBy('character_id').orderBy('world_book_id').execute(),
    activations: await db.selectFrom('world_book_entry_activations').selectAll().orderBy('entry_id').execute(),
    streams: await db.selectFrom('world_book_activation_streams').selectAll().orderBy('stream_id').execute(),
  };
}

describe('world-book projections', () => {
  test('a rebuild equals the live tables; redelivered events change nothing', async () => {
    const bookId = await seed();
    const live = await snapshot('read');
    expect(live.books.find((b) => b.id === bookId)).toMatchObject({ name: 'Seeded 2', entry_count: 3, is_global: true, deleted_at: null });
    expect(live.activations.map((a) => a.activation_count).sort()).toEqual([1, 2]);
    expect(live.attachments.find((a) => a.world_book_id === bookId)).toMatchObject({ priority: 4, detached_at: null });

    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_wb' });
    expect(await snapshot('read_wb')).toEqual(live);
    await sql`DROP SCHEMA read_wb CASCADE`.execute(db);

    const events = (await svc.runtime.eventStore.readAll({ maxCount: 100_000 })).map(withUpcast);
    await db.transaction().execute(async (trx) => {
      for (const e of events) for (const p of mine) if (p.handles.has(e.type)) await p.apply(trx.withSchema('read'), e);
    });
    expect(await snapshot('read')).toEqual(live);
  });

  test('an event for a book without a row throws (the projection stops and reports)', async () => {
    const id = newId();
    const event = {
      id: newId(),
      streamId: `worldbook-${id}`,
      revision: 2,
      position: 'x',
      type: 'WorldBookRestored',
      data: { worldBookId: id },
      metadata: { userId: 'local', correlationId: 'x', causationId: 'x', requestId: 'x', schemaVersion: 1 },
      createdAt: new Date(),
    };
    await expect(
      svc.runtime.database.db.transaction().execute((trx) => worldBooksProjection.apply(trx.withSchema('read'), event)),
    ).rejects.toThrow(/has no row/);
    const detach = { ...event, streamId: `characterbooks-${id}`, type: 'WorldBookDetached', data: { characterId: id, worldBookId: id } };
    await expect(
      svc.runtime.database.db.transaction().execute((trx) => characterWorldBooksProjection.apply(trx.withSchema('read'), detach)),
    ).rejects.toThrow(/has no row/);
  });
});
