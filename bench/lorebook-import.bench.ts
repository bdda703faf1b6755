import os from 'node:os';
import pg from 'pg';
import { appendSplit, toNewEvents } from '../commands/command-handler.ts';
import { worldBookDecider } from '../commands/world-books/world-book-decider.ts';
import { createDataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { newId } from '../shared/ids.ts';
import { importLorebook } from '../shared/worldinfo/index.ts';
import { benchPostgres, machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Bulk in (issue 16, items 3 and 8): a 5,000-entry SillyTavern lorebook imported over HTTP into `npm start`'s
 * service (a child process on a durable embedded PostgreSQL), answered 201 once the book is readable. The book
 * goes to the log as a WorldBookCreated and WorldBookEntriesImported events of at most 128 KiB of entries, in
 * appends within the 1 MiB limit. The same run measures in this process, on the same database: parse (the
 * lorebook engine's import), decide + encode, seal + append as now, and the baseline: the one-event append of
 * before (all entries in one WorldBookCreated, on a log whose limit is lifted for it; EventStoreDB would refuse it).
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 5_000);

function lorebook(entries: number) {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < entries; i++)
    out[i] = {
      uid: i,
      key: [`place ${i}`, `alias ${i}`],
      keysecondary: [],
      comment: `entry ${i}`,
      content: `Entry ${i}: ${'an old tale of the northern hills and the people who live there. '.repeat(4)}`,
      order: 100,
      position: 0,
    };
  return { name: 'Atlas', entries: out };
}

const database = await benchPostgres();
// The in-process stages write to a database of their own on the same server: the service's projector never sees them.
const admin = new pg.Client({ connectionString: database.url });
await admin.connect();
await admin.query('CREATE DATABASE stages');
await admin.end();
const pool = new pg.Pool({ connectionString: database.server.connectionString('stages'), max: 4 });
let service: Awaited<ReturnType<typeof startService>> | undefined;
try {
  const svc = await startService({ DATABASE_URL: database.url, READ_YOUR_WRITES_TIMEOUT_MS: '60000' });
  service = svc;
  const book = lorebook(ENTRIES);
  const body = JSON.stringify(book);
  await migrateEventLog(pool);
  const keys = createDataKeyStore({ pool });
  await keys.migrate();
  const bare = createPostgresEventStore({ pool });
  const sealed = createEncryptingEventStore(bare, keys);
  const unlimited = createEncryptingEventStore(createPostgresEventStore({ pool, maxAppendBytes: 2 ** 30 }), keys);
  const context = { userId: 'local', isAdmin: false, requestId: 'bench', correlationId: 'bench', causationId: 'bench' };

  const stages: Record<string, number[]> = { http: [], parse: [], decide_encode: [], seal_append: [], baseline_one_event: [] };
  const time = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const out = await work();
    stages[name]!.push(performance.now() - t);
    return out;
  };
  let appends = 0;
  for (let i = 0; i < ITERATIONS + 1; i++) {
    const t = performance.now();
    const res = await fetch(`${svc.url}/api/v1/characters/world-books/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': svc.key },
      body,
    });
    if (res.status !== 201) throw new Error(`import answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer();
    const http = performance.now() - t;
    const imported = await time('parse', () => importLorebook(JSON.parse(body), { name: 'Atlas' }));
    const { entries, ...meta } = imported.book;
    const worldBookId = newId();
    const records = entries.map((entry) => ({ entryId: newId(), entry }));
    const command = {
      type: 'CreateWorldBook' as const,
      worldBookId,
      book: meta,
      entries: records,
      enabled: true,
      isGlobal: false,
      source: { kind: 'import' as const, format: imported.format },
      warnings: [],
    };
    const events = await time('decide_encode', () =>
      toNewEvents(worldBookDecider.decide(command, worldBookDecider.initialState(), context), context, 'local'),
    );
    appends = (await pool.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM es.events GROUP BY stream_id, transaction_id) t`)).rows[0].n;
    await time('seal_append', () => appendSplit(sealed, `benchbook-${worldBookId}`, events, 'no_stream'));
    appends =
      (await pool.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM es.events GROUP BY stream_id, transaction_id) t`)).rows[0].n -
      appends;
    const single = toNewEvents(
      [
        {
          type: 'WorldBookCreated',
          data: {
            worldBookId,
            ownerId: 'local',
            book: meta,
            entries: records,
            enabled: true,
            isGlobal: false,
            source: command.source,
            warnings: [],
          },
        },
      ],
      context,
      'local',
    );
    await time('baseline_one_event', () => unlimited.append(`benchbook-${newId()}`, single, 'no_stream'));
    if (i === 0) for (const s of Object.values(stages)) s.length = 0;
    else stages.http!.push(http);
  }
  const rows = Object.entries(stages).map(([stage, samples]) => ({ stage, ...summarize(samples) }));
  const load = os.loadavg();
  table(rows);
  console.log(
    `${machine()}; ${ENTRIES} entries, ${(body.length / 2 ** 20).toFixed(1)} MiB of JSON, ${appends} appends per import; load ${load.map((x) => x.toFixed(2)).join(' ')}`,
  );
  writeResult('lorebook-import', { entries: ENTRIES, bytes: body.length, appends, stages: rows, load });
  await keys.close();
} finally {
  await pool.end();
  await service?.stop();
  await database.cleanup();
}
