import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { createDataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import type { NewEvent } from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { newId } from '../shared/ids.ts';
import { connectSse, type SseClient } from '../test/sse-client.ts';
import { benchPostgres, machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Many catch-up consumers of the event feed at once (issue 14, item 4: the feed does not amplify). The service
 * runs in multi-user mode in a child process on a durable embedded PostgreSQL whose log holds BENCH_FEED_USERS
 * users' events (BENCH_FEED_EVENTS_PER_USER each: a character created and updated, encrypted with its owner's
 * key as the service writes them). Then BENCH_FEED_CONNECTIONS consumers (default 200, at most 4 per user)
 * open `from=start` together and read to the head while another user asks for a small GET every 100 ms; then
 * they all close. Reported: the service's RSS before, at its peak and 10 s after they closed; how long the
 * consumers took; the other user's latency meanwhile.
 *
 * `./node_modules/.bin/node bench/event-feed-connections.bench.ts`
 */
const USERS = Number(process.env.BENCH_FEED_USERS ?? 50);
const EVENTS_PER_USER = Number(process.env.BENCH_FEED_EVENTS_PER_USER ?? 1200);
const CONNECTIONS = Number(process.env.BENCH_FEED_CONNECTIONS ?? 200);
const TIME_LIMIT_MS = Number(process.env.BENCH_FEED_TIME_LIMIT_MS ?? 120_000);
const SECRET = 'bench-secret-for-hs256-signing-0123456789abcdef';

const users = Array.from({ length: USERS }, (_, i) => `user-${String(i).padStart(3, '0')}`);
const meta = (userId: string) => ({ userId, correlationId: 'b', causationId: 'b', requestId: 'b', schemaVersion: 1 });
const fields = (i: number) => ({
  name: `Character ${i}`,
  description: 'd'.repeat(400),
  personality: 'p'.repeat(100),
  scenario: 's',
  system_prompt: '',
  post_history_instructions: '',
  first_message: 'Hello there. '.repeat(10),
  message_example: '',
  creator_notes: '',
  alternate_greetings: ['a', 'b'],
  tags: ['x', 'y'],
  creator: 'bench',
  character_version: '1',
  extensions: { k: i },
});

const pgServer = await benchPostgres();
let service: Awaited<ReturnType<typeof startService>> | undefined;
let stopped = false;
/** The service and the database are child processes: stop them however this script ends. */
async function stopAll() {
  if (stopped) return;
  stopped = true;
  await service?.stop();
  await pool.end();
  await pgServer.cleanup();
}
process.once('uncaughtException', (err) => {
  console.error(err);
  void stopAll().finally(() => process.exit(1));
});
const pool = new pg.Pool({ connectionString: pgServer.url, max: 10 });
await migrateEventLog(pool);
const keys = createDataKeyStore({ pool });
await keys.migrate();
const store = createEncryptingEventStore(createPostgresEventStore({ pool }), keys);

// Seed: per user, characters of one creation and nine updates, written concurrently across users (interleaved in
// the log as real traffic would be).
const seedStarted = performance.now();
await Promise.all(
  users.map(async (user, u) => {
    for (let c = 0; c < EVENTS_PER_USER / 10; c++) {
      const id = newId();
      const events: NewEvent[] = [
        {
          id: newId(),
          type: 'CharacterCreated',
          data: { characterId: id, ownerId: user, fields: fields(u * 10_000 + c) },
          metadata: meta(user),
        },
      ];
      for (let n = 0; n < 9; n++)
        events.push({
          id: newId(),
          type: 'CharacterUpdated',
          data: { characterId: id, changes: { description: `update ${n} `.repeat(40) } },
          metadata: meta(user),
        });
      await store.append(`character-${id}`, events, 'no_stream');
    }
  }),
);
const seeded = USERS * EVENTS_PER_USER;
const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
await keys.close();

console.error(`seeded ${seeded} events in ${seedSeconds} s`);
const gcReport = path.join(mkdtempSync(path.join(os.tmpdir(), 'ccb-bench-gc-')), 'full-gc.json');
const svc = await startService({
  DATABASE_URL: pgServer.url,
  AUTH_MODE: 'multi-user',
  JWT_SECRET: SECRET,
  EVENT_FEED_HEARTBEAT_MS: '1000',
  RATE_LIMITS_ENABLED: 'false',
  // Only to look inside: a full GC on request, to tell memory held from garbage not yet collected.
  NODE_OPTIONS: '--import ./bench/full-gc-on-signal.ts',
  FULL_GC_REPORT_FILE: gcReport,
});
service = svc;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

const token = (sub: string, claims: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
const adminAuth = { Authorization: `Bearer ${await token('bench-admin', { role: 'admin' })}` };
const probeAuth = { Authorization: `Bearer ${await token('probe')}` };
const userAuth = new Map(await Promise.all(users.map(async (u) => [u, { Authorization: `Bearer ${await token(u)}` }] as const)));

const rssMiB = () => {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${svc.pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : 0;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
async function rssOver(ms: number): Promise<number> {
  const xs: number[] = [];
  for (let t = 0; t < ms; t += 250) {
    xs.push(rssMiB());
    await new Promise((r) => setTimeout(r, 250));
  }
  return median(xs);
}

/** The service's memory right after a full GC (see full-gc-on-signal.ts). */
async function fullGc(): Promise<{ rssMiB: number; heapUsedMiB: number }> {
  rmSync(gcReport, { force: true });
  process.kill(svc.pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(gcReport); i++) await new Promise((r) => setTimeout(r, 100));
  return JSON.parse(readFileSync(gcReport, 'utf8')) as { rssMiB: number; heapUsedMiB: number };
}

async function projected() {
  for (;;) {
    const ready = (await (await fetch(`${svc.url}/ready`, { headers: adminAuth })).json()) as {
      checks?: { projections?: { projections?: Array<{ lagEvents: number }> } };
    };
    const lags = ready.checks?.projections?.projections ?? [];
    if (lags.length > 0 && lags.every((l) => l.lagEvents === 0)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

let result: Record<string, unknown>;
try {
  await projected();
  console.error('projected');
  const head = await store.headPosition();
  // The probe user's small GET, alone, as the reference.
  const probe = async () => {
    const started = performance.now();
    const res = await fetch(`${svc.url}/api/v1/characters?limit=1`, { headers: probeAuth });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`probe GET answered ${res.status}`);
    return performance.now() - started;
  };
  const alone: number[] = [];
  for (let i = 0; i < 30; i++) {
    alone.push(await probe());
    await new Promise((r) => setTimeout(r, 50));
  }
  const rssBefore = await rssOver(3000);
  const beforeFullGc = await fullGc();

  let peak = rssBefore;
  const sampler = setInterval(() => void (peak = Math.max(peak, rssMiB())), 100);
  const during: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      during.push(await probe());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const started = performance.now();
  const clients: SseClient[] = [];
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, i) => {
      const client = await connectSse(`${svc.url}/api/v1/events/stream?from=start`, userAuth.get(users[i % USERS]!)!, { parse: false });
      statuses.set(client.status, (statuses.get(client.status) ?? 0) + 1);
      if (client.status === 200) clients.push(client);
      else client.close();
    }),
  );
  console.error(`opened: ${JSON.stringify(Object.fromEntries(statuses))}`);
  const caughtUp = await Promise.all(
    clients.map((c) =>
      c
        .waitFor((x) => x.lastEventId !== undefined && x.lastEventId >= head, TIME_LIMIT_MS)
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const events = clients.reduce((sum, c) => sum + c.eventCount, 0);
  probing = false;
  await prober;
  for (const c of clients) c.close();
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 7000));
  const rssAfter = await rssOver(3000);
  const afterFullGc = await fullGc();

  result = {
    machine: machine(),
    log: { users: USERS, eventsPerUser: EVENTS_PER_USER, events: seeded, seedSeconds },
    connections: {
      asked: CONNECTIONS,
      answered: Object.fromEntries(statuses),
      caughtUp: caughtUp.filter(Boolean).length,
      seconds,
      eventsDelivered: events,
    },
    rssMiB: { before: rssBefore, peak, after10s: rssAfter },
    afterFullGc: { before: beforeFullGc, after: afterFullGc },
    otherUserGetMs: { alone: summarize(alone), during: summarize(during) },
  };
  table([
    { measure: 'log', value: `${seeded} events, ${USERS} users × ${EVENTS_PER_USER} (encrypted)` },
    { measure: 'from=start connections (status: count)', value: JSON.stringify(Object.fromEntries(statuses)) },
    {
      measure: `caught up to the head (within ${TIME_LIMIT_MS / 1000} s)`,
      value: `${caughtUp.filter(Boolean).length} of ${clients.length} in ${seconds} s, ${events} events delivered`,
    },
    { measure: 'service RSS before (MiB)', value: rssBefore },
    { measure: 'service RSS peak (MiB)', value: peak },
    { measure: 'service RSS 10 s after they closed (MiB)', value: rssAfter },
    {
      measure: 'after a full GC, before the connections: RSS / V8 heap used (MiB)',
      value: `${beforeFullGc.rssMiB} / ${beforeFullGc.heapUsedMiB}`,
    },
    { measure: 'after a full GC, once they closed: RSS / V8 heap used (MiB)', value: `${afterFullGc.rssMiB} / ${afterFullGc.heapUsedMiB}` },
    {
      measure: "another user's GET alone, p50 / p99 / max (ms)",
      value: `${Math.round(summarize(alone).p50)} / ${Math.round(summarize(alone).p99)} / ${Math.round(summarize(alone).max)}`,
    },
    {
      measure: "another user's GET meanwhile, p50 / p99 / max (ms)",
      value: `${Math.round(summarize(during).p50)} / ${Math.round(summarize(during).p99)} / ${Math.round(summarize(during).max)}`,
    },
  ]);
} finally {
  await stopAll();
  rmSync(path.dirname(gcReport), { recursive: true, force: true });
}
writeResult('event-feed-connections', result);
