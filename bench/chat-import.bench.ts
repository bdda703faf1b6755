import os from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { appendSplit, toNewEvents } from '../commands/command-handler.ts';
import { chatDecider } from '../commands/chats/chat-decider.ts';
import { seedsFromSillyTavern } from '../commands/chats/chat-import.ts';
import { createDataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { migrateEventLog } from '../infra/eventstore/postgres/schema.ts';
import { migrateReadModels } from '../infra/db/migrate.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { EventStore } from '../infra/eventstore/event-store.ts';
import { withUpcast } from '../projections/projection-runner.ts';
import { projections } from '../projections/registry.ts';
import { parseSillyTavernChat } from '../shared/chats/sillytavern-chat.ts';
import { newId } from '../shared/ids.ts';
import { benchPostgres, machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Bulk in (issue 16, item 3): a 10,000-message SillyTavern chat (JSONL) imported over HTTP into `npm start`'s
 * service (a child process on a durable embedded PostgreSQL), answered 201 once the chat is readable (its chat rows
 * written by its own appends), and, alternated with it, into a second such service with `INLINE_PROJECTIONS=false`
 * that answers once the projector has applied every projection (the baseline for the inline projection). The same
 * run breaks the work down in this process with the service's own functions on the same database: parse, decide,
 * encode (validated events), seal + append (through the encrypting store, in appends within the 1 MiB limit),
 * append alone (the bare log) and project (every registered projection that handles the events, each in a
 * transaction, into a read schema of its own). Each of decide, encode, append and project is measured twice on the
 * same messages: as stored now (`MessagesImported` batches) and, the baseline, as one `MessagePosted` per message
 * (the chat decider's way for a chat not made from a file, which is how imports were stored before).
 * The fixed reference is a plain multi-row INSERT of the same messages into a scratch table: the floor of writing
 * those rows at all.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);

function sillyTavernJsonl(messages: number): string {
  const lines = [JSON.stringify({ user_name: 'You', character_name: 'Bench', create_date: '2024-01-01@12h00m00s', chat_metadata: {} })];
  for (let i = 0; i < messages; i++)
    lines.push(
      JSON.stringify({
        name: i % 2 ? 'You' : 'Bench',
        is_user: i % 2 === 1,
        send_date: '2024-01-01T12:00:00.000Z',
        mes: `Message ${i}: ${'the forest is quiet tonight, and the lanterns sway in the wind. '.repeat(3)}`,
      }),
    );
  return lines.join('\n');
}

const database = await benchPostgres();
// The in-process stages write to a database of their own on the same server: the service's projector never sees them.
const admin = new pg.Client({ connectionString: database.url });
await admin.connect();
await admin.query('CREATE DATABASE stages');
await admin.query('CREATE DATABASE projectorwait');
await admin.end();
const pool = new pg.Pool({ connectionString: database.server.connectionString('stages'), max: 4 });
const services: Array<Awaited<ReturnType<typeof startService>>> = [];
try {
  const env = { MAX_MESSAGES_PER_CHAT: '1000000', READ_YOUR_WRITES_TIMEOUT_MS: '60000' };
  // The service as it runs by default, and (the baseline for the inline projection) one that answers an import
  // only once the projector has applied it, every projection, on a database of its own.
  const inline = await startService({ ...env, DATABASE_URL: database.url });
  services.push(inline);
  const waiting = await startService({
    ...env,
    DATABASE_URL: database.server.connectionString('projectorwait'),
    INLINE_PROJECTIONS: 'false',
  });
  services.push(waiting);
  const clientOf = (svc: (typeof services)[number]) => async (path: string, body: unknown) => {
    const res = await fetch(`${svc.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': svc.key },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as { id: string };
  };
  const api = clientOf(inline);
  const apiWaiting = clientOf(waiting);
  const character = await api('/api/v1/characters', { name: 'Bench', first_message: 'Hello.' });
  const characterWaiting = await apiWaiting('/api/v1/characters', { name: 'Bench', first_message: 'Hello.' });
  const content = sillyTavernJsonl(MESSAGES);

  await migrateEventLog(pool);
  const keys = createDataKeyStore({ pool });
  await keys.migrate();
  const bare = createPostgresEventStore({ pool });
  const sealed = createEncryptingEventStore(bare, keys);
  const context = { userId: 'local', isAdmin: false, requestId: 'bench', correlationId: 'bench', causationId: 'bench' };
  await pool.query('CREATE TABLE IF NOT EXISTS bench_rows (id uuid PRIMARY KEY, chat_id uuid, seq int, content text, meta jsonb)');
  const readDb = new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
  await migrateReadModels(readDb, 'read');

  const stages: Record<string, number[]> = { http: [], http_projector_wait: [], parse: [] };
  for (const way of ['batched', 'per_message'])
    for (const stage of ['decide', 'encode', 'seal_append', 'append', 'project', 'project_chats', 'project_memory_index'])
      stages[`${stage}_${way}`] = [];
  stages.raw_insert = [];
  const time = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const out = await work();
    stages[name]!.push(performance.now() - t);
    return out;
  };
  /** What the projector does with the stored events: every projection that handles some, each in a transaction. */
  const project = async (store: EventStore, streamId: string, way: string) => {
    const stored = (await store.readStream(streamId)).map(withUpcast);
    const t = performance.now();
    for (const projection of projections) {
      const mine = stored.filter((e) => projection.handles.has(e.type));
      if (mine.length === 0) continue;
      const started = performance.now();
      await readDb.transaction().execute(async (trx) => {
        const db = trx.withSchema('read') as Kysely<ReadModels>;
        if (projection.applyMany) await projection.applyMany(db, mine);
        else for (const e of mine) await projection.apply(db, e);
      });
      if (projection.name === 'chats' || projection.name === 'memory_index')
        stages[`project_${projection.name}_${way}`]!.push(performance.now() - started);
    }
    stages[`project_${way}`]!.push(performance.now() - t);
  };
  for (let i = 0; i < ITERATIONS + 1; i++) {
    const timed = async (call: typeof api, characterId: string) => {
      const t = performance.now();
      await call('/api/v1/character_chats/import', { character_id: characterId, content });
      return performance.now() - t;
    };
    // Alternated: which service goes first changes every round.
    let http: number;
    let httpWaiting: number;
    if (i % 2) {
      httpWaiting = await timed(apiWaiting, characterWaiting.id);
      http = await timed(api, character.id);
    } else {
      http = await timed(api, character.id);
      httpWaiting = await timed(apiWaiting, characterWaiting.id);
    }
    const parsed = await time('parse', () => seedsFromSillyTavern(parseSillyTavernChat(content)));
    // Alternate which way goes first, so neither always runs on a warmer cache.
    const ways = i % 2 ? (['per_message', 'batched'] as const) : (['batched', 'per_message'] as const);
    for (const way of ways) {
      const chatId = newId();
      const command = {
        type: 'CreateChat' as const,
        chatId,
        characterId: character.id,
        characterName: 'Bench',
        title: 'bench',
        settings: {},
        forkedFrom: null,
        // The decider stores a chat made from a file in batches, any other chat one message per event.
        importedFrom: way === 'batched' ? 'sillytavern-jsonl' : null,
        messages: parsed,
        maxMessages: 1_000_000,
      };
      const events = await time(`decide_${way}`, () => chatDecider.decide(command, chatDecider.initialState(), context));
      const encoded = await time(`encode_${way}`, () => toNewEvents(events, context, 'local'));
      await time(`seal_append_${way}`, () => appendSplit(sealed, `benchsealed-${chatId}`, encoded, 'no_stream'));
      const again = toNewEvents(events, context, 'local');
      await time(`append_${way}`, () => appendSplit(bare, `chat-${chatId}`, again, 'no_stream'));
      await project(bare, `chat-${chatId}`, way);
    }
    const chatId = newId();
    await time('raw_insert', async () => {
      for (let j = 0; j < parsed.length; j += 2000) {
        const part = parsed.slice(j, j + 2000);
        await pool.query('INSERT INTO bench_rows SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::jsonb[])', [
          part.map(() => newId()),
          part.map(() => chatId),
          part.map((_, k) => j + k),
          part.map((m) => m.content),
          part.map((m) => JSON.stringify(m.metadata)),
        ]);
      }
    });
    if (i === 0)
      for (const s of Object.values(stages)) s.length = 0; // the first round warms up
    else {
      stages.http!.push(http);
      stages.http_projector_wait!.push(httpWaiting);
    }
  }
  const rows = Object.entries(stages).map(([stage, samples]) => ({ stage, ...summarize(samples) }));
  const load = os.loadavg();
  table(rows);
  console.log(
    `${machine()}; ${MESSAGES} messages, ${(content.length / 2 ** 20).toFixed(1)} MiB of JSONL; load ${load.map((x) => x.toFixed(2)).join(' ')}`,
  );
  writeResult('chat-import', { messages: MESSAGES, bytes: content.length, stages: rows, load });
  await keys.close();
} finally {
  await pool.end();
  for (const svc of services) await svc.stop();
  await database.cleanup();
}
