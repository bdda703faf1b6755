import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { START_POSITION, type EventStore, type RecordedEvent } from '../infra/eventstore/event-store.ts';
import { isConnectionError } from '../infra/eventstore/postgres/postgres-event-store.ts';
import type { Logger } from '../infra/logger.ts';
import { upcast } from '../shared/events/catalogue.ts';
import type { Projection } from './projection.ts';

/** Advisory lock key: only one projector (process) applies events at a time; others wait for it. */
export const PROJECTOR_LOCK_KEY = 7341002;

export type ProjectionState = 'waiting_for_lock' | 'running' | 'failed' | 'stopped';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  position: string;
  eventsApplied: number;
  lastError: ProjectionError | null;
}

export interface ProjectionError {
  message: string;
  eventId: string;
  eventType: string;
  streamId: string;
  position: string;
  at: string;
}

export interface ProjectionRunnerOptions {
  connectionString: string;
  db: Kysely<ReadModels>;
  eventStore: EventStore;
  schema: string;
  projections: readonly Projection[];
  logger: Logger;
  batchSize?: number;
  /**
   * `parallel` (default): each projection a batch concerns in a transaction of its own, all at once.
   * `serial`: every projection in one transaction, one after the other (the earlier path, kept as the
   * benchmarks' same-run baseline).
   */
  applyMode?: 'parallel' | 'serial';
}

export interface ProjectionRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ProjectionStatus[];
  /** Emits `progress` (name, position) after each committed batch. */
  events: EventEmitter;
}

export function withUpcast(event: RecordedEvent): RecordedEvent {
  const data = upcast(event.type, event.metadata.schemaVersion ?? 1, event.data);
  // Most events are at their current schema: the same object serves every projection (a replay calls this per
  // projection for every event).
  return data === event.data ? event : { ...event, data };
}

/**
 * Applies one batch to one projection and stores its checkpoint in the same transaction. The checkpoint row
 * is locked first and events at or below it are dropped, so a redelivered batch (after a crash, or after a
 * rebuild swapped in newer tables) changes nothing.
 */
export async function applyBatch(
  db: Kysely<ReadModels>,
  schema: string,
  projection: Projection,
  batch: RecordedEvent[],
  expectedCheckpoint?: string,
  options: { deferCheckpoint?: boolean } = {},
): Promise<{ position: string; applied: number; lastEventAt?: Date }> {
  return db.transaction().execute((trx) => applyBatchInTransaction(trx, schema, projection, batch, expectedCheckpoint));
}

/** The stored checkpoint was not where this runner believed: someone else (a rebuild's swap) moved it. */
export class CheckpointMovedError extends Error {
  constructor(projection: string) {
    super(`the checkpoint of ${projection} moved under this runner`);
    this.name = 'CheckpointMovedError';
  }
}

/** The body of `applyBatch`, for callers that already hold a transaction (the rebuild's final swap). */
/**
 * With `expectedCheckpoint` (the live runner, which knows where it is) the checkpoint is compare-and-set at
 * the end, saving a round trip; without it (rebuilds) the row is read and locked first.
 */
export async function applyBatchInTransaction(
  trx: Kysely<ReadModels>,
  schema: string,
  projection: Projection,
  batch: RecordedEvent[],
  expectedCheckpoint?: string,
  options: { deferCheckpoint?: boolean } = {},
): Promise<{ position: string; applied: number; lastEventAt?: Date }> {
  {
    const scoped = trx.withSchema(schema);
    let checkpoint: string;
    if (expectedCheckpoint !== undefined) {
      checkpoint = expectedCheckpoint;
    } else {
      const row = await scoped
        .selectFrom('projection_checkpoints')
        .select('position')
        .where('name', '=', projection.name)
        .forUpdate()
        .executeTakeFirst();
      checkpoint = row?.position ?? START_POSITION;
      if (!row)
        await scoped
          .insertInto('projection_checkpoints')
          .values({ name: projection.name, position: START_POSITION, status: 'running', last_error: null, updated_at: new Date() })
          .execute();
    }
    const previous = checkpoint;
    const fresh = batch.filter((e) => e.position > checkpoint);
    if (fresh.length === 0) return { position: checkpoint, applied: 0 };
    // A redacted event (its user was forgotten) has no payload left: it only advances the checkpoint, so a
    // rebuild after a forget brings nothing back.
    const handled = fresh
      .filter((e) => !e.redacted && projection.handles.has(e.type))
      .map((e) => {
        // A sealed payload here means the runner was given the bare backend instead of the decrypting store.
        if ('$enc' in e.data)
          throw new ProjectionApplyError(
            projection.name,
            e,
            new Error('the payload is still encrypted: read the log through the encrypting event store'),
          );
        try {
          return withUpcast(e);
        } catch (err) {
          throw new ProjectionApplyError(projection.name, e, err);
        }
      });
    if (projection.applyMany && handled.length > 1) {
      // Fast path; if it fails, replay one by one inside a savepoint so the error names the exact event.
      await sql`SAVEPOINT apply_many`.execute(trx);
      try {
        await projection.applyMany(scoped, handled);
        await sql`RELEASE SAVEPOINT apply_many`.execute(trx);
      } catch {
        await sql`ROLLBACK TO SAVEPOINT apply_many`.execute(trx);
        await applyOneByOne(scoped, projection, handled);
      }
    } else {
      await applyOneByOne(scoped, projection, handled);
    }
    const last = fresh[fresh.length - 1]!;
    checkpoint = last.position;
    if (options.deferCheckpoint) return { position: checkpoint, applied: fresh.length, lastEventAt: last.createdAt };
    const updated = await scoped
      .updateTable('projection_checkpoints')
      .set({
        position: checkpoint,
        events_applied: sql`events_applied + ${fresh.length}`,
        status: 'running',
        last_error: null,
        last_event_at: last.createdAt,
        updated_at: new Date(),
      })
      .where('name', '=', projection.name)
      .where('position', '=', previous)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new CheckpointMovedError(projection.name);
    return { position: checkpoint, applied: fresh.length };
  }
}

async function applyOneByOne(db: Kysely<ReadModels>, projection: Projection, events: RecordedEvent[]): Promise<void> {
  for (const event of events) {
    try {
      await projection.apply(db, event);
    } catch (err) {
      throw new ProjectionApplyError(projection.name, event, err);
    }
  }
}

/**
 * Compare-and-set of several projections' checkpoints in one statement: each row moves only from the
 * position this runner last stored, so a checkpoint moved by someone else fails the whole transaction.
 */
async function storeCheckpoints(
  trx: Kysely<ReadModels>,
  schema: string,
  moves: Array<{ name: string; previous: string; position: string; applied: number; lastEventAt?: Date }>,
): Promise<void> {
  const changed = moves.filter((m) => m.position !== m.previous);
  if (changed.length === 0) return;
  const values = sql.join(
    changed.map((m) => sql`(${m.name}, ${m.previous}, ${m.position}, ${m.applied}::bigint, ${m.lastEventAt ?? null}::timestamptz)`),
  );
  const result = await sql`
    UPDATE ${sql.id(schema, 'projection_checkpoints')} AS c
       SET position = v.next, events_applied = c.events_applied + v.n, status = 'running', last_error = NULL,
           last_event_at = coalesce(v.at, c.last_event_at), updated_at = now()
      FROM (VALUES ${values}) AS v(name, prev, next, n, at)
     WHERE c.name = v.name AND c.position = v.prev`.execute(trx);
  if (Number(result.numAffectedRows ?? 0) !== changed.length) throw new CheckpointMovedError(changed.map((m) => m.name).join(', '));
}

export class ProjectionApplyError extends Error {
  readonly event: RecordedEvent;
  readonly projection: string;
  constructor(projection: string, event: RecordedEvent, cause: unknown) {
    super(
      `projection ${projection} cannot apply ${event.type} ${event.id} (${event.streamId}@${event.revision}): ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'ProjectionApplyError';
    this.projection = projection;
    this.event = event;
  }
}

export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { db, eventStore, schema, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const statuses = new Map<string, ProjectionStatus>(
    options.projections.map((p) => [
      p.name,
      { name: p.name, state: 'waiting_for_lock', position: START_POSITION, eventsApplied: 0, lastError: null },
    ]),
  );
  let controller = new AbortController();
  let lockClient: pg.Client | undefined;
  let loop: Promise<void> | undefined;
  let supervisor: Promise<void> | undefined;

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });

  async function acquireLock(signal: AbortSignal): Promise<pg.Client | undefined> {
    let announced = false;
    while (!signal.aborted) {
      const client = new pg.Client({ connectionString: options.connectionString, application_name: 'projector-lock' });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PROJECTOR_LOCK_KEY]);
        if (rows[0]?.locked) return client;
        if (!announced) logger.info('another projector holds the lock; waiting');
        announced = true;
      } catch (err) {
        logger.warn({ err }, 'projector lock: database unreachable; retrying');
      }
      await client.end().catch(() => undefined);
      await sleep(1000, signal);
    }
    return undefined;
  }

  async function readCheckpoint(name: string): Promise<string> {
    await db
      .withSchema(schema)
      .insertInto('projection_checkpoints')
      .values({ name, position: START_POSITION, status: 'running', last_error: null, updated_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await db
      .withSchema(schema)
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return row.position;
  }

  async function recordFailure(projection: Projection, error: ProjectionError): Promise<void> {
    await db
      .withSchema(schema)
      .insertInto('projection_checkpoints')
      .values({
        name: projection.name,
        position: START_POSITION,
        status: 'failed',
        last_error: JSON.stringify(error),
        updated_at: new Date(),
      })
      .onConflict((oc) => oc.column('name').doUpdateSet({ status: 'failed', last_error: JSON.stringify(error), updated_at: new Date() }))
      .execute()
      .catch((err: unknown) => logger.error({ err }, 'could not record the projection failure'));
  }

  /**
   * One batch applied to every live projection: each projection that handles one of its events in a transaction
   * of its own (rows and its checkpoint, compare-and-set), all at once on the projector's connections, and the
   * checkpoints of the others moved in one statement beside them. A command waits for the slowest projection
   * instead of the sum of all (4 of them apply a posted message); a crash between the commits leaves each
   * projection at its own checkpoint, from which it resumes. A failure is thrown once every transaction settled.
   */
  async function applyToAll(live: Projection[], batch: RecordedEvent[]): Promise<void> {
    const last = batch[batch.length - 1]!;
    const handling = (p: Projection) => {
      const from = statuses.get(p.name)!.position;
      return batch.some((e) => e.position > from && !e.redacted && p.handles.has(e.type));
    };
    const appliers = live.filter(handling);
    const idle = live.filter((p) => !handling(p) && statuses.get(p.name)!.position < last.position);
    const moves = idle.map((p) => {
      const previous = statuses.get(p.name)!.position;
      const applied = batch.filter((e) => e.position > previous).length;
      return { name: p.name, previous, position: last.position, applied, lastEventAt: last.createdAt };
    });
    const [applied, movedOthers] = await Promise.all([
      Promise.allSettled(appliers.map((p) => applyBatch(db, schema, p, batch, statuses.get(p.name)!.position))),
      Promise.allSettled([moves.length > 0 ? storeCheckpoints(db, schema, moves) : undefined]),
    ]);
    const advance = (name: string, position: string, count: number) => {
      const status = statuses.get(name)!;
      status.position = position;
      status.eventsApplied += count;
    };
    appliers.forEach((p, i) => {
      const r = applied[i]!;
      if (r.status === 'fulfilled') advance(p.name, r.value.position, r.value.applied);
    });
    if (movedOthers[0]!.status === 'fulfilled') for (const m of moves) advance(m.name, m.position, m.applied);
    const failure = [...applied, ...movedOthers].find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** The `serial` mode: one transaction for the whole batch, every projection's rows and checkpoint in it. */
  async function applyInOneTransaction(live: Projection[], batch: RecordedEvent[]): Promise<void> {
    const results = await db.transaction().execute(async (trx) => {
      const out: Array<{ position: string; applied: number; lastEventAt?: Date }> = [];
      for (const p of live)
        out.push(await applyBatchInTransaction(trx, schema, p, batch, statuses.get(p.name)!.position, { deferCheckpoint: true }));
      await storeCheckpoints(
        trx,
        schema,
        live.map((p, i) => ({ name: p.name, previous: statuses.get(p.name)!.position, ...out[i]! })),
      );
      return out;
    });
    live.forEach((p, i) => {
      const status = statuses.get(p.name)!;
      status.position = results[i]!.position;
      status.eventsApplied += results[i]!.applied;
    });
  }

  /**
   * One loop for all projections: each batch is read once and applied to every running projection
   * (`applyToAll`). A projection that cannot apply an event is stopped and reported, and the others carry on
   * from their own checkpoints.
   */
  async function runAll(signal: AbortSignal): Promise<void> {
    let backoff = 100;
    while (!signal.aborted) {
      const live = options.projections.filter((p) => statuses.get(p.name)!.state !== 'failed');
      if (live.length === 0) return;
      try {
        for (const p of live) {
          const status = statuses.get(p.name)!;
          status.position = await readCheckpoint(p.name);
          status.state = 'running';
          status.lastError = null;
        }
        const from = live.map((p) => statuses.get(p.name)!.position).reduce((a, b) => (a < b ? a : b));
        for await (const batch of eventStore.subscribeToAll({ fromPosition: from, batchSize, signal })) {
          await (options.applyMode === 'serial' ? applyInOneTransaction(live, batch) : applyToAll(live, batch));
          backoff = 100;
          for (const p of live) events.emit('progress', p.name, statuses.get(p.name)!.position);
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof CheckpointMovedError) {
          logger.info({ projection: err.message }, 'checkpoint moved (read models swapped by a rebuild); resuming from the stored ones');
          continue;
        }
        if (err instanceof ProjectionApplyError) {
          // Never skip an event silently: stop this projection and say why, until someone fixes and restarts it.
          const e = err.event;
          const status = statuses.get(err.projection)!;
          status.state = 'failed';
          status.lastError = {
            message: err.message,
            eventId: e.id,
            eventType: e.type,
            streamId: e.streamId,
            position: e.position,
            at: new Date().toISOString(),
          };
          logger.error(
            { err, projection: err.projection, eventId: e.id, position: e.position },
            'projection stopped on an event it cannot apply',
          );
          await recordFailure(
            options.projections.find((p) => p.name === err.projection)!,
            status.lastError,
          );
          events.emit('failed', err.projection, status.lastError);
          continue;
        }
        const transient = isConnectionError(err) || (err as Error)?.name === 'EventStoreUnavailableError';
        logger.warn({ err, transient }, 'projector loop error; retrying');
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  async function supervise(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      for (const s of statuses.values()) s.state = 'waiting_for_lock';
      lockClient = await acquireLock(signal);
      if (!lockClient) return;
      logger.info({ projections: [...statuses.keys()] }, 'projector lock acquired');
      // Losing the lock connection means another projector may take over: stop applying at once.
      const lost = new AbortController();
      const onLockLost = () => lost.abort();
      lockClient.on('error', onLockLost);
      lockClient.on('end', onLockLost);
      const both = AbortSignal.any([signal, lost.signal]);
      loop = runAll(both);
      await loop;
      lockClient.off('error', onLockLost);
      lockClient.off('end', onLockLost);
      await lockClient.query('SELECT pg_advisory_unlock($1)', [PROJECTOR_LOCK_KEY]).catch(() => undefined);
      await lockClient.end().catch(() => undefined);
      lockClient = undefined;
      if (!signal.aborted && lost.signal.aborted) {
        logger.warn('projector lock connection lost; re-acquiring');
        continue;
      }
      // The loop ended on its own: every projection failed, or the signal aborted. Idle until stopped.
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  }

  return {
    events,
    async start() {
      controller = new AbortController();
      supervisor = supervise(controller.signal);
    },
    async stop() {
      controller.abort();
      await supervisor;
      for (const s of statuses.values()) if (s.state !== 'failed') s.state = 'stopped';
    },
    status: () => [...statuses.values()].map((s) => ({ ...s })),
  };
}
