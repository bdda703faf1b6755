import { sql, type Kysely } from 'kysely';

/**
 * For a rebuild into a fresh schema: drops the tables' full-text and array indexes (GIN, non-unique: queries use
 * them, projections never look rows up through them), and every non-unique index of the tables their projection
 * only inserts into (`Projection.insertOnlyTables`), and returns what recreates them. Building such an index once
 * over the finished table costs a fraction of maintaining it row by row during the replay.
 */
export async function deferSearchIndexes(db: Kysely<any>, schema: string, tables: readonly string[], insertOnlyTables: readonly string[] = []): Promise<() => Promise<void>> {
  const { rows } = await sql<{ name: string; definition: string }>`
    SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      JOIN pg_am a ON a.oid = i.relam
     WHERE n.nspname = ${schema} AND t.relname = ANY(${[...tables]}::text[]) AND NOT x.indisunique
       AND (a.amname = 'gin' OR t.relname = ANY(${[...insertOnlyTables]}::text[]))`.execute(db);
  for (const r of rows) await sql`DROP INDEX ${sql.id(schema, r.name)}`.execute(db);
  return async () => {
    for (const r of rows) await sql.raw(r.definition).execute(db);
  };
}
