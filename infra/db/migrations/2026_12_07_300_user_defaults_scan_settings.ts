import type { Kysely } from 'kysely';

/** A user's default lorebook scan depth, budget and recursion (null: not set). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('user_defaults')
    .addColumn('scan_depth', 'integer')
    .addColumn('token_budget', 'integer')
    .addColumn('recursive_scanning', 'boolean')
    .execute();
}
