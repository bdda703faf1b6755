import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { EventStore } from '../infra/eventstore/event-store.ts';
import type { Logger } from '../infra/logger.ts';
import type { Projection } from './projection.ts';
import { rebuildProjection } from './rebuild-projection.ts';

/** Advisory lock class of single-projection rebuilds (the second key is derived from the projection's name). */
export const REBUILD_LOCK_CLASS = 7341003;

export type RebuildState = 'running' | 'completed' | 'failed' | 'interrupted';

export interface RebuildStatus {
  state: RebuildState;
  events: number;
  position: string;
  /** The log's head when the rebuild started: the build is caught up once `position` passes it. */
  target_position: string;
  error: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

export type StartRebuildResult =
  { started: true; status: RebuildStatus } | { started: false; reason: 'unknown_projection' | 'already_running' };

/**
 * Single-projection rebuilds started from the admin API. One rebuild per projection at a time across every
 * process (a session advisory lock, held by a connection of its own for the whole rebuild); the progress is kept
 * in `projection_rebuilds`, so any API process can answer a poll. A rebuild whose process died shows as
 * `interrupted` (its row says running, nobody holds its lock); starting it again begins from scratch.
 */
export interface ProjectionRebuilds {
  start(name: string): Promise<StartRebuildResult>;
  status(name: string): Promise<RebuildStatus | null>;
  /** Resolves when the rebuilds this process started have ended (tests, shutdown). */
  idle(): Promise<void>;
  /** Aborts this process's rebuilds (their side schemas are dropped; the live tables were never touched). */
  close(): Promise<void>;
}

/** The second advisory-lock key of a projection's rebuild (FNV-1a of its name, 31 bits). */
export function rebuildLockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h & 0x7fffffff;
}

export function createProjectionRebuilds(options: {
  connectionString: string;
  db: Kysely<ReadModels>;
  eventStore: EventStore;
  schema: string;
  projections: readonly Projection[];
  logger: Logger;
  progressIntervalMs?: number;
}): ProjectionRebuilds {
  const { db, schema, logger } = options;
  const table = () => db.withSchema(schema);
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const progressIntervalMs = options.progressIntervalMs ?? 500;

  const toStatus = (
    row: {
      state: string;
      events: string | number;
      position: string;
      target_position: string;
      error: string | null;
      started_at: Date;
      updated_at: Date;
      finished_at: Date | null;
    },
    lockHeld: boolean,
  ): RebuildStatus => ({
    state: row.state === 'running' && !lockHeld ? 'interrupted' : (row.state as RebuildState),
    events: Number(row.events),
    position: row.position,
    target_position: row.target_position,
    error: row.error,
    started_at: row.started_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
  });

  async function lockHeld(name: string): Promise<boolean> {
    const { rows } = await sql<{ held: boolean }>`
      SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${REBUILD_LOCK_CLASS}::oid
                        AND l.objid = ${rebuildLockKey(name)}::oid AND l.objsubid = 2 AND d.datname = current_database()) AS held`.execute(
      db,
    );
    return rows[0]?.held ?? false;
  }

  async function status(name: string): Promise<RebuildStatus | null> {
    // The lock is looked at before the row: a rebuild that finishes in between shows as finished, not interrupted.
    const held = await lockHeld(name);
    const row = await table().selectFrom('projection_rebuilds').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return null;
    // Running with no lock seen: interrupted, unless a new rebuild took the lock meanwhile.
    return toStatus(row, held || (row.state === 'running' && (await lockHeld(name))));
  }

  async function run(projection: Projection, lock: pg.Client, controller: AbortController): Promise<void> {
    const name = projection.name;
    let lastWrite = 0;
    try {
      const result = await rebuildProjection({
        db,
        eventStore: options.eventStore,
        liveSchema: schema,
        projection,
        signal: controller.signal,
        onProgress: async ({ events, position }) => {
          if (Date.now() - lastWrite < progressIntervalMs) return;
          lastWrite = Date.now();
          await table()
            .updateTable('projection_rebuilds')
            .set({ events, position, updated_at: new Date() })
            .where('name', '=', name)
            .execute();
        },
      });
      await table()
        .updateTable('projection_rebuilds')
        .set({ state: 'completed', events: result.events, position: result.position, updated_at: new Date(), finished_at: new Date() })
        .where('name', '=', name)
        .execute();
      logger.info({ projection: name, events: result.events, seconds: result.seconds }, 'projection rebuilt and swapped in');
    } catch (err) {
      const message = controller.signal.aborted ? 'aborted: the process stopped' : ((err as Error)?.message ?? String(err));
      logger.error({ err, projection: name }, 'projection rebuild failed; the live tables are unchanged');
      await table()
        .updateTable('projection_rebuilds')
        .set({ state: 'failed', error: message, updated_at: new Date(), finished_at: new Date() })
        .where('name', '=', name)
        .execute()
        .catch(() => undefined);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1, $2)', [REBUILD_LOCK_CLASS, rebuildLockKey(name)]).catch(() => undefined);
      await lock.end().catch(() => undefined);
    }
  }

  return {
    status,
    async start(name) {
      const projection = options.projections.find((p) => p.name === name);
      if (!projection) return { started: false, reason: 'unknown_projection' };
      const lock = new pg.Client({ connectionString: options.connectionString, application_name: `projection-rebuild-${name}` });
      lock.on('error', () => undefined);
      await lock.connect();
      let acquired = false;
      try {
        const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
          REBUILD_LOCK_CLASS,
          rebuildLockKey(name),
        ]);
        acquired = rows[0]?.ok ?? false;
        if (!acquired) return { started: false, reason: 'already_running' };
        const target = await options.eventStore.headPosition();
        const now = new Date();
        const fresh = {
          state: 'running',
          events: 0,
          position: '',
          target_position: target,
          error: null,
          started_at: now,
          updated_at: now,
          finished_at: null,
        };
        await table()
          .insertInto('projection_rebuilds')
          .values({ name, ...fresh })
          .onConflict((oc) => oc.column('name').doUpdateSet(fresh))
          .execute();
      } catch (err) {
        if (acquired)
          await lock.query('SELECT pg_advisory_unlock($1, $2)', [REBUILD_LOCK_CLASS, rebuildLockKey(name)]).catch(() => undefined);
        await lock.end().catch(() => undefined);
        throw err;
      } finally {
        if (!acquired) await lock.end().catch(() => undefined);
      }
      const controller = new AbortController();
      const done = run(projection, lock, controller).finally(() => running.delete(name));
      running.set(name, { controller, done });
      return { started: true, status: (await status(name))! };
    },
    async idle() {
      await Promise.all([...running.values()].map((r) => r.done));
    },
    async close() {
      for (const r of running.values()) r.controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
