import { sql, type Kysely } from 'kysely';
import { migrateReadModels } from '../infra/db/migrate.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { START_POSITION, type EventStore } from '../infra/eventstore/event-store.ts';
import { deferReplayIndexes } from './deferred-indexes.ts';
import { applyBatch, applyBatchInTransaction } from './projection-runner.ts';
import type { Projection } from './projection.ts';

export interface ProjectionRebuildProgress {
  events: number;
  position: string;
}

export interface ProjectionRebuildResult extends ProjectionRebuildProgress {
  seconds: number;
  eventsPerSecond: number;
}

/** The schema a projection is rebuilt in, beside the live one (dropped when the rebuild ends). */
export function sideSchemaOf(liveSchema: string, projection: string): string {
  return `${liveSchema}_rb_${projection}`.slice(0, 63);
}

/**
 * Rebuilds one projection without stopping anything: its tables are built from the whole log in a side schema
 * while the live projector carries on, then swapped in by one short transaction:
 * 1. the live tables of the projection are locked (ACCESS EXCLUSIVE: the live projector's transaction that writes
 *    them finishes first, the next one waits; queries on them wait for the few milliseconds of the swap), and then
 *    its checkpoint row (FOR UPDATE);
 * 2. the events after the side build's position are applied to the side tables, at least up to the live checkpoint;
 * 3. the live tables move to a scrap schema, the side tables into the live schema, and the live checkpoint is set
 *    to the side build's position.
 * The live projector's next compare-and-set on this checkpoint then fails (it moved), so its transaction rolls back
 * and it resumes from the stored checkpoints: every event lands in the new tables exactly once. Its statements that
 * waited on the old tables find the new ones by name once the lock is released.
 */
export async function rebuildProjection(options: {
  db: Kysely<ReadModels>;
  eventStore: EventStore;
  liveSchema: string;
  projection: Projection;
  pageSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ProjectionRebuildProgress) => void | Promise<void>;
  /** Called once the side tables have caught up, before the swap (progress reporting, tests). */
  onBuilt?: () => void | Promise<void>;
  /** How long the swap waits for the live tables before trying again (after catching up once more). */
  lockTimeoutMs?: number;
}): Promise<ProjectionRebuildResult> {
  const { db, eventStore, liveSchema, projection } = options;
  const started = performance.now();
  const side = sideSchemaOf(liveSchema, projection.name);
  const scrap = `${side}_old`.slice(0, 63);
  const pageSize = options.pageSize ?? 5000;
  await sql`DROP SCHEMA IF EXISTS ${sql.id(side)} CASCADE`.execute(db);
  await sql`DROP SCHEMA IF EXISTS ${sql.id(scrap)} CASCADE`.execute(db);
  await migrateReadModels(db, side);

  let cursor = START_POSITION;
  let events = 0;
  const catchUp = async () => {
    for (;;) {
      options.signal?.throwIfAborted();
      const page = await eventStore.readAll({ fromPosition: cursor, maxCount: pageSize });
      if (page.length === 0) return;
      await applyBatch(db, side, projection, page);
      cursor = page[page.length - 1]!.position;
      events += page.length;
      await options.onProgress?.({ events, position: cursor });
    }
  };

  try {
    const deferred = await deferReplayIndexes(db, side, [projection]);
    await catchUp();
    await deferred.restore();
    // The index builds took a while: catch up again before the swap takes its locks.
    await catchUp();
    await options.onBuilt?.();
    for (let attempt = 1; ; attempt++) {
      const before = { cursor, events };
      try {
        await db.transaction().execute(async (trx) => {
          await sql`SET LOCAL lock_timeout = ${sql.lit(`${options.lockTimeoutMs ?? 5000}ms`)}`.execute(trx);
          await sql`LOCK TABLE ${sql.join(projection.tables.map((t) => sql.id(liveSchema, t)))} IN ACCESS EXCLUSIVE MODE`.execute(trx);
          const live = await trx
            .withSchema(liveSchema)
            .selectFrom('projection_checkpoints')
            .select('position')
            .where('name', '=', projection.name)
            .forUpdate()
            .executeTakeFirst();
          const liveAt = live?.position ?? START_POSITION;
          // The tail, in this transaction: at least as far as the live projector got (waiting briefly for the
          // log's visibility horizon to pass its position, which it normally already has).
          const deadline = Date.now() + 10_000;
          for (;;) {
            const page = await eventStore.readAll({ fromPosition: cursor, maxCount: pageSize });
            if (page.length > 0) {
              await applyBatchInTransaction(trx, side, projection, page);
              cursor = page[page.length - 1]!.position;
              events += page.length;
              continue;
            }
            if (cursor >= liveAt) break;
            if (Date.now() > deadline) throw new Error(`the log is not readable up to the live checkpoint ${liveAt} of ${projection.name}`);
            await new Promise((r) => setTimeout(r, 20));
          }
          const built = await trx
            .withSchema(side)
            .selectFrom('projection_checkpoints')
            .selectAll()
            .where('name', '=', projection.name)
            .executeTakeFirst();
          await sql`CREATE SCHEMA ${sql.id(scrap)}`.execute(trx);
          for (const table of projection.tables) {
            await sql`ALTER TABLE ${sql.id(liveSchema, table)} SET SCHEMA ${sql.id(scrap)}`.execute(trx);
            await sql`ALTER TABLE ${sql.id(side, table)} SET SCHEMA ${sql.id(liveSchema)}`.execute(trx);
          }
          const values = {
            position: cursor,
            events_applied: Number(built?.events_applied ?? 0),
            status: 'running',
            last_error: null,
            last_event_at: built?.last_event_at ?? null,
            updated_at: new Date(),
          };
          await trx
            .withSchema(liveSchema)
            .insertInto('projection_checkpoints')
            .values({ name: projection.name, ...values })
            .onConflict((oc) => oc.column('name').doUpdateSet(values))
            .execute();
        });
        break;
      } catch (err) {
        // The tail applied in the failed transaction was rolled back with it.
        ({ cursor, events } = before);
        // Lock timeout (55P03): a long live transaction held the tables; catch up again and retry the swap.
        if ((err as { code?: string }).code !== '55P03' || attempt >= 5) throw err;
        await catchUp();
      }
    }
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(side)} CASCADE`.execute(db).catch(() => undefined);
    await sql`DROP SCHEMA IF EXISTS ${sql.id(scrap)} CASCADE`.execute(db).catch(() => undefined);
  }
  await options.onProgress?.({ events, position: cursor });
  const seconds = (performance.now() - started) / 1000;
  return { events, position: cursor, seconds, eventsPerSecond: events / Math.max(seconds, 1e-9) };
}
