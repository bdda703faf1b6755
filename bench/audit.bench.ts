import pg from 'pg';
import { createDatabase } from '../infra/db/database.ts';
import { migrateReadModels } from '../infra/db/migrate.ts';
import type { NewEvent } from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';
import { projections } from '../projections/registry.ts';
import { createAuditQueries } from '../queries/audit-queries.ts';
import { cardFromBasicFields } from '../shared/cards/index.ts';
import { newId } from '../shared/ids.ts';
import { benchPostgres, machine, summarize, table, writeResult } from './bench-kit.ts';

/**
 * The audit projection: what it costs a rebuild (all projections, against the same rebuild without it), and how
 * fast filtered audit pages come from it (against answering the same question by reading the log, the baseline
 * the projection replaces). The log: characters of 20 users, each created then updated 8 times, some deleted.
 */
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 50_000);
const QUERIES = Number(process.env.BENCH_AUDIT_QUERIES ?? 200);

const { url, cleanup } = await benchPostgres();
const pool = new pg.Pool({ connectionString: url, max: 20 });
await migrateEventLog(pool);
const store = createPostgresEventStore({ pool });

const meta = (user: number) => ({ userId: `user-${user}`, correlationId: 'b', causationId: 'b', requestId: 'b', schemaVersion: 2 });
const characterIds: string[] = [];
let seeded = 0;
while (seeded < EVENTS) {
  const batch = Array.from({ length: 50 }, () => newId());
  await Promise.all(
    batch.map(async (id, i) => {
      const user = (seeded + i) % 20;
      characterIds.push(id);
      const card = cardFromBasicFields({ name: `Character ${seeded + i}`, description: 'd'.repeat(200), tags: ['x'] });
      const events: NewEvent[] = [
        {
          id: newId(),
          type: 'CharacterCreated',
          data: { characterId: id, ownerId: `user-${user}`, card, avatar: null, assets: [], source: { kind: 'api' } },
          metadata: meta(user),
        },
      ];
      for (let u = 0; u < 8; u++)
        events.push({
          id: newId(),
          type: 'CharacterUpdated',
          data: { characterId: id, changes: { description: `update ${u}` } },
          metadata: { ...meta(user), schemaVersion: 1 },
        });
      if (i % 10 === 0)
        events.push({
          id: newId(),
          type: 'CharacterDeleted',
          data: { characterId: id, deletedAt: new Date().toISOString() },
          metadata: { ...meta(user), schemaVersion: 1 },
        });
      await store.append(`character-${id}`, events, 'no_stream');
    }),
  );
  seeded = Number((await pool.query('SELECT count(*) AS n FROM es.events')).rows[0].n);
}

const database = createDatabase(url, { max: 8 });
await migrateReadModels(database.db, 'read');
// Baseline first (so the audit run does not profit from a warmer cache alone), then the full set.
const without = await rebuildReadModels({
  db: database.db,
  eventStore: store,
  liveSchema: 'read',
  projections: projections.filter((p) => p.name !== 'audit_events'),
  targetSchema: 'read_without_audit',
});
const withAudit = await rebuildReadModels({ db: database.db, eventStore: store, liveSchema: 'read', projections, swap: true });

const audit = createAuditQueries(database.db, 'read');
const log = await store.readAll({ maxCount: 1 });
const from = log[0]!.createdAt;
const filters = [
  {
    name: 'one user (newest 100)',
    filter: (i: number) => ({ userId: `user-${i % 20}` }),
    matches: (e: { metadata: { userId: string } }, i: number) => e.metadata.userId === `user-${i % 20}`,
  },
  {
    name: 'one resource',
    filter: (i: number) => ({ resourceId: characterIds[(i * 7919) % characterIds.length]! }),
    matches: (e: { streamId: string }, i: number) => e.streamId === `character-${characterIds[(i * 7919) % characterIds.length]}`,
  },
  {
    name: 'event type CharacterDeleted',
    filter: () => ({ eventType: 'CharacterDeleted' }),
    matches: (e: { type: string }) => e.type === 'CharacterDeleted',
  },
  {
    name: 'user + time range',
    filter: (i: number) => ({ userId: `user-${i % 20}`, from, to: new Date() }),
    matches: (e: { metadata: { userId: string } }, i: number) => e.metadata.userId === `user-${i % 20}`,
  },
];
const rows: Record<string, unknown>[] = [];
const results: Record<string, unknown>[] = [];
for (const f of filters) {
  const samples: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now();
    await audit.page(f.filter(i) as never, { order: 'desc', limit: 100 });
    samples.push(performance.now() - t);
  }
  // Baseline: the same page by reading the whole log and filtering (three runs).
  const scans: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    let after: string | undefined;
    const hits: unknown[] = [];
    for (;;) {
      const batch = await store.readAll({ ...(after ? { fromPosition: after } : {}), maxCount: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) if (f.matches(e as never, i)) hits.push(e);
      after = batch[batch.length - 1]!.position;
    }
    scans.push(performance.now() - t);
  }
  const s = summarize(samples);
  const scan = summarize(scans);
  results.push({ filter: f.name, projection: s, logScanMs: scan });
  rows.push({ query: f.name, 'p50 ms': s.p50, 'p99 ms': s.p99, 'log scan p50 ms': scan.p50 });
}

const result = {
  machine: machine(),
  events: withAudit.events,
  rebuild: {
    withoutAudit: { seconds: Math.round(without.seconds * 100) / 100, eventsPerSecond: Math.round(without.eventsPerSecond) },
    withAudit: { seconds: Math.round(withAudit.seconds * 100) / 100, eventsPerSecond: Math.round(withAudit.eventsPerSecond) },
  },
  queries: results,
};
table([
  { measure: `rebuild without audit_events (${without.events} events)`, 'events/s': result.rebuild.withoutAudit.eventsPerSecond },
  { measure: `rebuild with audit_events (${withAudit.events} events)`, 'events/s': result.rebuild.withAudit.eventsPerSecond },
]);
table(rows);
writeResult('audit', result);
await store.close();
await database.close();
await pool.end();
await cleanup();
