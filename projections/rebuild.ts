import { sql, type Kysely } from 'kysely';
import { migrateReadModels } from '../infra/db/migrate.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { EventStore } from '../infra/eventstore/event-store.ts';
import type { Logger } from '../infra/logger.ts';
import { deferReplayIndexes } from './deferred-indexes.ts';
import { applyBatchInTransaction } from './projection-runner.ts';
import type { Projection } from './projection.ts';
import { replayLog } from './replay-log.ts';

export interface RebuildResult {
  schema: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  swapped: boolean;
}

/**
 * Replays the whole log into a fresh copy of the read models beside the live ones, then (when `swap`) makes
 * it the live schema in one transaction: the live checkpoint table is locked so the live projector pauses,
 * the last events are applied, and the schemas are renamed. Queries keep answering from the old tables
 * until the switch, and the live projector resumes on the new ones, skipping what the rebuild applied.
 */
export async function rebuildReadModels(options: {
  db: Kysely<ReadModels>;
  eventStore: EventStore;
  liveSchema: string;
  projections: readonly Projection[];
  logger?: Logger;
  swap?: boolean;
  targetSchema?: string;
  pageSize?: number;
}): Promise<RebuildResult> {
  const { db, eventStore, liveSchema, projections } = options;
  const started = performance.now();
  const target = options.targetSchema ?? `${liveSchema}_rebuild_${Date.now()}`;
  const pageSize = options.pageSize ?? 10_000;
  await sql`DROP SCHEMA IF EXISTS ${sql.id(target)} CASCADE`.execute(db);
  await migrateReadModels(db, target);
  const deferred = await deferReplayIndexes(db, target, projections);

  // A projection that is through the log builds its indexes while the slower ones still replay.
  const replayed = await replayLog({ db, eventStore, schema: target, projections, pageSize, onReplayed: (p) => deferred.restore([p]) });
  let cursor = replayed.cursor;
  let events = replayed.events;
  options.logger?.debug({ events, target }, 'rebuild replayed the log');

  let swapped = false;
  if (options.swap) {
    const old = `${liveSchema}_old_${Date.now()}`;
    await db.transaction().execute(async (trx) => {
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(liveSchema)}`.execute(trx);
      await migrateLiveIfMissing(trx, liveSchema);
      await sql`LOCK TABLE ${sql.id(liveSchema, 'projection_checkpoints')} IN ACCESS EXCLUSIVE MODE`.execute(trx);
      for (;;) {
        const page = await eventStore.readAll({ fromPosition: cursor, maxCount: pageSize });
        if (page.length === 0) break;
        for (const p of projections) await applyBatchInTransaction(trx, target, p, page);
        cursor = page[page.length - 1]!.position;
        events += page.length;
      }
      await sql`ALTER SCHEMA ${sql.id(liveSchema)} RENAME TO ${sql.id(old)}`.execute(trx);
      await sql`ALTER SCHEMA ${sql.id(target)} RENAME TO ${sql.id(liveSchema)}`.execute(trx);
    });
    await sql`DROP SCHEMA IF EXISTS ${sql.id(old)} CASCADE`.execute(db);
    swapped = true;
  }
  const seconds = (performance.now() - started) / 1000;
  return { schema: swapped ? liveSchema : target, events, seconds, eventsPerSecond: events / Math.max(seconds, 1e-9), swapped };
}

async function migrateLiveIfMissing(trx: Kysely<ReadModels>, schema: string): Promise<void> {
  const exists = await sql<{ ok: boolean }>`SELECT to_regclass(${`${schema}.projection_checkpoints`}) IS NOT NULL AS ok`.execute(trx);
  if (!exists.rows[0]?.ok) {
    await sql`CREATE TABLE ${sql.id(schema, 'projection_checkpoints')} (name text PRIMARY KEY)`.execute(trx);
  }
}
