import type { Kysely } from 'kysely';

/** A user's defaults (today the lorebook compatibility mode), one row per user who set any. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_defaults')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('compatibility', 'text')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
