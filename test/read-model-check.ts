import { sql, type Kysely } from 'kysely';
import { createDatabase } from '../infra/db/database.ts';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { EventStore } from '../infra/eventstore/event-store.ts';
import { createDataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createPayloadBlobEventStore } from '../infra/eventstore/payload-blobs/payload-blob-event-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';
import { projections } from '../projections/registry.ts';
import { waitFor } from './service-process.ts';

/** Rows of `table` in one schema and not in the other (both directions, duplicates counted). */
export async function tableDifference(db: Kysely<ReadModels>, a: string, b: string, table: string): Promise<number> {
  const q = (x: string, y: string) =>
    sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM (SELECT * FROM ${sql.id(x, table)} EXCEPT ALL SELECT * FROM ${sql.id(y, table)}) d`.execute(db);
  const [ab, ba] = await Promise.all([q(a, b), q(b, a)]);
  return ab.rows[0]!.n + ba.rows[0]!.n;
}

/** Waits until every projection's checkpoint is at the head of the log (the projector has caught up). */
export async function waitForProjectionsAtHead(
  db: Kysely<ReadModels>,
  eventStore: EventStore,
  schema = 'read',
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    'the projections to reach the head of the log',
    async () => {
      const head = await eventStore.headPosition();
      const behind = await eventStore.readAll({ fromPosition: head, maxCount: 1 });
      if (behind.length > 0) return false;
      const rows = await db.withSchema(schema).selectFrom('projection_checkpoints').select(['name', 'position', 'status']).execute();
      return projections.every((p) => rows.some((r) => r.name === p.name && r.position >= head && r.status === 'running'));
    },
    timeoutMs,
    200,
  );
}

/** The service's event log read as the service reads it: through the decrypting store (payloads in clear). */
export function openEventLog(database: ReturnType<typeof createDatabase>): { eventStore: EventStore; close: () => Promise<void> } {
  const keys = createDataKeyStore({ pool: database.pool });
  const eventStore = createEncryptingEventStore(
    createPayloadBlobEventStore(createPostgresEventStore({ pool: database.pool }), database.pool),
    keys,
  );
  return {
    eventStore,
    close: async () => {
      await eventStore.close();
      await keys.close();
    },
  };
}

/**
 * Replays the whole log into a fresh schema (no swap) once the live projector has caught up and compares it
 * with the live read models table by table. Returns the tables that differ, with their row differences.
 */
export async function compareWithFreshRebuild(
  databaseUrl: string,
  liveSchema = 'read',
): Promise<{ differences: Record<string, number>; events: number }> {
  // A connection for each projection's replay (rebuildReadModels runs them side by side): none waits for one.
  const database = createDatabase(databaseUrl, { max: projections.length + 2, applicationName: 'read-model-check' });
  const log = openEventLog(database);
  const eventStore = log.eventStore;
  const target = `${liveSchema}_check_${Date.now()}`;
  try {
    await waitForProjectionsAtHead(database.db, eventStore, liveSchema);
    const result = await rebuildReadModels({ db: database.db, eventStore, liveSchema, projections, targetSchema: target, swap: false });
    const differences: Record<string, number> = {};
    for (const p of projections) {
      for (const table of p.tables) {
        const n = await tableDifference(database.db, liveSchema, target, table);
        if (n !== 0) differences[table] = n;
      }
    }
    return { differences, events: result.events };
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(target)} CASCADE`.execute(database.db).catch(() => undefined);
    await log.close();
    await database.close();
  }
}
