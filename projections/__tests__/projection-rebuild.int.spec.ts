import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference } from '../../test/read-model-check.ts';
import { rebuildProjection } from '../rebuild-projection.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';

/**
 * Single-projection rebuilds while the service runs: commands keep writing and queries keep answering during the
 * rebuild, and afterwards every projection's tables equal a full rebuild from the log (each event applied
 * exactly once: counters such as a chat's `message_count` or the usage counts would show a duplicate or a gap).
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { READ_YOUR_WRITES_TIMEOUT_MS: '5000' } });
});
afterAll(async () => {
  await svc?.close();
});

const tableDiff = (a: string, b: string, table: string) => tableDifference(svc.runtime.database.db, a, b, table);

/** Writers (characters, chats, messages) and readers running until stopped; every answer must be a success. */
function load() {
  let running = true;
  const failures: string[] = [];
  let writes = 0;
  let reads = 0;
  const writer = async (n: number) => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: `Writer ${n}`, first_message: 'Hi.' } })).body.id;
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character } })).body.id;
    for (let i = 0; running; i++) {
      const res =
        i % 5 === 4
          ? await svc.request('POST', '/api/v1/characters', { body: { name: `Writer ${n}.${i}` } })
          : await svc.request('POST', `/api/v1/character_messages/chats/${chat}/messages`, {
              body: { sender: i % 2 ? 'assistant' : 'user', content: `message ${i}` },
            });
      if (res.status !== 201) failures.push(`write ${res.status} ${JSON.stringify(res.body)}`);
      writes++;
    }
  };
  const reader = async () => {
    while (running) {
      for (const url of ['/api/v1/characters?limit=20', '/api/v1/character_chats?limit=20', '/api/v1/analytics/usage']) {
        const res = await svc.request('GET', url);
        if (res.status !== 200) failures.push(`read ${url} ${res.status}`);
        reads++;
      }
    }
  };
  const all = Promise.all([writer(1), writer(2), writer(3), reader()]);
  return {
    async stop() {
      running = false;
      await all;
      return { failures, writes, reads };
    },
  };
}

describe('rebuilding one projection', () => {
  test('under concurrent writes and reads: swapped in, every event once, equal to a full rebuild', async () => {
    const { db } = svc.runtime.database;
    // Some history first, so the rebuild has work to do.
    for (let i = 0; i < 10; i++) {
      const c = (await svc.request('POST', '/api/v1/characters', { body: { name: `Seed ${i}`, first_message: 'Hello.' } })).body.id;
      const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: c } })).body.id;
      for (let j = 0; j < 5; j++)
        await svc.request('POST', `/api/v1/character_messages/chats/${chat}/messages`, { body: { sender: 'user', content: `seed ${j}` } });
    }
    const traffic = load();
    await new Promise((r) => setTimeout(r, 300));
    const progress: number[] = [];
    for (const name of ['chats', 'usage_analytics', 'characters']) {
      const projection = projections.find((p) => p.name === name)!;
      // Small pages, so the live projector moves on many times while the side tables are built.
      // Between the build and the swap, more events are applied live: the swap must apply that tail itself.
      const onBuilt = async () => {
        const c = (await svc.request('POST', '/api/v1/characters', { body: { name: `Between ${name}`, first_message: 'Hi.' } })).body.id;
        const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: c } })).body.id;
        for (let j = 0; j < 3; j++)
          expect(
            (
              await svc.request('POST', `/api/v1/character_messages/chats/${chat}/messages`, {
                body: { sender: 'user', content: `tail ${j}` },
              })
            ).status,
          ).toBe(201);
      };
      const result = await rebuildProjection({
        db,
        eventStore: svc.runtime.eventStore,
        liveSchema: 'read',
        projection,
        pageSize: 50,
        onBuilt,
        onProgress: (p) => void progress.push(p.events),
      });
      expect(result.events).toBeGreaterThan(50);
    }
    await new Promise((r) => setTimeout(r, 300));
    const { failures, writes, reads } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(writes).toBeGreaterThan(10);
    expect(reads).toBeGreaterThan(10);
    expect(progress.length).toBeGreaterThan(3);

    const head = await svc.runtime.eventStore.headPosition();
    expect(await svc.runtime.waiter.waitFor(head, 10_000)).toBe(true);
    expect(svc.runtime.runner!.status().every((s) => s.state === 'running')).toBe(true);
    // The side schemas are gone.
    const leftovers = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'read_rb_%'`.execute(db);
    expect(leftovers.rows[0]!.n).toBe(0);

    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_full' });
    for (const p of projections)
      for (const table of p.tables) expect([table, await tableDiff('read', 'read_full', table)]).toEqual([table, 0]);
    // Checkpoints: every projection at the head.
    const checkpoints = await db.withSchema('read').selectFrom('projection_checkpoints').select(['name', 'position']).execute();
    for (const c of checkpoints) expect([c.name, c.position]).toEqual([c.name, head]);
    await sql`DROP SCHEMA read_full CASCADE`.execute(db);

    // The projector carries on against the swapped-in tables.
    const after = await svc.request('POST', '/api/v1/characters', { body: { name: 'After the rebuilds' } });
    expect(after.status).toBe(201);
    expect((await svc.request('GET', `/api/v1/characters/${after.body.id}`)).status).toBe(200);
  }, 120_000);

  test('a rebuild that fails leaves the live tables as they were', async () => {
    const { db } = svc.runtime.database;
    const before = await db.withSchema('read').selectFrom('chats').selectAll().orderBy('id').execute();
    const controller = new AbortController();
    controller.abort();
    await expect(
      rebuildProjection({
        db,
        eventStore: svc.runtime.eventStore,
        liveSchema: 'read',
        projection: projections.find((p) => p.name === 'chats')!,
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    expect(await db.withSchema('read').selectFrom('chats').selectAll().orderBy('id').execute()).toEqual(before);
    const leftovers = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'read_rb_%'`.execute(db);
    expect(leftovers.rows[0]!.n).toBe(0);
  });
});
