import { sql, type Kysely, type QueryCreator, type RawBuilder } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/** Each column of a table written by `insertByColumns`, with its PostgreSQL type (`text[]` for an array column). */
export type ColumnTypes = Readonly<Record<string, string>>;

const NEEDS_ESCAPE = /["\\]/;

/** One element of an array literal: quoted, with `"` and `\` escaped; NULL unquoted. */
function element(value: unknown): string {
  if (value === null) return 'NULL';
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${text}"`;
}

/**
 * A PostgreSQL array literal, `{"a","b",NULL}`, written here rather than by the driver: its generic writer escapes
 * every element with two regular expressions, which showed in the profile of a million-event rebuild.
 */
function arrayLiteral(values: readonly unknown[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) literal += (i > 0 ? ',' : '') + element(values[i]);
  return `${literal}}`;
}

/**
 * Inserts many rows in one statement with one array parameter per column (`INSERT … SELECT FROM unnest(…)`), skipping
 * rows whose `conflictColumn` exists already. Against a multi-row VALUES list (a parameter per cell) this saves most of
 * the work on both sides at thousands of rows: the statement is the same whatever the row count, and the driver
 * and the server handle a dozen parameters instead of tens of thousands. Rows must have every column of `types`.
 */
export async function insertByColumns(
  db: Kysely<ReadModels>,
  table: keyof ReadModels & string,
  types: ColumnTypes,
  rows: readonly Record<string, unknown>[],
  conflictColumn: string,
): Promise<void> {
  if (rows.length === 0) return;
  await insertByColumnsQuery(db, table, types, rows, conflictColumn).execute();
}

/**
 * `insertByColumns` as a statement not yet run (for a common table expression), its rows taken only where `condition`
 * holds (a guard CTE's result). `rows` must not be empty.
 */
export function insertByColumnsQuery(
  db: QueryCreator<ReadModels>,
  table: keyof ReadModels & string,
  types: ColumnTypes,
  rows: readonly Record<string, unknown>[],
  conflictColumn: string,
  condition: RawBuilder<boolean> = sql<boolean>`true`,
) {
  const columns = Object.keys(types);
  const parameters = columns.map((column) => {
    const type = types[column]!;
    const isArray = type.endsWith('[]');
    const values = rows.map((row) => {
      const value = row[column];
      if (value === undefined) throw new Error(`insertByColumns: row without column ${column} for ${table}`);
      return isArray && value !== null ? arrayLiteral(value as unknown[]) : value;
    });
    // An array column's literals are cast to their type per row; unnest would flatten a two-dimensional array.
    return {
      column,
      unnested: sql`${arrayLiteral(values)}::${sql.raw(isArray ? 'text' : type)}[]`,
      cast: isArray ? sql.raw(`::${type}`) : sql``,
    };
  });
  const names = sql.join(columns.map((c) => sql.id(c)));
  return db
    .insertInto(table)
    .columns(columns as never)
    .expression(
      sql`SELECT ${sql.join(parameters.map((p) => sql`${sql.id(p.column)}${p.cast}`))} FROM unnest(${sql.join(parameters.map((p) => p.unnested))}) AS t(${names}) WHERE ${condition}` as never,
    )
    .onConflict((oc) => oc.column(conflictColumn as never).doNothing());
}
