import { sql, type Kysely } from 'kysely';
import { migrateReadModels } from '../infra/db/migrate.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.ts';
import { deferReplayIndexes } from './deferred-indexes.ts';
import type { Projection } from './projection.ts';
import { replayLog } from './replay-log.ts';

/** How far to replay: up to and including a log position, or every event created at or before a time. */
export type ReplayUntil = { position: string } | { timestamp: Date };

export interface ReplayResult {
  schema: string;
  /** Events applied (at or before the point). */
  events: number;
  /** Position of the last applied event ('' when none). */
  lastPosition: string;
  /** Rows per read-model table in the replayed schema. */
  tables: Record<string, number>;
  seconds: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
const RESERVED_SCHEMAS = new Set(['public', 'es', 'information_schema']);

/** `--until` as typed: an ISO date or timestamp (UTC unless it says otherwise), else an opaque log position. */
export function parseUntil(value: string): ReplayUntil {
  if (ISO_TIME.test(value)) {
    const hasZone = /[Zz]|[+-]\d{2}:?\d{2}$/.test(value);
    const dateOnly = !value.includes('T') && !value.includes(' ');
    const at = new Date(hasZone || dateOnly ? value : `${value}Z`);
    if (Number.isNaN(at.getTime())) throw new RangeError(`not a valid timestamp: ${value}`);
    return { timestamp: at };
  }
  if (!value.trim()) throw new RangeError('--until needs a log position or an ISO timestamp');
  return { position: value };
}

/**
 * Builds every read model as it was at a past point into a schema of its own (for an audit), from the log alone.
 * The live schema is never touched: naming it (or a system schema) is refused, and an existing target is only
 * replaced when it is a read-model schema itself (it has a checkpoint table).
 *
 * With a timestamp, each event created at or before it is applied: a stream's events are in time order (its
 * appends are serialised), so each stream is replayed up to that moment. With a position, the log up to it.
 */
export async function replayReadModels(options: {
  db: Kysely<ReadModels>;
  eventStore: EventStore;
  liveSchema: string;
  targetSchema: string;
  until: ReplayUntil;
  projections: readonly Projection[];
  pageSize?: number;
}): Promise<ReplayResult> {
  const { db, eventStore, targetSchema, until, projections } = options;
  const started = performance.now();
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(targetSchema))
    throw new RangeError(`--schema must be a lower-case identifier (letters, digits, _), not ${JSON.stringify(targetSchema)}`);
  if (targetSchema === options.liveSchema)
    throw new RangeError(`--schema ${targetSchema} is the live read-model schema: choose another name`);
  if (RESERVED_SCHEMAS.has(targetSchema) || targetSchema.startsWith('pg_')) throw new RangeError(`--schema ${targetSchema} is reserved`);
  const existing = await sql<{ schema_exists: boolean; is_read_model: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${targetSchema}) AS schema_exists,
           to_regclass(${`"${targetSchema}".projection_checkpoints`}) IS NOT NULL AS is_read_model`.execute(db);
  const state = existing.rows[0]!;
  if (state.schema_exists && !state.is_read_model)
    throw new RangeError(`schema ${targetSchema} exists and does not hold read models: refusing to replace it`);
  await sql`DROP SCHEMA IF EXISTS ${sql.id(targetSchema)} CASCADE`.execute(db);
  await migrateReadModels(db, targetSchema);
  const deferred = await deferReplayIndexes(db, targetSchema, projections);

  const included =
    'position' in until
      ? (e: RecordedEvent) => e.position <= until.position
      : (e: RecordedEvent) => e.createdAt.getTime() <= until.timestamp.getTime();
  const { events, lastPosition } = await replayLog({
    db,
    eventStore,
    schema: targetSchema,
    projections,
    onReplayed: (p) => deferred.restore([p]),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    // Positions are in log order: nothing after the first event past the position can be included.
    select: (page) => {
      const chosen = page.filter(included);
      return { events: chosen, more: !('position' in until && chosen.length < page.length) };
    },
  });
  const tables: Record<string, number> = {};
  for (const table of projections.flatMap((p) => p.tables)) {
    const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.id(targetSchema, table)}`.execute(db);
    tables[table] = Number(rows[0]!.n);
  }
  return { schema: targetSchema, events, lastPosition, tables, seconds: (performance.now() - started) / 1000 };
}
