import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { sql } from 'kysely';
import { createDatabase } from '../infra/db/database.ts';
import { migrateReadModels } from '../infra/db/migrate.ts';
import { START_POSITION } from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { deferReplayIndexes } from '../projections/deferred-indexes.ts';
import { applyBatch } from '../projections/projection-runner.ts';
import { rebuildProjection } from '../projections/rebuild-projection.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';
import { projections } from '../projections/registry.ts';
import { eventDefinition, upcast } from '../shared/events/catalogue.ts';
import { newId } from '../shared/ids.ts';
import { benchPostgres, machine, table, writeResult } from './bench-kit.ts';

/**
 * Rebuild of every read model from a log of 1,000,000 events (`BENCH_EVENTS` to resize), on a durable embedded
 * PostgreSQL. The log is a realistic mix, interleaved as 24 users working at once would write it: characters
 * (name reservation, creation with the whole card, edits), world books (created with entries, entries added and
 * edited, attached to the character), chats (creation, the chat slot, ~30 messages each: user messages and
 * completion replies with provider usage and latency, lorebook activations), and failed completions; spread over
 * 30 days. It is written straight into the log's tables in large batches (the same rows `append` writes).
 *
 * Measured: (baseline) reading the whole log through the event store port, read-only; the full rebuild of all
 * projections into a fresh schema and its swap (`npm run projections:rebuild`); one projection's rebuild and swap
 * (usage analytics, as `POST /api/v1/admin/projections/usage_analytics/rebuild` does). Opt-in in `npm run bench`
 * (it takes minutes): `npm run bench -- rebuild-1m`.
 */
const TOTAL = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const CONCURRENT_USERS = 24;
const DAYS = 30;
const BATCH = 10_000;

interface Ev {
  streamId: string;
  type: string;
  data: Record<string, unknown>;
  userId: string;
}

const CHARACTER_SCHEMA_VERSION = eventDefinition('CharacterCreated')!.schemaVersion;
const words = 'the forest glade shadow ancient river dragon whisper lantern silver storm path tower keeper ember moss'.split(' ');
const prose = (n: number, seed: number) => Array.from({ length: n }, (_, i) => words[(seed * 7 + i * 13) % words.length]).join(' ');

function entry(uid: number, seed: number) {
  return {
    uid,
    keys: [words[seed % words.length]!, words[(seed + 3) % words.length]!],
    secondaryKeys: [],
    content: prose(60, seed),
    comment: `Entry ${uid}`,
    constant: false,
    selective: true,
    order: 100 + uid,
    position: 0,
    enabled: true,
    probability: 100,
    useProbability: true,
    depth: 4,
    extensions: {},
  };
}

/** Everything one user does with one new character, in the order it would be written. */
function* actor(n: number): Generator<Ev> {
  const userId = `user-${n % 200}`;
  const characterId = newId();
  const name = `Character ${n}`;
  yield { streamId: `charactername-${userId}-${n}`, type: 'CharacterNameReserved', data: { ownerId: userId, name, characterId }, userId };
  const created = upcast('CharacterCreated', 1, {
    characterId,
    ownerId: userId,
    fields: {
      name,
      description: prose(80, n),
      personality: prose(20, n + 1),
      scenario: prose(30, n + 2),
      first_message: prose(40, n + 3),
      tags: ['fantasy', words[n % words.length]!],
      creator: 'bench',
    },
  });
  yield { streamId: `character-${characterId}`, type: 'CharacterCreated', data: created, userId };
  for (let u = 0; u < 3; u++)
    yield {
      streamId: `character-${characterId}`,
      type: 'CharacterUpdated',
      data: { characterId, changes: { description: prose(80, n + u + 10) } },
      userId,
    };

  const bookId = newId();
  const entryIds = Array.from({ length: 15 }, () => newId());
  yield {
    streamId: `worldbook-${bookId}`,
    type: 'WorldBookCreated',
    data: {
      worldBookId: bookId,
      ownerId: userId,
      book: { name: `Lore ${n}`, description: prose(10, n), extensions: {} },
      entries: entryIds.slice(0, 5).map((entryId, i) => ({ entryId, entry: entry(i, n + i) })),
      enabled: true,
      isGlobal: false,
      source: { kind: 'api' },
      warnings: [],
    },
    userId,
  };
  for (let i = 5; i < 15; i++)
    yield {
      streamId: `worldbook-${bookId}`,
      type: 'WorldBookEntryAdded',
      data: { worldBookId: bookId, entryId: entryIds[i], entry: entry(i, n + i) },
      userId,
    };
  for (let i = 0; i < 5; i++)
    yield {
      streamId: `worldbook-${bookId}`,
      type: 'WorldBookEntryUpdated',
      data: { worldBookId: bookId, entryId: entryIds[i], entry: { ...entry(i, n + i), content: prose(70, n + i + 1) } },
      userId,
    };
  yield {
    streamId: `characterbooks-${characterId}`,
    type: 'WorldBookAttached',
    data: { characterId, worldBookId: bookId, ownerId: userId, priority: 0, enabled: true },
    userId,
  };

  for (let c = 0; c < 3; c++) {
    const chatId = newId();
    yield {
      streamId: `chat-${chatId}`,
      type: 'ChatCreated',
      data: {
        chatId,
        ownerId: userId,
        characterId,
        characterName: name,
        title: `Chat ${c}`,
        settings: { user_name: 'Ann' },
        forkedFrom: null,
        importedFrom: null,
      },
      userId,
    };
    yield { streamId: `user-chats-${userId}`, type: 'ChatSlotTaken', data: { userId, chatId }, userId };
    let parentId: string | null = null;
    for (let depth = 0; depth < 30; depth++) {
      const messageId = newId();
      const fromCompletion = depth % 2 === 0;
      const completionId = `chatcmpl-${newId()}`;
      const metadata =
        fromCompletion && depth > 0
          ? {
              completion_id: completionId,
              provider: 'openai',
              model: 'gpt-4o-mini',
              mode: 'normal',
              finish_reason: 'stop',
              usage: { prompt_tokens: 800 + depth * 40, completion_tokens: 60 + (n % 90), total_tokens: 860 + depth * 40 + (n % 90) },
              latency_ms: 400 + ((n * 37 + depth * 101) % 2600),
              ttft_ms: 150 + (depth % 7) * 20,
              prompt_tokens_estimated: 790 + depth * 40,
            }
          : null;
      yield {
        streamId: `chat-${chatId}`,
        type: 'MessagePosted',
        data: {
          chatId,
          messageId,
          parentId,
          depth,
          sender: fromCompletion ? 'assistant' : 'user',
          name: null,
          content: prose(fromCompletion ? 50 : 15, n + depth),
          image: null,
          metadata,
          sentAt: null,
          active: true,
          alternateOf: null,
          path: { from: depth, ids: [messageId] },
        },
        userId,
      };
      if (metadata && depth % 10 === 0) {
        yield {
          streamId: `worldbookactivations-${bookId}`,
          type: 'WorldInfoActivationsRecorded',
          data: {
            chatId,
            characterId,
            worldBookEntries: entryIds.slice(0, 3).map((entryId, i) => ({ worldBookId: bookId, entryId, entryKey: `${bookId}.${i}` })),
          },
          userId,
        };
      }
      parentId = messageId;
    }
    if (c === 2 && n % 3 === 0) {
      yield {
        streamId: `user-completions-${userId}`,
        type: 'CompletionFailed',
        data: {
          completionId: `chatcmpl-${newId()}`,
          userId,
          characterId,
          chatId,
          mode: 'normal',
          provider: 'openai',
          model: 'gpt-4o-mini',
          status: 502,
          code: 'upstream_server_error',
          latencyMs: 1200,
        },
        userId,
      };
    }
  }
}

/** Events of CONCURRENT_USERS actors, interleaved one at a time, until `total`. */
function* interleaved(total: number): Generator<Ev> {
  let next = 0;
  const active: Array<Generator<Ev>> = Array.from({ length: CONCURRENT_USERS }, () => actor(next++));
  let produced = 0;
  for (let i = 0; produced < total; i = (i + 1) % active.length) {
    const step = active[i]!.next();
    if (step.done) {
      active[i] = actor(next++);
      continue;
    }
    produced++;
    yield step.value;
  }
}

/** CPU seconds used so far by every PostgreSQL process of this machine (Linux /proc; 0 elsewhere). */
function postgresCpuSeconds(): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / tick;
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return 0;
  }
  return total;
}

const { url, cleanup } = await benchPostgres();
let consistent = false;
// The server is stopped whatever happens (a failed run must not leave a PostgreSQL behind).
try {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await migrateEventLog(pool);
  const store = createPostgresEventStore({ pool });

  // The log's lookup indexes are built after the seed (faster); the ordering index the rebuild reads by stays.
  await pool.query('DROP INDEX es.events_event_id; DROP INDEX es.events_created_at');
  // Seed: batches of BATCH rows, one INSERT each (a transaction of its own, as concurrent appends would commit).
  const revisions = new Map<string, number>();
  const checked = new Set<string>();
  const seedStarted = performance.now();
  const start = Date.now() - DAYS * 86_400_000;
  let seeded = 0;
  let batch: Ev[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const streams: string[] = [];
    const revs: number[] = [];
    const ids: string[] = [];
    const types: string[] = [];
    const data: string[] = [];
    const metas: string[] = [];
    const times: string[] = [];
    for (const e of batch) {
      const rev = (revisions.get(e.streamId) ?? 0) + 1;
      revisions.set(e.streamId, rev);
      if (!checked.has(e.type)) {
        // Each event type's payload is checked once against its schema: the bench writes what the service writes.
        eventDefinition(e.type)!.schema.parse(e.data);
        checked.add(e.type);
      }
      streams.push(e.streamId);
      revs.push(rev);
      ids.push(newId());
      types.push(e.type);
      data.push(JSON.stringify(e.data));
      const schemaVersion = e.type === 'CharacterCreated' ? CHARACTER_SCHEMA_VERSION : 1;
      metas.push(JSON.stringify({ userId: e.userId, correlationId: 'bench', causationId: 'bench', requestId: 'bench', schemaVersion }));
      times.push(new Date(start + Math.floor((seeded / TOTAL) * DAYS * 86_400_000)).toISOString());
      seeded++;
    }
    await pool.query(
      `INSERT INTO es.events (stream_id, revision, event_id, type, data, metadata, created_at)
       SELECT s, r, i, t, d, m, c FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[]) WITH ORDINALITY AS x(s, r, i, t, d, m, c, ord)
       ORDER BY ord`,
      [streams, revs, ids, types, data, metas, times],
    );
    batch = [];
  };
  for (const e of interleaved(TOTAL)) {
    batch.push(e);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  const entries = [...revisions.entries()];
  for (let i = 0; i < entries.length; i += 20_000) {
    const part = entries.slice(i, i + 20_000);
    await pool.query('INSERT INTO es.streams (stream_id, revision) SELECT * FROM unnest($1::text[], $2::bigint[])', [
      part.map((p) => p[0]),
      part.map((p) => p[1]),
    ]);
  }
  await pool.query('CREATE UNIQUE INDEX events_event_id ON es.events (event_id); CREATE INDEX events_created_at ON es.events (created_at)');
  await pool.query('VACUUM ANALYZE es.events');
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const byType = (
    await pool.query<{ type: string; n: string }>('SELECT type, count(*) AS n FROM es.events GROUP BY type ORDER BY count(*) DESC')
  ).rows.map((r) => ({ type: r.type, events: Number(r.n) }));
  const logBytes = Number((await pool.query<{ b: string }>("SELECT pg_total_relation_size('es.events') AS b")).rows[0]!.b);

  // Baseline: the same log read through the port, read-only (pages of 5000, as the rebuild reads it).
  const readStarted = performance.now();
  let read = 0;
  for (let cursor = START_POSITION; ;) {
    const page = await store.readAll({ fromPosition: cursor, maxCount: 5000 });
    if (page.length === 0) break;
    read += page.length;
    cursor = page[page.length - 1]!.position;
  }
  const readSeconds = (performance.now() - readStarted) / 1000;

  const database = createDatabase(url, { max: 8 });
  await migrateReadModels(database.db, 'read');
  // BENCH_PROFILE=1: each projection alone over the whole log (where the rebuild's time goes).
  const profile: Record<string, number> = {};
  if (process.env.BENCH_PROFILE) {
    for (const p of projections) {
      const schema = `profile_${p.name}`;
      await migrateReadModels(database.db, schema);
      const t = performance.now();
      const deferred = await deferReplayIndexes(database.db, schema, [p]);
      for (let cursor = START_POSITION; ;) {
        const page = await store.readAll({ fromPosition: cursor, maxCount: 5000 });
        if (page.length === 0) break;
        await applyBatch(database.db, schema, p, page);
        cursor = page[page.length - 1]!.position;
      }
      await deferred.restore();
      profile[p.name] = Math.round((performance.now() - t) / 10) / 100;
      console.log(`profile: ${p.name} ${profile[p.name]} s`);
    }
  }
  const cpuBefore = { service: process.cpuUsage(), postgres: postgresCpuSeconds() };
  const rebuild = await rebuildReadModels({ db: database.db, eventStore: store, liveSchema: 'read', projections, swap: true });
  const serviceCpu = process.cpuUsage(cpuBefore.service);
  // Where the rebuild's CPU went: this process (reading, folding, building statements) and the database's processes.
  const rebuildCpuSeconds = {
    node: Math.round((serviceCpu.user + serviceCpu.system) / 1e4) / 100,
    postgres: Math.round((postgresCpuSeconds() - cpuBefore.postgres) * 100) / 100,
  };
  console.log('rebuild CPU seconds', JSON.stringify(rebuildCpuSeconds));
  const counts: Record<string, number> = {};
  for (const t of [
    'characters',
    'chats',
    'chat_messages',
    'world_books',
    'world_book_entries',
    'character_world_books',
    'world_book_entry_activations',
    'usage_daily',
    'usage_latencies',
  ]) {
    counts[t] = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id('read', t)}`.execute(database.db)).rows[0]!.n);
  }
  const usage = (
    await sql<{
      messages: string;
      completions: string;
      errors: string;
    }>`SELECT sum(messages_sent) AS messages, sum(completions) AS completions, sum(errors) AS errors FROM read.usage_daily`.execute(
      database.db,
    )
  ).rows[0]!;
  const typeCount = (t: string) => byType.find((b) => b.type === t)?.events ?? 0;
  // The rebuilt read models hold every event: one row per message, per character, per latency.
  consistent =
    counts.chat_messages === typeCount('MessagePosted') &&
    counts.characters === typeCount('CharacterCreated') &&
    counts.usage_latencies === Number(usage.completions) &&
    Number(usage.messages) + Number(usage.completions) <= typeCount('MessagePosted') &&
    Number(usage.errors) === typeCount('CompletionFailed');

  const usageProjection = projections.find((p) => p.name === 'usage_analytics')!;
  const single = await rebuildProjection({ db: database.db, eventStore: store, liveSchema: 'read', projection: usageProjection });

  const perSecond = (n: number, s: number) => Math.round(n / s);
  const result = {
    machine: machine(),
    events: seeded,
    logMegabytes: Math.round(logBytes / 2 ** 20),
    byType,
    seedSeconds: Math.round(seedSeconds),
    baselineReadAll: { events: read, seconds: Math.round(readSeconds * 100) / 100, eventsPerSecond: perSecond(read, readSeconds) },
    rebuildAll: {
      events: rebuild.events,
      seconds: Math.round(rebuild.seconds * 100) / 100,
      eventsPerSecond: Math.round(rebuild.eventsPerSecond),
    },
    rebuildCpuSeconds,
    rebuildUsageAnalytics: {
      events: single.events,
      seconds: Math.round(single.seconds * 100) / 100,
      eventsPerSecond: Math.round(single.eventsPerSecond),
    },
    ...(process.env.BENCH_PROFILE ? { profileSecondsPerProjection: profile } : {}),
    readModelRows: counts,
    consistent,
    target: { eventsPerSecond: 10_000, met: rebuild.eventsPerSecond >= 10_000 },
  };
  table([
    {
      measure: `baseline: readAll, read-only (${read} events)`,
      'events/s': result.baselineReadAll.eventsPerSecond,
      seconds: result.baselineReadAll.seconds,
    },
    {
      measure: `rebuild all ${projections.length} projections + swap`,
      'events/s': result.rebuildAll.eventsPerSecond,
      seconds: result.rebuildAll.seconds,
    },
    {
      measure: 'rebuild usage_analytics alone + swap',
      'events/s': result.rebuildUsageAnalytics.eventsPerSecond,
      seconds: result.rebuildUsageAnalytics.seconds,
    },
  ]);
  console.log(
    JSON.stringify(
      { events: seeded, logMegabytes: result.logMegabytes, seedSeconds: result.seedSeconds, consistent, counts, byType },
      null,
      0,
    ),
  );
  writeResult('rebuild-1m', result);
  await store.close();
  await database.close();
  await pool.end();
} finally {
  await cleanup();
}
if (!consistent) {
  console.error('the rebuilt read models do not match the log');
  process.exit(1);
}
