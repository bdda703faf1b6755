import { EventEmitter } from 'node:events';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { ReadModels } from '../../db/read-model-types.ts';
import {
  APPENDED_CTE,
  ConcurrencyError,
  EventStoreUnavailableError,
  START_POSITION,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type InlineAppendResult,
  type InlineMultipleResult,
  type InlineWork,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
  checkExpectedRevision,
} from '../event-store.ts';
import { assertAppendFits, DEFAULT_MAX_APPEND_BYTES } from '../append-size.ts';
import { formatPosition, parsePosition } from './positions.ts';

const NOTIFY_CHANNEL = 'es_appended';
const NOTIFY_INTERVAL_MS = 2;

interface EventRow {
  global_position: string;
  tx_text: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: RecordedEvent['metadata'];
  created_at: Date;
}

/** What `es.append_to_stream` answers. */
/** The `appended` CTE's one row: each stream's new revision and last position in the order given. */
interface AppendedRows {
  new_revisions: string[];
  last_positions: string[];
  tx: string;
}

// ORDER BY and WHERE clauses qualify columns with `e.`: a bare name in ORDER BY would bind to an output alias.
const EVENT_COLUMNS = 'global_position, transaction_id::text AS tx_text, stream_id, revision, event_id, type, data, metadata, created_at';

/** The payload left by `eraseClearPayloads`. */
const ERASED_FIELD = '$erased';

function toRecorded(row: EventRow): RecordedEvent {
  if (row.data[ERASED_FIELD] === true) return { ...toRecordedAsStored(row), data: {}, redacted: true };
  return toRecordedAsStored(row);
}

function toRecordedAsStored(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: formatPosition(row.tx_text, row.global_position),
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

function expectedToSql(expected: ExpectedRevision): number {
  if (expected === 'any') return -1;
  if (expected === 'no_stream') return -2;
  if (expected === 'stream_exists') return -3;
  if (!Number.isSafeInteger(expected) || expected < 0) throw new RangeError(`invalid expected revision ${expected}`);
  return expected;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && CONNECTION_ERROR_CODES.has(e.code)) return true;
  return /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    e?.message ?? '',
  );
}

/** One stream's `es.append_to_stream` call, its parameters from `$offset + 1` on. */
function appendCall(offset: number): string {
  const p = (n: number) => `$${offset + n}`;
  return `es.append_to_stream(${p(1)}, ${p(2)}, ${p(3)}::uuid[], ${p(4)}::text[], ${p(5)}::jsonb[], ${p(6)}::jsonb[])`;
}

function appendParams(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): unknown[] {
  return [
    streamId,
    expectedToSql(expectedRevision),
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => JSON.stringify(e.metadata)),
  ];
}

export interface PostgresEventStoreOptions {
  pool: pg.Pool;
  /** Connection string for the LISTEN connection that wakes subscribers appended to by other processes. */
  connectionString?: string;
  /** Idle poll interval when no notification arrives (ms). */
  pollIntervalMs?: number;
  /** The largest append taken (bytes); EventStoreDB's default unless configured. */
  maxAppendBytes?: number;
}

export function createPostgresEventStore(options: PostgresEventStoreOptions): EventStore {
  const { pool } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const wakeups = new EventEmitter();
  // Counts wakeups, so a subscriber can tell that one arrived while it was reading (and not sleep through it).
  let wakeupGeneration = 0;
  wakeups.on('appended', () => {
    wakeupGeneration++;
  });
  wakeups.setMaxListeners(0);
  let closed = false;

  // Post-commit notifications, coalesced to at most one per NOTIFY_INTERVAL_MS: NOTIFY inside the append
  // transaction would serialise all commits on the notification queue lock, and one per append would cost a
  // round trip each. Subscribers in other processes also poll, so a wakeup only shortens their wait.
  let notifyTimer: NodeJS.Timeout | undefined;
  const notifyOthers = () => {
    if (!options.connectionString || closed || notifyTimer) return;
    notifyTimer = setTimeout(() => {
      pool
        .query(`SELECT pg_notify('${NOTIFY_CHANNEL}', '')`)
        .catch(() => undefined)
        .finally(() => {
          notifyTimer = undefined;
        });
    }, NOTIFY_INTERVAL_MS);
    notifyTimer.unref();
  };

  let listener: pg.Client | undefined;
  let listenerStarting: Promise<void> | undefined;
  const ensureListener = (): Promise<void> => {
    if (!options.connectionString || listener || listenerStarting || closed) return listenerStarting ?? Promise.resolve();
    listenerStarting = (async () => {
      const client = new pg.Client({ connectionString: options.connectionString });
      client.on('notification', () => wakeups.emit('appended'));
      client.on('error', () => {
        listener = undefined;
        client.end().catch(() => undefined);
        if (!closed) setTimeout(() => void ensureListener(), 1000).unref();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
        listener = client;
      } catch {
        await client.end().catch(() => undefined);
        if (!closed) setTimeout(() => void ensureListener(), 1000).unref();
      } finally {
        listenerStarting = undefined;
      }
    })();
    return listenerStarting;
  };

  const query = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> => {
    try {
      return await pool.query<R>(text, values);
    } catch (err) {
      if (isConnectionError(err)) throw new EventStoreUnavailableError(`event log unreachable: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  };

  const readAll = async ({ fromPosition = START_POSITION, maxCount = 1000, subject }: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
    const { transactionId, globalPosition } = parsePosition(fromPosition);
    // With a subject, the range scan runs on events_data_subject: other users' rows are never read.
    const { rows } = await query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es.events e
        WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          AND (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)
          ${subject === undefined ? '' : 'AND e.data_subject = $4'}
        ORDER BY e.transaction_id, e.global_position
        LIMIT $3`,
      subject === undefined ? [transactionId, globalPosition, maxCount] : [transactionId, globalPosition, maxCount, subject],
    );
    return rows.map(toRecorded);
  };

  /** Resolves true when woken by an append, false when the time ran out. */
  const waitForWakeup = (ms: number, signal?: AbortSignal) =>
    new Promise<boolean>((resolve) => {
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        wakeups.off('appended', onWake);
        signal?.removeEventListener('abort', onWake);
        resolve(woken);
      };
      const onWake = () => finish(true);
      const timer = setTimeout(() => finish(false), ms);
      wakeups.once('appended', onWake);
      signal?.addEventListener('abort', onWake, { once: true });
    });

  /**
   * Why a multi-stream append was refused: a retry whose events all committed answers as the first append did,
   * else the first stream not at its expected revision is the conflict.
   */
  const refusedAppend = async (appends: StreamAppend[]): Promise<AppendResult[] | ConcurrencyError> => {
    const { rows } = await query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM es.events WHERE event_id = ANY($1::uuid[]) ORDER BY revision`, [
      appends.flatMap((a) => a.events.map((ev) => ev.id)),
    ]);
    const byId = new Map(rows.map((r) => [r.event_id, toRecorded(r)]));
    const committed = appends.map((a) => a.events.map((ev) => byId.get(ev.id)));
    if (committed.every((events, k) => events.every((ev) => ev?.streamId === appends[k]!.streamId)))
      return committed.map((events) => ({ revision: events.at(-1)!.revision, position: events.at(-1)!.position }));
    const revisions = await query<{ stream_id: string; revision: string }>(
      'SELECT stream_id, revision FROM es.streams WHERE stream_id = ANY($1::text[])',
      [appends.map((a) => a.streamId)],
    );
    const actual = new Map(revisions.rows.map((r) => [r.stream_id, Number(r.revision)]));
    const stale = appends.find((a) => !checkExpectedRevision(a.expectedRevision, actual.get(a.streamId) ?? 0)) ?? appends[0]!;
    return new ConcurrencyError(stale.streamId, stale.expectedRevision, actual.get(stale.streamId) ?? 0);
  };

  /** After a commit: wake this process's subscribers now, other processes' soon. */
  const appended = () => {
    wakeups.emit('appended');
    notifyOthers();
  };

  /**
   * Why a one-stream append failed: a retry whose events all committed answers as the first append did; a stale
   * expected revision is a ConcurrencyError; a lost connection is EventStoreUnavailableError.
   */
  const refusedSingle = async (
    streamId: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
    err: unknown,
  ): Promise<AppendResult> => {
    const e = err as { code?: string; detail?: string; constraint?: string };
    if (e.code === 'P0409' || (e.code === '23505' && e.constraint === 'events_event_id')) {
      const { rows } = await query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM es.events WHERE event_id = ANY($1::uuid[]) ORDER BY revision`, [
        events.map((ev) => ev.id),
      ]);
      if (rows.length === events.length && rows.every((r) => r.stream_id === streamId)) {
        const last = toRecorded(rows[rows.length - 1]!);
        return { revision: last.revision, position: last.position };
      }
      const actual = e.code === 'P0409' ? Number(e.detail ?? 0) : -1;
      throw new ConcurrencyError(streamId, expectedRevision, actual);
    }
    if (isConnectionError(err)) throw new EventStoreUnavailableError(`event log unreachable: ${(err as Error).message}`, { cause: err });
    throw err;
  };

  // Appends with inline work run through Kysely on the same pool (the work is read-model code written with it).
  let kysely: Kysely<ReadModels> | undefined;
  const inlineDb = () => (kysely ??= new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) }));

  const store: EventStore = {
    kind: 'postgres',
    maxAppendBytes,

    async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
      if (events.length === 0) throw new RangeError('append needs at least one event');
      assertAppendFits(streamId, events, maxAppendBytes);
      try {
        const { rows } = await pool.query<{ new_revision: string; tx: string; last_position: string }>(
          `SELECT new_revision, tx::text AS tx, last_position FROM ${appendCall(0)}`,
          appendParams(streamId, events, expectedRevision),
        );
        const row = rows[0]!;
        appended();
        return { revision: Number(row.new_revision), position: formatPosition(row.tx, row.last_position) };
      } catch (err) {
        return refusedSingle(streamId, events, expectedRevision, err);
      }
    },

    async appendInline<R>(
      streamId: string,
      events: NewEvent[],
      expectedRevision: ExpectedRevision,
      work: InlineWork<R>,
    ): Promise<InlineAppendResult<R>> {
      const { results, inline } = await store.appendMultipleInline!([{ streamId, events, expectedRevision }], work);
      return { ...results[0]!, ...(inline !== undefined ? { inline } : {}) };
    },

    async appendMultipleInline<R>(appends: StreamAppend[], work: InlineWork<R>): Promise<InlineMultipleResult<R>> {
      if (appends.length === 0 || appends.some((a) => a.events.length === 0))
        throw new RangeError('append needs at least one event per stream');
      if (new Set(appends.map((a) => a.streamId)).size !== appends.length) throw new RangeError('appendMultiple: each stream at most once');
      for (const a of appends) assertAppendFits(a.streamId, a.events, maxAppendBytes);
      // Revisions are known beforehand only for an exact expected revision or a new stream; otherwise no work.
      if (appends.some((a) => typeof a.expectedRevision !== 'number' && a.expectedRevision !== 'no_stream')) {
        const results =
          appends.length === 1
            ? [await store.append(appends[0]!.streamId, appends[0]!.events, appends[0]!.expectedRevision)]
            : await store.appendMultiple!(appends);
        return { results };
      }
      // The creation time is chosen here so the work's rows can carry it in the same statement (ms, as read back).
      const createdAt = new Date();
      const recorded: RecordedEvent[] = appends.flatMap((a) => {
        const first = a.expectedRevision === 'no_stream' ? 1 : (a.expectedRevision as number) + 1;
        return a.events.map((e, k) => ({
          id: e.id,
          streamId: a.streamId,
          revision: first + k,
          position: '',
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          createdAt,
        }));
      });
      // Streams are locked in name order, as appendMultiple locks them. The aggregate runs every append before the
      // CTE's one row exists, so a work that waits for `appended` comes after all of them.
      const order = appends.map((a, i) => ({ a, i })).sort((x, y) => (x.a.streamId < y.a.streamId ? -1 : 1));
      const calls = order.map(
        ({ a, i }) =>
          sql`SELECT ${i}::int AS i, new_revision::text AS new_revision, tx::text AS tx, last_position::text AS last_position
            FROM es.append_to_stream(${a.streamId}, ${expectedToSql(a.expectedRevision)}, ${a.events.map((e) => e.id)}::uuid[],
              ${a.events.map((e) => e.type)}::text[], ${a.events.map((e) => JSON.stringify(e.data))}::jsonb[],
              ${a.events.map((e) => JSON.stringify(e.metadata))}::jsonb[], ${createdAt}::timestamptz)`,
      );
      try {
        const withAppend = inlineDb().with(
          APPENDED_CTE,
          () =>
            sql<AppendedRows>`(SELECT array_agg(u.new_revision ORDER BY u.i) AS new_revisions, array_agg(u.last_position ORDER BY u.i)
              AS last_positions, min(u.tx) AS tx FROM (${sql.join(calls, sql` UNION ALL `)}) u)`,
        );
        const statement = work.statement(withAppend as never, recorded);
        // The primary query reads `appended`, so the appends run; the work's writing CTEs run in any case.
        const row = (await statement
          .selectFrom(APPENDED_CTE)
          .leftJoin('inline', (join) => join.onTrue())
          .selectAll()
          .executeTakeFirstOrThrow()) as AppendedRows & Record<string, unknown>;
        const inline = work.answer(row);
        const results = appends.map((_, i) => ({
          revision: Number(row.new_revisions[i]),
          position: formatPosition(row.tx, row.last_positions[i]!),
        }));
        appended();
        return { results, ...(inline !== undefined ? { inline } : {}) };
      } catch (err) {
        if (appends.length === 1)
          return { results: [await refusedSingle(appends[0]!.streamId, appends[0]!.events, appends[0]!.expectedRevision, err)] };
        const e = err as { code?: string; constraint?: string };
        if (e.code === 'P0409' || (e.code === '23505' && e.constraint === 'events_event_id')) {
          const refused = await refusedAppend(appends);
          if (refused instanceof ConcurrencyError) throw refused;
          return { results: refused };
        }
        if (isConnectionError(err))
          throw new EventStoreUnavailableError(`event log unreachable: ${(err as Error).message}`, { cause: err });
        throw err;
      }
    },

    async appendMultiple(appends: StreamAppend[]): Promise<AppendResult[]> {
      if (appends.length === 0 || appends.some((a) => a.events.length === 0))
        throw new RangeError('append needs at least one event per stream');
      if (new Set(appends.map((a) => a.streamId)).size !== appends.length) throw new RangeError('appendMultiple: each stream at most once');
      for (const a of appends) assertAppendFits(a.streamId, a.events, maxAppendBytes);
      // One statement, so one transaction and one commit. Streams are locked in name order (UNION ALL runs its
      // parts in turn), so two multi-stream appends over the same streams cannot deadlock.
      const order = appends.map((a, i) => ({ a, i })).sort((x, y) => (x.a.streamId < y.a.streamId ? -1 : 1));
      const text = order
        .map(({ i }, k) => `SELECT ${i} AS i, new_revision, tx::text AS tx, last_position FROM ${appendCall(k * 6)}`)
        .join(' UNION ALL ');
      try {
        const { rows } = await pool.query<{ i: number; new_revision: string; tx: string; last_position: string }>(
          text,
          order.flatMap(({ a }) => appendParams(a.streamId, a.events, a.expectedRevision)),
        );
        appended();
        const results: AppendResult[] = [];
        for (const row of rows)
          results[row.i] = { revision: Number(row.new_revision), position: formatPosition(row.tx, row.last_position) };
        return results;
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        if (e.code === 'P0409' || (e.code === '23505' && e.constraint === 'events_event_id')) {
          const refused = await refusedAppend(appends);
          if (refused instanceof ConcurrencyError) throw refused;
          return refused;
        }
        if (isConnectionError(err))
          throw new EventStoreUnavailableError(`event log unreachable: ${(err as Error).message}`, { cause: err });
        throw err;
      }
    },

    async readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      const backwards = opts.direction === 'backwards';
      const { rows } = await query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM es.events e
          WHERE e.stream_id = $1 AND e.revision >= $2 AND e.revision <= $3
          ORDER BY e.revision ${backwards ? 'DESC' : 'ASC'} LIMIT $4`,
        [streamId, opts.fromRevision ?? 1, opts.toRevision ?? Number.MAX_SAFE_INTEGER, opts.maxCount ?? Number.MAX_SAFE_INTEGER],
      );
      return rows.map(toRecorded);
    },

    readAll,

    async *subscribeToAll({ fromPosition = START_POSITION, batchSize = 500, signal }: SubscribeOptions = {}): AsyncIterable<
      RecordedEvent[]
    > {
      await ensureListener();
      let cursor = fromPosition;
      let idleDelay = 2;
      while (!signal?.aborted && !closed) {
        const generation = wakeupGeneration;
        const batch = await readAll({ fromPosition: cursor, maxCount: batchSize });
        if (batch.length > 0) {
          cursor = batch[batch.length - 1]!.position;
          idleDelay = 2;
          yield batch;
          continue;
        }
        // Nothing visible yet: an append may be committed but still behind the horizon of a running
        // transaction, so re-check soon, backing off to the idle poll interval; a wakeup cuts the wait short.
        if (generation !== wakeupGeneration) {
          idleDelay = 2;
          continue; // an append landed while we were reading: look again before sleeping
        }
        const woken = await waitForWakeup(idleDelay, signal);
        idleDelay = woken ? 2 : Math.min(idleDelay * 2, pollIntervalMs);
      }
    },

    async headPosition(): Promise<string> {
      const { rows } = await query<{ tx: string; gp: string }>(
        'SELECT transaction_id::text AS tx, global_position AS gp FROM es.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1',
      );
      return rows[0] ? formatPosition(rows[0].tx, rows[0].gp) : START_POSITION;
    },

    async readableHeadPosition(): Promise<string> {
      const { rows } = await query<{ tx: string; gp: string }>(
        `SELECT transaction_id::text AS tx, global_position AS gp FROM es.events e
          WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
      );
      return rows[0] ? formatPosition(rows[0].tx, rows[0].gp) : START_POSITION;
    },

    async eraseClearPayloads(dataSubject: string): Promise<number> {
      // A full scan (no index on the subject): a rare, explicit act. Sealed payloads are left to crypto-shredding.
      const { rowCount } = await query(
        `UPDATE es.events SET data = jsonb_build_object('${ERASED_FIELD}', true)
          WHERE NOT (data ? '$enc') AND NOT (data ? '${ERASED_FIELD}')
            AND CASE WHEN metadata ? 'dataSubject' THEN metadata->>'dataSubject' ELSE metadata->>'userId' END = $1`,
        [dataSubject],
      );
      return rowCount ?? 0;
    },

    async eraseStreamPayloads(streamId: string, beforeRevision: number): Promise<number> {
      const { rowCount } = await query(
        `UPDATE es.events SET data = jsonb_build_object('${ERASED_FIELD}', true)
          WHERE stream_id = $1 AND revision < $2 AND NOT (data ? '${ERASED_FIELD}')`,
        [streamId, beforeRevision],
      );
      return rowCount ?? 0;
    },

    async ping(): Promise<void> {
      await query('SELECT 1 FROM es.streams LIMIT 1');
    },

    async close(): Promise<void> {
      closed = true;
      if (notifyTimer) clearTimeout(notifyTimer);
      wakeups.emit('appended');
      await listener?.end().catch(() => undefined);
      listener = undefined;
    },
  };
  return store;
}
