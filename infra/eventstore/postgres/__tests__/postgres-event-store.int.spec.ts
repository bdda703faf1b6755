import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { newId } from '../../../../shared/ids.ts';
import { createTestDatabase } from '../../../../test/db.ts';
import { eventually } from '../../../../test/eventually.ts';
import { eventStoreContract } from '../../contract/event-store-contract.ts';
import { createPostgresEventStore } from '../postgres-event-store.ts';
import { migrateEventLog } from '../schema.ts';

eventStoreContract('PostgreSQL event log', async () => {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  await migrateEventLog(pool);
  const store = createPostgresEventStore({ pool, connectionString: db.url });
  return {
    store,
    teardown: async () => {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});

describe('PostgreSQL event log: events indexed by data subject', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const meta = (userId: string, extra: Record<string, unknown> = {}) => ({
    userId,
    correlationId: 'c',
    causationId: 'c',
    requestId: 'r',
    schemaVersion: 1,
    ...extra,
  });

  test('a log written before the column existed is backfilled by the migration; new appends fill it', async () => {
    // The log as it was: the same schema without the column (appends did not know about it either).
    await migrateEventLog(pool);
    await pool.query('DROP INDEX es.events_data_subject; ALTER TABLE es.events DROP COLUMN data_subject');
    const old = createPostgresEventStore({ pool });
    await old.append(
      'old-1',
      [
        { id: newId(), type: 'Mine', data: {}, metadata: meta('alice') },
        { id: newId(), type: 'ForAlice', data: {}, metadata: meta('admin', { dataSubject: 'alice' }) },
        { id: newId(), type: 'Audit', data: {}, metadata: meta('admin', { dataSubject: null }) },
        { id: newId(), type: 'Bobs', data: {}, metadata: meta('bob') },
      ],
      'no_stream',
    );
    await migrateEventLog(pool);
    const store = createPostgresEventStore({ pool });
    await store.append('new-1', [{ id: newId(), type: 'NewMine', data: {}, metadata: meta('alice') }], 'no_stream');
    const { rows } = await pool.query<{ type: string; data_subject: string | null }>(
      'SELECT type, data_subject FROM es.events ORDER BY transaction_id, global_position',
    );
    expect(rows).toEqual([
      { type: 'Mine', data_subject: 'alice' },
      { type: 'ForAlice', data_subject: 'alice' },
      { type: 'Audit', data_subject: null },
      { type: 'Bobs', data_subject: 'bob' },
      { type: 'NewMine', data_subject: 'alice' },
    ]);
    const alices = await eventually(
      () => store.readAll({ subject: 'alice' }),
      (events) => events.length >= 3,
    );
    expect(alices.map((e) => e.type)).toEqual(['Mine', 'ForAlice', 'NewMine']);
  });

  test("a subject's read scans that subject's index entries only, never other users' rows", async () => {
    // One connection, so its statistics can be flushed on demand (pg_stat_force_next_flush) and read back.
    await migrateEventLog(pool);
    const single = new pg.Pool({ connectionString: db.url, max: 1 });
    const store = createPostgresEventStore({ pool: single });
    try {
      // Many events of others around a few of dave's.
      for (let round = 0; round < 20; round++) {
        await store.append(
          `others-${round}`,
          Array.from({ length: 250 }, (_, i) => ({ id: newId(), type: 'Others', data: { i }, metadata: meta(`user-${i % 7}`) })),
          'no_stream',
        );
        if (round % 5 === 0)
          await store.append(`dave-${round}`, [{ id: newId(), type: 'Daves', data: {}, metadata: meta('dave') }], 'no_stream');
      }
      // Wait until all of dave's are readable, on another connection: reads on `single` would count in its statistics.
      const other = createPostgresEventStore({ pool });
      await eventually(
        () => other.readAll({ subject: 'dave', maxCount: 1000 }),
        (events) => events.length >= 4,
      );
      await single.query('ANALYZE es.events');
      // What one transaction did to es.events and each of its indexes (the store's queries run in it: its pool
      // has one connection, and the transaction is opened on that session).
      const scans = async () => {
        const { rows } = await single.query<{ name: string; scans: string; tuples: string }>(
          `SELECT c.relname AS name, pg_stat_get_xact_numscans(c.oid) AS scans, pg_stat_get_xact_tuples_returned(c.oid) AS tuples
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'es' AND (c.relname = 'events' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'es.events'::regclass))`,
        );
        return Object.fromEntries(rows.map((r) => [r.name, { scans: Number(r.scans), tuples: Number(r.tuples) }]));
      };
      await single.query('BEGIN');
      const daves = await store.readAll({ subject: 'dave', maxCount: 1000 });
      const used = await scans();
      await single.query('COMMIT');
      expect(daves.map((e) => e.type)).toEqual(['Daves', 'Daves', 'Daves', 'Daves']);
      // One scan of the subject index, returning dave's four entries; no scan of the table. (The planner probes
      // the ends of the log's order index for its estimates: a tuple or two, not a scan of the log.)
      expect(used).toMatchObject({ events: { scans: 0, tuples: 0 }, events_data_subject: { scans: 1 } });
      expect(used.events_data_subject!.tuples).toBeLessThanOrEqual(daves.length);
      expect(used.events_commit_order!.tuples).toBeLessThanOrEqual(2);
    } finally {
      await single.end();
    }
  });
});
