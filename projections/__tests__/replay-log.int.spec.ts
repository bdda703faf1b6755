import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { migrateReadModels } from '../../infra/db/migrate.ts';
import type { RecordedEvent } from '../../infra/eventstore/event-store.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { deferReplayIndexes } from '../deferred-indexes.ts';
import { insertByColumns } from '../insert-by-columns.ts';
import type { Projection } from '../projection.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';
import { replayLog } from '../replay-log.ts';

/** The pieces a replay is fast with: column-wise inserts, indexes built after the load, one read of the log for all. */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
  // Some history: characters, a chat with messages, a world book.
  for (let i = 0; i < 6; i++) {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: `Replay ${i}`, tags: ['x'] } })).body.id;
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character } })).body.id;
    for (let m = 0; m < 4; m++)
      await svc.request('POST', `/api/v1/character_messages/chats/${chat}/messages`, {
        body: { sender: m % 2 ? 'assistant' : 'user', content: `line ${m}` },
      });
  }
  await svc.request('POST', '/api/v1/world_books', { body: { name: 'Replay lore', entries: [{ keys: ['a'], content: 'A.' }] } });
});
afterAll(async () => {
  await svc?.close();
});

const indexesOf = async (schema: string) =>
  (
    await sql<{
      name: string;
      definition: string;
    }>`SELECT indexname AS name, replace(indexdef, ${`${schema}.`}, '') AS definition FROM pg_indexes WHERE schemaname = ${schema} ORDER BY indexname`.execute(
      svc.runtime.database.db,
    )
  ).rows;

describe('insertByColumns', () => {
  test('writes every kind of value a row holds, and skips rows whose key exists', async () => {
    const { db } = svc.runtime.database;
    await migrateReadModels(db, 'read_columns');
    const scoped = db.withSchema('read_columns');
    const awkward = ['quote " and backslash \\', 'comma, {brace}', 'NULL', '', 'ünïcode ✓'];
    const row = (position: string, summary: string) => ({
      position,
      event_id: `e-${position}`,
      stream_id: 'chat-1',
      revision: 3,
      event_type: 'MessagePosted',
      resource_type: 'chat',
      resource_id: '1',
      user_id: 'u',
      data_subject: null,
      occurred_at: new Date('2026-11-24T08:00:00.123Z'),
      summary,
      changed_fields: awkward,
      subject_ids: [],
      request_id: null,
      correlation_id: 'c',
    });
    const types = {
      position: 'text',
      event_id: 'text',
      stream_id: 'text',
      revision: 'integer',
      event_type: 'text',
      resource_type: 'text',
      resource_id: 'text',
      user_id: 'text',
      data_subject: 'text',
      occurred_at: 'timestamptz',
      summary: 'text',
      changed_fields: 'text[]',
      subject_ids: 'text[]',
      request_id: 'text',
      correlation_id: 'text',
    };
    await insertByColumns(scoped, 'audit_events', types, [row('001', 'first'), row('002', 'second')], 'position');
    await insertByColumns(scoped, 'audit_events', types, [row('002', 'replaced?'), row('003', 'third')], 'position');
    const rows = await scoped.selectFrom('audit_events').selectAll().orderBy('position').execute();
    expect(rows.map((r) => r.summary)).toEqual(['first', 'second', 'third']);
    expect(rows[0]!.changed_fields).toEqual(awkward);
    expect(rows[0]!.subject_ids).toEqual([]);
    expect(rows[0]!.data_subject).toBeNull();
    expect(new Date(rows[0]!.occurred_at).toISOString()).toBe('2026-11-24T08:00:00.123Z');
    // A row without one of the columns is refused rather than written with a silent null.
    const { summary: _, ...partial } = row('004', '');
    await expect(insertByColumns(scoped, 'audit_events', types, [partial], 'position')).rejects.toThrow(/without column summary/);
    await sql`DROP SCHEMA read_columns CASCADE`.execute(db);
  });
});

describe('indexes deferred during a replay', () => {
  test('every index a projection names as query-only exists, is not unique and is on one of its tables', async () => {
    const { db } = svc.runtime.database;
    for (const p of projections) {
      for (const name of p.queryOnlyIndexes ?? []) {
        const { rows } = await sql<{ table: string; unique: boolean }>`
          SELECT t.relname AS table, x.indisunique AS unique FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'read' AND i.relname = ${name}`.execute(db);
        expect({ projection: p.name, name, found: rows.length }).toEqual({ projection: p.name, name, found: 1 });
        expect(rows[0]!.unique).toBe(false);
        expect(p.tables).toContain(rows[0]!.table);
      }
    }
  });

  test('they are dropped for the load, and a rebuild ends with exactly the indexes of a migrated schema', async () => {
    const { db } = svc.runtime.database;
    await migrateReadModels(db, 'read_defer');
    const full = await indexesOf('read_defer');
    const deferred = await deferReplayIndexes(db, 'read_defer', projections);
    const during = await indexesOf('read_defer');
    const dropped = full.filter((i) => !during.some((d) => d.name === i.name)).map((i) => i.name);
    expect(dropped).toEqual(
      expect.arrayContaining([
        'chat_messages_fts',
        'chat_messages_chat_seq',
        'audit_events_user',
        'characters_owner_name',
        'usage_latencies_user_day',
      ]),
    );
    // What applying reads through stays.
    expect(during.map((i) => i.name)).toEqual(
      expect.arrayContaining(['chat_messages_path', 'world_book_entries_book_ord', 'chat_messages_pkey', 'audit_events_pkey']),
    );
    await deferred.restore(projections.filter((p) => p.name === 'chats'));
    const afterChats = await indexesOf('read_defer');
    expect(afterChats.map((i) => i.name)).toContain('chat_messages_fts');
    expect(afterChats.map((i) => i.name)).not.toContain('audit_events_user');
    await deferred.restore();
    expect(await indexesOf('read_defer')).toEqual(full);
    await sql`DROP SCHEMA read_defer CASCADE`.execute(db);

    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_rebuilt' });
    expect(await indexesOf('read_rebuilt')).toEqual(full);
    await sql`DROP SCHEMA read_rebuilt CASCADE`.execute(db);
  });
});

describe('replayLog', () => {
  test('each projection sees every page once, in order, even with small pages and a short read-ahead', async () => {
    const { db } = svc.runtime.database;
    await migrateReadModels(db, 'read_pages');
    const all = await svc.runtime.eventStore.readAll({ maxCount: 100_000 });
    const seen = new Map<string, string[]>();
    // Two recording projections at very different speeds, plus the real ones.
    const recorder = (name: string, delayMs: number): Projection => ({
      name,
      handles: new Set(all.map((e) => e.type)),
      tables: [],
      async apply(_db, event) {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        seen.set(name, [...(seen.get(name) ?? []), event.position]);
      },
    });
    const done: string[] = [];
    const result = await replayLog({
      db,
      eventStore: svc.runtime.eventStore,
      schema: 'read_pages',
      projections: [recorder('fast', 0), recorder('slow', 1), ...projections],
      pageSize: 7,
      readAhead: 2,
      onReplayed: async (p) => {
        done.push(p.name);
      },
    });
    expect(result.events).toBeGreaterThanOrEqual(all.length);
    expect(seen.get('fast')!.slice(0, all.length)).toEqual(all.map((e) => e.position));
    expect(seen.get('slow')).toEqual(seen.get('fast'));
    expect(done.sort()).toEqual(['fast', 'slow', ...projections.map((p) => p.name)].sort());
    await sql`DROP SCHEMA read_pages CASCADE`.execute(db);
  });

  test('a projection that fails stops the others and the replay reports its error', async () => {
    const { db } = svc.runtime.database;
    await migrateReadModels(db, 'read_fail');
    let appliedBySteady = 0;
    const failing: Projection = {
      name: 'failing',
      handles: new Set(['CharacterCreated']),
      tables: [],
      async apply(_db, event: RecordedEvent) {
        if (event.revision >= 1) throw new Error('poison');
      },
    };
    const steady: Projection = {
      name: 'steady',
      handles: new Set(['MessagePosted', 'CharacterCreated', 'ChatCreated']),
      tables: [],
      async apply() {
        appliedBySteady++;
      },
    };
    await expect(
      replayLog({ db, eventStore: svc.runtime.eventStore, schema: 'read_fail', projections: [failing, steady], pageSize: 3, readAhead: 1 }),
    ).rejects.toThrow(/poison/);
    const total = (await svc.runtime.eventStore.readAll({ maxCount: 100_000 })).filter((e) => steady.handles.has(e.type)).length;
    // The steady one stopped within a page or two of the failure instead of running through the whole log.
    expect(appliedBySteady).toBeLessThan(total);
    await sql`DROP SCHEMA read_fail CASCADE`.execute(db);
  });
});
