import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { START_POSITION, type NewEvent } from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { newId } from '../shared/ids.ts';
import { connectSse, type SseClient } from '../test/sse-client.ts';
import { benchPostgres, cpuMs, machine, startService, table, writeResult } from './bench-kit.ts';

/**
 * The event feed (GET /api/v1/events/stream) against the service in a child process on a durable embedded
 * PostgreSQL:
 * (a) catch-up: BENCH_FEED_EVENTS character events (creations and updates, as the rebuild bench seeds them) are
 *     appended directly to the log and projected first; then one SSE consumer reads them all over HTTP from the
 *     start. Baseline in the same run: paging `readAll` in this process (the log read alone, no HTTP).
 * (b) command handling: POST /api/v1/characters over HTTP (autocannon, 50 connections) with no feed consumer,
 *     with 20 live consumers following the feed, and with none again; every consumer must have received every
 *     event at the end (checked against the log).
 */
const FEED_EVENTS = Number(process.env.BENCH_FEED_EVENTS ?? 100_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONSUMERS = Number(process.env.BENCH_FEED_CONSUMERS ?? 20);

const meta = { userId: 'local', correlationId: 'b', causationId: 'b', requestId: 'b', schemaVersion: 1 };
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

const pgServer = await benchPostgres();
const pool = new pg.Pool({ connectionString: pgServer.url, max: 10 });
await migrateEventLog(pool);
const store = createPostgresEventStore({ pool });

// Seed: one creation and eight updates per character, 50 characters appended concurrently.
const seedStarted = performance.now();
let seeded = 0;
while (seeded < FEED_EVENTS) {
  const n = Math.min(50, Math.ceil((FEED_EVENTS - seeded) / 9));
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const id = newId();
      const events: NewEvent[] = [
        { id: newId(), type: 'CharacterCreated', data: { characterId: id, ownerId: 'local', fields: fields(seeded + i) }, metadata: meta },
      ];
      for (let u = 0; u < 8; u++)
        events.push({
          id: newId(),
          type: 'CharacterUpdated',
          data: { characterId: id, changes: { description: `update ${u}` } },
          metadata: meta,
        });
      await store.append(`character-${id}`, events, 'no_stream');
    }),
  );
  seeded += n * 9;
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

// Baseline: the log read alone, in process.
const baselineStarted = performance.now();
const { count: logEvents, head } = await countAfter(START_POSITION);
const baselineSeconds = (performance.now() - baselineStarted) / 1000;

// All consumers are the single user's: let them all in (EVENT_FEED_MAX_CONNECTIONS_PER_USER is 4 by default).
const service = await startService({ DATABASE_URL: pgServer.url, EVENT_FEED_MAX_CONNECTIONS_PER_USER: String(CONSUMERS + 1) });
// CPU of the service process and of the PostgreSQL server (the postmaster and its backends).
const backendPid = Number((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
const postmasterPid = Number(readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
const serverCpuMs = () => cpuMs([service.pid], [postmasterPid]);
const auth = { 'X-API-KEY': service.key };
let stopped = false;
/** The service and the database are child processes: stop them however this script ends. */
async function stopAll() {
  if (stopped) return;
  stopped = true;
  await service.stop();
  await pool.end();
  await pgServer.cleanup();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

async function projected() {
  // Let the projector apply the seeded log first, so (a) measures the feed and not the projector's catch-up.
  for (;;) {
    const ready = (await (await fetch(`${service.url}/ready`)).json()) as {
      checks?: { projections?: { projections?: Array<{ lagEvents: number }> } };
    };
    const lags = ready.checks?.projections?.projections ?? [];
    if (lags.length > 0 && lags.every((l) => l.lagEvents === 0)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

// (a) One consumer reads the whole log over HTTP.
async function catchUp() {
  const started = performance.now();
  const client = await connectSse(`${service.url}/api/v1/events/stream?from=start`, auth, { parse: false });
  await client.waitFor((c) => c.lastEventId === head, 600_000);
  const seconds = (performance.now() - started) / 1000;
  client.close();
  if (client.eventCount !== logEvents) throw new Error(`the consumer got ${client.eventCount} events, the log has ${logEvents}`);
  return { events: client.eventCount, seconds: Math.round(seconds * 100) / 100, eventsPerSecond: Math.round(client.eventCount / seconds) };
}

// (b) Command handling with and without live consumers.
let counter = 0;
const createRequest: autocannon.Request = {
  method: 'POST',
  path: '/api/v1/characters',
  headers: { 'content-type': 'application/json', 'x-api-key': service.key },
  setupRequest: (req: autocannon.Request) => ({
    ...req,
    body: JSON.stringify({
      name: `Bench ${process.pid}-${counter++}`,
      description: 'A benchmark character. '.repeat(20),
      tags: ['bench', 'http'],
      alternate_greetings: ['hi', 'hello'],
    }),
  }),
};

/** Events in the log after `from`: how many, the last position, and (with `keep`) every position. */
async function countAfter(from: string, keep = false): Promise<{ count: number; head: string; positions: string[] }> {
  let cursor = from;
  let count = 0;
  const positions: string[] = [];
  for (;;) {
    const page = await store.readAll({ fromPosition: cursor, maxCount: 1000 });
    if (page.length === 0) return { count, head: cursor, positions };
    count += page.length;
    if (keep) for (const e of page) positions.push(e.position);
    cursor = page[page.length - 1]!.position;
  }
}

async function commands(name: string, consumers: number) {
  const clients: SseClient[] = [];
  const received: string[][] = [];
  // Where each consumer starts: the id of its first block (`from now on`), not its lastEventId once all are
  // connected (a request autocannon left running may have appended meanwhile, moving some of them on).
  const startOf: Array<string | undefined> = [];
  for (let i = 0; i < consumers; i++) {
    const got: string[] = [];
    received.push(got);
    clients.push(
      await connectSse(`${service.url}/api/v1/events/stream`, auth, {
        parse: false,
        onEvent: (m) => {
          startOf[i] ??= m.id;
          if (m.data !== undefined) got.push(m.id!);
        },
      }),
    );
  }
  await Promise.all(clients.map((c) => c.waitFor((x) => x.lastEventId !== undefined)));
  const first = startOf.map((s) => s!).sort()[0]!;
  const cpuBefore = serverCpuMs();
  const result = await autocannon({
    url: service.url,
    duration: DURATION,
    connections: 50,
    requests: [createRequest],
  } as autocannon.Options);
  const cpuUsed = serverCpuMs() - cpuBefore;
  // Every consumer must end up with every event appended while it listened, and soon.
  const ended = performance.now();
  let caughtUpMs: number | null = null;
  let eventsPerConsumer: number | null = null;
  if (consumers > 0) {
    // Requests autocannon gave up on may still be running: wait until the log stops growing, then compare
    // what each consumer got up to that point with the log after its own start, position by position.
    let { head: now } = await countAfter(first);
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const again = await countAfter(first);
      if (again.head === now) break;
      now = again.head;
    }
    await Promise.all(clients.map((c) => c.waitFor((x) => x.lastEventId !== undefined && x.lastEventId >= now, 60_000)));
    caughtUpMs = Math.round(performance.now() - ended);
    const logAfterFirst = (await countAfter(first, true)).positions.filter((p) => p <= now);
    const expectedFor = (start: string) => logAfterFirst.filter((p) => p > start);
    const wrong = received
      .map((got, i) => ({ got: got.filter((p) => p <= now), want: expectedFor(startOf[i]!) }))
      .filter((r) => r.got.join(',') !== r.want.join(','));
    if (wrong.length > 0) {
      const { got, want } = wrong[0]!;
      const at = want.findIndex((p, i) => got[i] !== p);
      throw new Error(
        `${wrong.length} consumers did not get exactly the events of the log while they listened: ${got.length} instead of ${want.length}, first difference at ${at}: ${got[at]} instead of ${want[at]}`,
      );
    }
    eventsPerConsumer = logAfterFirst.length;
  }
  for (const c of clients) c.close();
  return {
    name,
    consumers,
    requestsPerSecond: Math.round(result['2xx'] / DURATION),
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    eventsPerConsumer,
    /** Service + PostgreSQL CPU per successful create: robust to other load on the machine, unlike req/s. */
    serverCpuMsPerRequest: Math.round((cpuUsed / Math.max(1, result['2xx'])) * 100) / 100,
    consumersCaughtUpAfterMs: caughtUpMs,
  };
}

let catchUpRuns: Awaited<ReturnType<typeof catchUp>>[];
let before: Awaited<ReturnType<typeof commands>>;
let withConsumers: typeof before;
let after: typeof before;
try {
  await projected();
  catchUpRuns = [await catchUp(), await catchUp()];
  await autocannon({ url: service.url, duration: 3, connections: 10, requests: [createRequest] } as autocannon.Options); // warm-up
  before = await commands('POST /api/v1/characters, no consumer', 0);
  withConsumers = await commands(`POST /api/v1/characters, ${CONSUMERS} live consumers`, CONSUMERS);
  after = await commands('POST /api/v1/characters, no consumer (again)', 0);
} finally {
  await stopAll();
}

const baselineRps = (before.requestsPerSecond + after.requestsPerSecond) / 2;
const slowdownPercent = Math.round((1 - withConsumers.requestsPerSecond / baselineRps) * 1000) / 10;
const baselineCpu = (before.serverCpuMsPerRequest + after.serverCpuMsPerRequest) / 2;
const cpuOverheadPercent = Math.round((withConsumers.serverCpuMsPerRequest / baselineCpu - 1) * 1000) / 10;
const bestCatchUp = Math.max(...catchUpRuns.map((r) => r.eventsPerSecond));
const result = {
  machine: machine(),
  seed: { events: logEvents, seconds: Math.round(seedSeconds * 10) / 10 },
  baselineReadAll: {
    events: logEvents,
    seconds: Math.round(baselineSeconds * 100) / 100,
    eventsPerSecond: Math.round(logEvents / baselineSeconds),
  },
  catchUp: catchUpRuns,
  commands: [before, withConsumers, after],
  slowdownPercent,
  cpuOverheadPercent,
  targets: { catchUpEventsPerSecond: 10_000, maxSlowdownPercent: 10, met: bestCatchUp >= 10_000 && slowdownPercent <= 10 },
};
table([
  { measure: 'readAll in process (baseline)', events: logEvents, 'events/s': result.baselineReadAll.eventsPerSecond },
  ...catchUpRuns.map((r, i) => ({
    measure: `one SSE consumer from the start, run ${i + 1}`,
    events: r.events,
    'events/s': r.eventsPerSecond,
  })),
]);
table(
  result.commands.map((r) => ({
    run: r.name,
    'req/s (2xx)': r.requestsPerSecond,
    'non-2xx': r.non2xx,
    'p50 ms': r.latencyMs.p50,
    'p99 ms': r.latencyMs.p99,
    'server CPU ms/req': r.serverCpuMsPerRequest,
    'events/consumer': r.eventsPerConsumer ?? '',
    'caught up after (ms)': r.consumersCaughtUpAfterMs ?? '',
  })),
);
console.log(
  `slowdown with ${CONSUMERS} consumers: ${slowdownPercent} % of req/s (target <= 10 %); server CPU per request ${cpuOverheadPercent >= 0 ? '+' : ''}${cpuOverheadPercent} %`,
);
writeResult('event-feed', result);
