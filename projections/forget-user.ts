import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { Projection } from './projection.ts';

/** Columns that name the user a row belongs to, for projections that do not declare `forgetUser`. */
export const OWNER_COLUMNS = ['owner_id', 'user_id'] as const;

/** A projection has a table the generic purge cannot attribute to a user, and no `forgetUser` of its own. */
export class UnforgettableProjectionError extends Error {
  constructor(projection: string, table: string) {
    super(
      `projection ${projection}: table ${table} has no ${OWNER_COLUMNS.join(' or ')} column; declare forgetUser(db, userId) on the projection`,
    );
    this.name = 'UnforgettableProjectionError';
  }
}

/** Per table, the column the generic purge would use (undefined when it has none). */
export async function ownerColumns(
  db: Kysely<ReadModels>,
  schema: string,
  tables: readonly string[],
): Promise<Map<string, string | undefined>> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = ${schema} AND table_name = ANY(${[...tables]}::text[]) AND column_name = ANY(${[...OWNER_COLUMNS]}::text[])`.execute(
    db,
  );
  const out = new Map<string, string | undefined>(tables.map((t) => [t, undefined]));
  for (const column of OWNER_COLUMNS)
    for (const r of rows) if (r.column_name === column && !out.get(r.table_name)) out.set(r.table_name, column);
  return out;
}

/**
 * Deletes a user's rows from every read model, in one transaction (all or nothing), projections in reverse
 * registry order. Each projection purges itself with its `forgetUser`, or generically: rows of its tables whose
 * `owner_id`/`user_id` is the user. A table with neither and no `forgetUser` fails the whole purge (nothing
 * deleted) rather than silently keeping personal content; `projections/__tests__/forget-user.int.spec.ts`
 * checks every registered projection, so a new one that cannot be purged fails the build's tests first.
 */
export async function purgeUserFromReadModels(
  db: Kysely<ReadModels>,
  schema: string,
  projections: readonly Projection[],
  userId: string,
): Promise<Record<string, number>> {
  return db.transaction().execute(async (trx) => {
    const scoped = trx.withSchema(schema);
    const deleted: Record<string, number> = {};
    for (const projection of [...projections].reverse()) {
      if (projection.forgetUser) {
        for (const [table, n] of Object.entries(await projection.forgetUser(scoped, userId))) deleted[table] = (deleted[table] ?? 0) + n;
        continue;
      }
      const columns = await ownerColumns(trx, schema, projection.tables);
      for (const table of projection.tables) {
        const column = columns.get(table);
        if (!column) throw new UnforgettableProjectionError(projection.name, table);
        const result = await sql`DELETE FROM ${sql.id(schema, table)} WHERE ${sql.id(column)} = ${userId}`.execute(trx);
        deleted[table] = (deleted[table] ?? 0) + Number(result.numAffectedRows ?? 0);
      }
    }
    return deleted;
  });
}
