import { sql, type Kysely } from 'kysely';

/** One row per projection: its latest single-projection rebuild (started from the admin API), for polling. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projection_rebuilds')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('events', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('position', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('target_position', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
}
