import pg from 'pg';
import { newId } from '../shared/ids.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { START_POSITION, type NewEvent } from '../infra/eventstore/event-store.ts';
import { createDatabase } from '../infra/db/database.ts';
import { migrateReadModels } from '../infra/db/migrate.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';
import { projections } from '../projections/registry.ts';
import { benchPostgres, machine, summarize, table, writeResult } from './bench-kit.ts';

/**
 * PostgreSQL event log: append throughput with 1 and 8 concurrent writers (durable commits, one event per
 * append, as a command writes), and rebuild throughput of the read models (events/s).
 */
const APPENDS_PER_RUN = Number(process.env.BENCH_APPENDS ?? 4000);
const REBUILD_EVENTS = Number(process.env.BENCH_REBUILD_EVENTS ?? 100_000);

const meta = { userId: 'bench', correlationId: 'b', causationId: 'b', requestId: 'b', schemaVersion: 1 };
const { server, url, cleanup } = await benchPostgres();
const pool = new pg.Pool({ connectionString: url, max: 20 });
await migrateEventLog(pool);
const store = createPostgresEventStore({ pool });

async function appendRun(writers: number) {
  const perWriter = Math.floor(APPENDS_PER_RUN / writers);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const t = performance.now();
        const id = newId();
        await store.append(
          `character-${id}`,
          [
            {
              id: newId(),
              type: 'CharacterCreated',
              data: { characterId: id, ownerId: 'bench', fields: { name: `W${w}-${i}` } },
              metadata: meta,
            },
          ],
          'no_stream',
        );
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    writers,
    appends: perWriter * writers,
    appendsPerSecond: Math.round((perWriter * writers) / seconds),
    latencyMs: summarize(latencies),
  };
}

const append1 = await appendRun(1);
const append8 = await appendRun(8);

// Seed a realistic mix for the rebuild: creations, several updates each, some deletions.
const fields = (i: number) => ({
  name: `Character ${i}`,
  description: 'd'.repeat(200),
  personality: 'p',
  scenario: 's',
  system_prompt: '',
  post_history_instructions: '',
  first_message: 'Hello',
  message_example: '',
  creator_notes: '',
  alternate_greetings: ['a', 'b'],
  tags: ['x', 'y'],
  creator: 'bench',
  character_version: '1',
  extensions: { k: i },
});
let seeded = 0;
const seedStarted = performance.now();
while (seeded < REBUILD_EVENTS) {
  const batch = Array.from({ length: 50 }, () => newId());
  await Promise.all(
    batch.map(async (id, i) => {
      const events: NewEvent[] = [
        { id: newId(), type: 'CharacterCreated', data: { characterId: id, ownerId: 'bench', fields: fields(seeded + i) }, metadata: meta },
      ];
      for (let u = 0; u < 8; u++)
        events.push({
          id: newId(),
          type: 'CharacterUpdated',
          data: { characterId: id, changes: { description: `update ${u}` } },
          metadata: meta,
        });
      if (i % 10 === 0) events.push({ id: newId(), type: 'CharacterDeleted', data: { characterId: id }, metadata: meta });
      await store.append(`character-${id}`, events, 'no_stream');
    }),
  );
  seeded = Number((await pool.query('SELECT count(*) AS n FROM es.events')).rows[0].n);
}
const seedSeconds = (performance.now() - seedStarted) / 1000;
const database = createDatabase(url, { max: 8 });
await migrateReadModels(database.db, 'read');
const rebuild = await rebuildReadModels({ db: database.db, eventStore: store, liveSchema: 'read', projections, swap: true });
const head = await store.headPosition();

const result = {
  machine: machine(),
  append: [append1, append8],
  rebuild: {
    events: rebuild.events,
    seconds: Math.round(rebuild.seconds * 100) / 100,
    eventsPerSecond: Math.round(rebuild.eventsPerSecond),
    seedSeconds: Math.round(seedSeconds),
  },
  targets: { rebuildEventsPerSecond: 10_000, met: rebuild.eventsPerSecond >= 10_000 },
  headPosition: head !== START_POSITION,
};
table([
  { measure: 'append, 1 writer', 'per second': append1.appendsPerSecond, 'p50 ms': append1.latencyMs.p50, 'p99 ms': append1.latencyMs.p99 },
  {
    measure: 'append, 8 writers',
    'per second': append8.appendsPerSecond,
    'p50 ms': append8.latencyMs.p50,
    'p99 ms': append8.latencyMs.p99,
  },
  { measure: `rebuild (${rebuild.events} events)`, 'per second': result.rebuild.eventsPerSecond, 'p50 ms': '', 'p99 ms': '' },
]);
writeResult('event-store', result);
await store.close();
await database.close();
await pool.end();
await cleanup();
void server;
