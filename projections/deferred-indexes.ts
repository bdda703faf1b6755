import { sql, type Kysely } from 'kysely';
import type { Projection } from './projection.ts';

/**
 * Index builds of one replay running at once, each on its own connection (PostgreSQL builds a large btree or GIN
 * index with parallel workers of its own; two builds keep the cores busy while one waits on its last worker).
 */
const BUILDS_AT_ONCE = 2;

export interface DeferredIndexes {
  /** Builds the dropped indexes of these projections' tables (all of them without an argument) not built yet. */
  restore(projections?: readonly Projection[]): Promise<void>;
}

/**
 * For a replay into a fresh schema: drops the indexes the projections never read through while applying, and returns
 * what recreates them. Those are the full-text and array indexes (GIN), every non-unique index of a table its
 * projection only inserts into (`Projection.insertOnlyTables`), and the indexes it names as serving queries only
 * (`Projection.queryOnlyIndexes`). Building such an index once over the finished table costs a fraction of
 * maintaining it row by row during the replay. Unique indexes always stay: they decide the projections' upserts.
 */
export async function deferReplayIndexes(db: Kysely<any>, schema: string, projections: readonly Projection[]): Promise<DeferredIndexes> {
  const tables = projections.flatMap((p) => p.tables);
  const insertOnly = projections.flatMap((p) => p.insertOnlyTables ?? []);
  const queryOnly = projections.flatMap((p) => p.queryOnlyIndexes ?? []);
  const { rows } = await sql<{ name: string; table: string; definition: string; gin: boolean }>`
    SELECT i.relname AS name, t.relname AS table, pg_get_indexdef(x.indexrelid) AS definition, a.amname = 'gin' AS gin
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      JOIN pg_am a ON a.oid = i.relam
     WHERE n.nspname = ${schema} AND t.relname = ANY(${tables}::text[]) AND NOT x.indisunique
       AND (a.amname = 'gin' OR t.relname = ANY(${insertOnly}::text[]) OR i.relname = ANY(${queryOnly}::text[]))`.execute(db);
  for (const r of rows) await sql`DROP INDEX ${sql.id(schema, r.name)}`.execute(db);
  const pending = new Set(rows);
  // At most BUILDS_AT_ONCE builds of this replay run at once (each takes up to maintenance_work_mem), in the order asked.
  let running = 0;
  const waiting: Array<() => void> = [];
  const build = async (definition: string) => {
    if (running >= BUILDS_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      await sql.raw(definition).execute(db);
    } finally {
      // The slot passes straight to the next build waiting, if any.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return {
    async restore(of = projections) {
      const mine = new Set(of.flatMap((p) => p.tables as readonly string[]));
      // The full-text indexes take longest: they start first, the others share the second connection.
      const queue = [...pending].filter((r) => mine.has(r.table)).sort((a, b) => Number(b.gin) - Number(a.gin));
      for (const r of queue) pending.delete(r);
      await Promise.all(queue.map((r) => build(r.definition)));
    },
  };
}
