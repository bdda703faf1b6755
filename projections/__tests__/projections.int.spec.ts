import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { createLogger } from '../../infra/logger.ts';
import { newId } from '../../shared/ids.ts';
import { eventually } from '../../test/eventually.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference } from '../../test/read-model-check.ts';
import { applyBatch, createProjectionRunner } from '../projection-runner.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';
import { charactersProjection } from '../characters-projection.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { READ_YOUR_WRITES_TIMEOUT_MS: '2000' } });
});
afterAll(async () => {
  await svc?.close();
});

async function seed(count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { body } = await svc.request('POST', '/api/v1/characters', {
      body: { name: `Seed ${i}`, tags: [`T${i % 3}`], extensions: { i } },
    });
    ids.push(body.id);
    if (i % 3 === 0) await svc.request('PUT', `/api/v1/characters/${body.id}?expected_version=1`, { body: { scenario: `s${i}` } });
    if (i % 5 === 0) await svc.request('DELETE', `/api/v1/characters/${body.id}`);
  }
  return ids;
}

const tableDiff = (a: string, b: string, table: string) => tableDifference(svc.runtime.database.db, a, b, table);

describe('projections', () => {
  test('a rebuild into a fresh schema equals the live read models row for row', async () => {
    await seed(30);
    const { db } = svc.runtime.database;
    const result = await rebuildReadModels({
      db,
      eventStore: svc.runtime.eventStore,
      liveSchema: 'read',
      projections,
      targetSchema: 'read_check',
    });
    expect(result.events).toBeGreaterThanOrEqual(30 + 10 + 6);
    for (const p of projections) for (const table of p.tables) expect(await tableDiff('read', 'read_check', table)).toBe(0);
    const live = await db
      .withSchema('read')
      .selectFrom('characters')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(live.n)).toBeGreaterThanOrEqual(30);
    await sql`DROP SCHEMA read_check CASCADE`.execute(db);
  });

  test('rebuild with swap replaces the live schema while the API keeps answering', async () => {
    const before = (await svc.request('GET', '/api/v1/characters?limit=200')).body;
    const result = await rebuildReadModels({
      db: svc.runtime.database.db,
      eventStore: svc.runtime.eventStore,
      liveSchema: 'read',
      projections,
      swap: true,
    });
    expect(result.swapped).toBe(true);
    const after = (await svc.request('GET', '/api/v1/characters?limit=200')).body;
    expect(after).toEqual(before);
    // The live projector carries on against the new tables.
    const created = await svc.request('POST', '/api/v1/characters', { body: { name: 'After swap' } });
    expect(created.status).toBe(201);
    expect((await svc.request('GET', `/api/v1/characters/${created.body.id}`)).status).toBe(200);
  });

  test('redelivering an applied batch changes nothing', async () => {
    const { db } = svc.runtime.database;
    const events = await svc.runtime.eventStore.readAll({ maxCount: 10_000 });
    const snapshot = await db.withSchema('read').selectFrom('characters').selectAll().orderBy('id').execute();
    const result = await applyBatch(db, 'read', charactersProjection, events);
    expect(result.applied).toBe(0);
    expect(await db.withSchema('read').selectFrom('characters').selectAll().orderBy('id').execute()).toEqual(snapshot);
    // Even applied directly, bypassing the checkpoint, the per-row revision guard keeps rows as they are.
    await db.transaction().execute(async (trx) => {
      for (const e of events) if (charactersProjection.handles.has(e.type)) await charactersProjection.apply(trx.withSchema('read'), e);
    });
    expect(await db.withSchema('read').selectFrom('characters').selectAll().orderBy('id').execute()).toEqual(snapshot);
  });

  test('the batched fast path leaves exactly the rows that applying one by one does', async () => {
    const { db } = svc.runtime.database;
    const { migrateReadModels } = await import('../../infra/db/migrate.ts');
    const { withUpcast } = await import('../projection-runner.ts');
    await migrateReadModels(db, 'read_single');
    await migrateReadModels(db, 'read_many');
    const events = (await svc.runtime.eventStore.readAll({ maxCount: 100_000 }))
      .filter((e) => charactersProjection.handles.has(e.type) && e.data.fields?.['name' as never] !== null)
      .map(withUpcast);
    await db.transaction().execute(async (trx) => {
      for (const e of events) await charactersProjection.apply(trx.withSchema('read_single'), e);
    });
    // Uneven chunks, so some characters' events straddle two calls.
    for (let i = 0; i < events.length; i += 7) await charactersProjection.applyMany!(db.withSchema('read_many'), events.slice(i, i + 7));
    expect(await tableDiff('read_single', 'read_many', 'characters')).toBe(0);
    const n = await db
      .withSchema('read_many')
      .selectFrom('characters')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBeGreaterThan(30);
    await sql`DROP SCHEMA read_single CASCADE`.execute(db);
    await sql`DROP SCHEMA read_many CASCADE`.execute(db);
  });

  test('only one projector runs at a time; a second one waits for the lock', async () => {
    const second = createProjectionRunner({
      connectionString: svc.databaseUrl,
      db: svc.runtime.database.db,
      eventStore: svc.runtime.eventStore,
      schema: 'read',
      projections,
      logger: createLogger('silent'),
    });
    await second.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(second.status().every((s) => s.state === 'waiting_for_lock')).toBe(true);
    await second.stop();
  });

  test('an event the projection cannot apply stops it and is reported, not skipped', async () => {
    const existing = await svc.request('POST', '/api/v1/characters', { body: { name: 'Before the poison' } });
    expect(existing.status).toBe(201);
    // A poison event written straight to the log: a character with no name violates the read model.
    const id = newId();
    const poison = await svc.runtime.eventStore.append(
      `character-${id}`,
      [
        {
          id: newId(),
          type: 'CharacterCreated',
          data: { characterId: id, ownerId: 'local', fields: { name: null } },
          metadata: { userId: 'local', correlationId: 'x', causationId: 'x', requestId: 'x', schemaVersion: 1 },
        },
      ],
      'no_stream',
    );
    const deadline = Date.now() + 10_000;
    let status = svc.runtime.runner!.status().find((s) => s.name === 'characters')!;
    while (status.state !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = svc.runtime.runner!.status().find((s) => s.name === 'characters')!;
    }
    expect(status.state).toBe('failed');
    expect(status.lastError).toMatchObject({ eventType: 'CharacterCreated', streamId: `character-${id}` });
    const ready = await svc.request('GET', '/ready', { key: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.projections.projections[0]).toMatchObject({ name: 'characters', state: 'failed' });
    const row = await svc.runtime.database.db
      .withSchema('read')
      .selectFrom('projection_checkpoints')
      .selectAll()
      .where('name', '=', 'characters')
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatchObject({ eventType: 'CharacterCreated' });
    // With PROJECTION_APPLY=parallel the projections that could apply the batch (each in its own transaction) moved
    // past the event, and those that cannot (the audit summary needs the name too) stopped on it as well; the serial
    // default applies a batch in one transaction, so there every projection waits on the failed one.
    if (svc.runtime.config.PROJECTION_APPLY === 'parallel') {
      // Each projection records its own outcome (its transaction settles on its own): read until none is still behind.
      const others = await eventually(
        () =>
          svc.runtime.database.db
            .withSchema('read')
            .selectFrom('projection_checkpoints')
            .select(['name', 'position', 'status'])
            .where('name', '!=', 'characters')
            .execute(),
        (rows) => rows.every((r) => r.status === 'failed' || r.position >= poison.position),
        10_000,
      );
      const running = others.filter((other) => other.status !== 'failed');
      expect(running.map((r) => r.name)).toEqual(expect.arrayContaining(['chats', 'world_books', 'usage_analytics']));
      expect(running.filter((other) => other.position < poison.position)).toEqual([]);
    }
    // Commands no longer see their writes applied: they answer 202 with a Location instead of hanging.
    const updated = await svc.request('PUT', `/api/v1/characters/${existing.body.id}`, { body: { description: 'Stuck' } });
    expect(updated.status).toBe(202);
    expect(updated.headers.get('location')).toBe(`/api/v1/characters/${existing.body.id}`);
    // A creation writes its own row with its append (INLINE_PROJECTIONS): a new row, whatever the projector's state.
    const created = await svc.request('POST', '/api/v1/characters', { body: { name: 'Created past the poison' } });
    expect(created.status).toBe(201);
  }, 20_000);
});
