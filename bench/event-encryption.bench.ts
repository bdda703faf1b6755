import { createSecretKey, randomBytes } from 'node:crypto';
import pg from 'pg';
import { newId } from '../shared/ids.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { START_POSITION, type EventStore, type NewEvent } from '../infra/eventstore/event-store.ts';
import { createDataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import { envelopeOf, openPayload, sealPayload } from '../infra/eventstore/encryption/payload-envelope.ts';
import { createDatabase } from '../infra/db/database.ts';
import { migrateReadModels } from '../infra/db/migrate.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';
import { projections } from '../projections/registry.ts';
import { benchPostgres, machine, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Cost of per-user payload encryption (infra/eventstore/encryption/): the crypto alone per event, appends
 * (1 and 8 writers), readAll and a full rebuild, each against the bare PostgreSQL log in the same run (two
 * databases on one server, the same seeded events, `BENCH_USERS` distinct users so key lookups are exercised).
 */
const APPENDS_PER_RUN = Number(process.env.BENCH_APPENDS ?? 3000);
const LOG_EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? 50_000);
const USERS = Number(process.env.BENCH_USERS ?? 500);
const CRYPTO_ROUNDS = 50_000;

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
const meta = (userId: string) => ({ userId, correlationId: 'b', causationId: 'b', requestId: 'b', schemaVersion: 1 });

// 1. The crypto alone: seal and open of a character payload (~600 bytes of JSON).
const key = createSecretKey(randomBytes(32));
const sample = { characterId: newId(), ownerId: 'u', fields: fields(1) };
const identity = { id: newId(), streamId: 'character-x', type: 'CharacterCreated' };
let t = performance.now();
let sealed: Record<string, unknown> = {};
for (let i = 0; i < CRYPTO_ROUNDS; i++) sealed = sealPayload(sample, key, 'k', identity);
const sealUs = ((performance.now() - t) * 1000) / CRYPTO_ROUNDS;
t = performance.now();
for (let i = 0; i < CRYPTO_ROUNDS; i++) openPayload(envelopeOf(sealed)!, key, identity);
const openUs = ((performance.now() - t) * 1000) / CRYPTO_ROUNDS;
t = performance.now();
for (let i = 0; i < CRYPTO_ROUNDS; i++) JSON.parse(JSON.stringify(sample));
const jsonRoundTripUs = ((performance.now() - t) * 1000) / CRYPTO_ROUNDS;

const { url: adminUrl, cleanup } = await benchPostgres();
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query('CREATE DATABASE bench_plain');
await admin.query('CREATE DATABASE bench_encrypted');
await admin.end();
const urlOf = (db: string) => {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
};

async function open(db: string, encrypted: boolean) {
  const url = urlOf(db);
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  await migrateEventLog(pool);
  const bare = createPostgresEventStore({ pool });
  if (!encrypted) return { url, pool, store: bare, close: async () => pool.end() };
  const keys = createDataKeyStore({ pool });
  await keys.migrate();
  return {
    url,
    pool,
    store: createEncryptingEventStore(bare, keys),
    close: async () => {
      await keys.close();
      await pool.end();
    },
  };
}
const plain = await open('bench_plain', false);
const encrypted = await open('bench_encrypted', true);

async function appendRun(store: EventStore, writers: number) {
  const perWriter = Math.floor(APPENDS_PER_RUN / writers);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const s = performance.now();
        const id = newId();
        await store.append(
          `character-${id}`,
          [
            {
              id: newId(),
              type: 'CharacterCreated',
              data: { characterId: id, ownerId: `user-${i % USERS}`, fields: fields(i) },
              metadata: meta(`user-${(w * perWriter + i) % USERS}`),
            },
          ],
          'no_stream',
        );
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { appendsPerSecond: Math.round((perWriter * writers) / ((performance.now() - started) / 1000)), latencyMs: summarize(latencies) };
}

// Alternate plain / encrypted runs so load from other work on the machine hits both alike.
const appends = {
  plain1: await appendRun(plain.store, 1),
  enc1: await appendRun(encrypted.store, 1),
  plain8: await appendRun(plain.store, 8),
  enc8: await appendRun(encrypted.store, 8),
};

// The same log in both databases: characters with ~10 events each, users round-robin.
async function seed(store: EventStore) {
  let n = 0;
  let c = 0;
  while (n < LOG_EVENTS) {
    const batch = Array.from({ length: 50 }, () => ({ id: newId(), user: `user-${c++ % USERS}` }));
    await Promise.all(
      batch.map(async ({ id, user }, i) => {
        const events: NewEvent[] = [
          { id: newId(), type: 'CharacterCreated', data: { characterId: id, ownerId: user, fields: fields(n + i) }, metadata: meta(user) },
        ];
        for (let u = 0; u < 8; u++)
          events.push({
            id: newId(),
            type: 'CharacterUpdated',
            data: { characterId: id, changes: { description: `update ${u}` } },
            metadata: meta(user),
          });
        if (i % 10 === 0) events.push({ id: newId(), type: 'CharacterDeleted', data: { characterId: id }, metadata: meta(user) });
        await store.append(`character-${id}`, events, 'no_stream');
      }),
    );
    n += batch.length * 9 + 5;
  }
}
await seed(plain.store);
await seed(encrypted.store);

async function readAllRun(store: EventStore) {
  const started = performance.now();
  let cursor = START_POSITION;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition: cursor, maxCount: 5000 });
    if (page.length === 0) break;
    cursor = page[page.length - 1]!.position;
    events += page.length;
  }
  return { events, eventsPerSecond: Math.round(events / ((performance.now() - started) / 1000)) };
}
// A fresh decorator for the encrypted read: a cold key cache, as a rebuild in a new process has.
const coldKeys = createDataKeyStore({ pool: encrypted.pool });
const cold = createEncryptingEventStore(createPostgresEventStore({ pool: encrypted.pool }), coldKeys);
const reads = {
  plain: await readAllRun(plain.store),
  encCold: await readAllRun(cold),
  encWarm: await readAllRun(encrypted.store),
  plain2: await readAllRun(plain.store),
};

async function rebuildRun(conn: { url: string }, store: EventStore) {
  const database = createDatabase(conn.url, { max: 8 });
  await migrateReadModels(database.db, 'read');
  const r = await rebuildReadModels({ db: database.db, eventStore: store, liveSchema: 'read', projections, swap: true });
  await database.close();
  return { events: r.events, eventsPerSecond: Math.round(r.eventsPerSecond) };
}
const rebuilds = {
  plain: await rebuildRun(plain, plain.store),
  encrypted: await rebuildRun(
    encrypted,
    createEncryptingEventStore(createPostgresEventStore({ pool: encrypted.pool }), createDataKeyStore({ pool: encrypted.pool })),
  ),
};

const result = {
  machine: machine(),
  cryptoPerEventUs: {
    seal: Math.round(sealUs * 100) / 100,
    open: Math.round(openUs * 100) / 100,
    jsonRoundTripForScale: Math.round(jsonRoundTripUs * 100) / 100,
  },
  appends,
  readAll: reads,
  rebuild: rebuilds,
  users: USERS,
  targets: { rebuildEventsPerSecond: 10_000, met: rebuilds.encrypted.eventsPerSecond >= 10_000 },
};
table([
  { measure: 'seal one payload (µs)', plain: '', encrypted: result.cryptoPerEventUs.seal },
  { measure: 'open one payload (µs)', plain: '', encrypted: result.cryptoPerEventUs.open },
  { measure: 'append/s, 1 writer', plain: appends.plain1.appendsPerSecond, encrypted: appends.enc1.appendsPerSecond },
  { measure: 'append/s, 8 writers', plain: appends.plain8.appendsPerSecond, encrypted: appends.enc8.appendsPerSecond },
  {
    measure: `readAll events/s (${reads.plain.events})`,
    plain: `${reads.plain.eventsPerSecond} / ${reads.plain2.eventsPerSecond}`,
    encrypted: `${reads.encCold.eventsPerSecond} cold / ${reads.encWarm.eventsPerSecond} warm`,
  },
  {
    measure: `rebuild events/s (${rebuilds.plain.events})`,
    plain: rebuilds.plain.eventsPerSecond,
    encrypted: rebuilds.encrypted.eventsPerSecond,
  },
]);
writeResult('event-encryption', result);
await coldKeys.close();
await plain.close();
await encrypted.close();
await cleanup();
