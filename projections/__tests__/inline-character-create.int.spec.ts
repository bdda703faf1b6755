import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql, type QueryCreator } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { characterDecider, characterStream } from '../../commands/characters/character-decider.ts';
import { nameStream, newNameClaim } from '../../commands/characters/character-names.ts';
import { createCharacter } from '../../commands/characters/character-workflows.ts';
import { decideNewStream, loadState } from '../../commands/command-handler.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { exportCard, parseCard } from '../../shared/cards/index.ts';
import { newId } from '../../shared/ids.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference, waitForProjectionsAtHead } from '../../test/read-model-check.ts';
import { characterCreateInline } from '../inline-character-create.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';

let svc: TestService;
const actor: Actor = {
  userId: 'local',
  isAdmin: false,
  requestId: 'inline-char',
  correlationId: 'inline-char',
  causationId: 'inline-char',
};
const seraphina = parseCard(new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png'))), {
  filename: 'Seraphina.png',
});
if (!seraphina.ok) throw new Error('fixture did not parse');
/** The fixture card as a PNG under another name. */
const cardNamed = (name: string) =>
  exportCard({ ...seraphina.card, data: { ...seraphina.card.data, name } }, 'png', { avatar: seraphina.avatar }).bytes;
const create = (name: string) => svc.request('POST', '/api/v1/characters', { body: { name, description: `about ${name}` } });
const importCard = (name: string) =>
  svc.upload('/api/v1/characters/import', { bytes: cardNamed(name), filename: 'card.png', type: 'image/png' });
const checkpointOf = async (name: string) =>
  (
    await svc.runtime.database.db
      .withSchema('read')
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
  ).position;
const characterRows = () => svc.runtime.database.db.withSchema('read').selectFrom('characters').selectAll().orderBy('id').execute();
const revisionOf = async (stream: string) => (await svc.runtime.eventStore.readStream(stream)).length;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('a created or imported character projected in its own append', () => {
  test('is answered while the projector is stopped, reads back as answered, and the projector later changes nothing', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    await svc.runtime.runner!.stop();
    let created: Awaited<ReturnType<typeof create>>;
    let imported: Awaited<ReturnType<typeof importCard>>;
    try {
      const checkpoint = await checkpointOf('characters');
      created = await create(`Inline ${newId()}`);
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/api/v1/characters/${created.body.id}`);
      imported = await importCard(`Imported ${newId()}`);
      expect(imported.status).toBe(201);
      expect(imported.body).toMatchObject({ version: 1, image_present: true });
      // Committed with the appends, before the projector saw them: the row is there, the checkpoint has not moved.
      const rows = await characterRows();
      expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining([created.body.id, imported.body.id]));
      expect(await checkpointOf('characters')).toBe(checkpoint);
    } finally {
      await svc.runtime.runner!.start();
    }
    const written = await characterRows();
    // The next read waits (once, bounded) for the other projections, then answers what the create answered.
    const read = await svc.request('GET', `/api/v1/characters/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const readImport = await svc.request('GET', `/api/v1/characters/${imported.body.id}`);
    expect(readImport.body).toMatchObject({
      id: imported.body.id,
      name: imported.body.name,
      version: 1,
      updated_at: imported.body.updated_at,
    });
    // The card's book, created and attached in one append of its own streams after the character's, is read back too.
    const bookId = (imported.body.import as { world_book: { id: string; created: boolean } }).world_book.id;
    const books = await svc.request('GET', `/api/v1/characters/${imported.body.id}/world-books`);
    expect(books.status).toBe(200);
    expect(JSON.stringify(books.body)).toContain(bookId);
    expect((await svc.request('GET', `/api/v1/characters/world-books/${bookId}`)).status).toBe(200);
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    // The projector passed over both creations (its revision guard) without changing a row the appends wrote.
    expect(await characterRows()).toEqual(written);
  }, 60_000);

  test('a name whose reservation stream exists (its holder deleted) is read and claimed at its revision, still inline', async () => {
    const name = `Reused ${newId()}`;
    const first = await create(name);
    expect(first.status).toBe(201);
    expect((await svc.request('DELETE', `/api/v1/characters/${first.body.id}`)).status).toBeLessThan(300);
    const stream = nameStream('local', name);
    expect(await revisionOf(stream)).toBeGreaterThan(0);
    const second = await create(name);
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect((await svc.request('GET', `/api/v1/characters/${second.body.id}`)).body.name).toBe(name);
    // A taken name is still a 409 after the unread first claim is refused.
    expect((await create(name)).status).toBe(409);
  });

  test('work that fails rolls back both streams; the name stays free', async () => {
    const store = svc.runtime.eventStore;
    const name = `Rolled back ${newId()}`;
    const characterId = newId();
    const character = decideNewStream(
      characterStream(characterId),
      characterDecider,
      {
        type: 'CreateCharacter',
        characterId,
        stored: { card: { ...seraphina.card, data: { ...seraphina.card.data, name } }, avatar: null, assets: [] },
        source: { kind: 'api' },
      },
      actor,
    );
    const failing = {
      statement: (db: QueryCreator<ReadModels>) => db.with('inline', () => sql`(SELECT (1 / 0)::text AS id)`),
      answer: () => 'never',
    };
    await expect(store.appendMultipleInline!([newNameClaim('local', name, characterId, actor), character.append], failing)).rejects.toThrow(
      'division by zero',
    );
    expect(await revisionOf(nameStream('local', name))).toBe(0);
    expect((await loadState(store, characterStream(characterId), characterDecider)).revision).toBe(0);
    const answered = await createCharacter({ eventStore: store }, actor, {
      stored: { card: { ...seraphina.card, data: { ...seraphina.card.data, name } }, avatar: null, assets: [] },
      source: { kind: 'api' },
      inline: characterCreateInline('read'),
    });
    expect(answered.inline).toMatchObject({ id: answered.characterId, name, version: 1 });
  });

  test('concurrent creates and imports of one name: exactly one wins; of distinct names: all land inline', async () => {
    const name = `Contended ${newId()}`;
    const same = await Promise.all([
      ...Array.from({ length: 4 }, () => create(name)),
      ...Array.from({ length: 4 }, () => importCard(name)),
    ]);
    expect(same.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const list = await svc.request('GET', `/api/v1/characters?q=${encodeURIComponent(name)}&limit=50`);
    expect(list.body.items.filter((c: { name: string }) => c.name === name)).toHaveLength(1);
    const distinct = await Promise.all(Array.from({ length: 12 }, (_, i) => create(`Distinct ${i} ${newId()}`)));
    expect(distinct.map((a) => a.status)).toEqual(distinct.map(() => 201));
    for (const answer of distinct) expect((await svc.request('GET', `/api/v1/characters/${answer.body.id}`)).body).toEqual(answer.body);
  });

  test('a rebuild from the log equals the characters read model the inline creations and the projector left', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_inline_chars' });
    try {
      expect(await tableDifference(db, 'read', 'read_inline_chars', 'characters')).toBe(0);
      for (const table of ['audit_events', 'world_books', 'world_book_entries', 'character_world_books'])
        expect(await tableDifference(db, 'read', 'read_inline_chars', table)).toBe(0);
    } finally {
      await sql`DROP SCHEMA read_inline_chars CASCADE`.execute(db);
    }
  });
});
