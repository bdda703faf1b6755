import type { Kysely } from 'kysely';

/** A group's own image (`{sha256, mime, size}` of a blob), null when it has none. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('groups').addColumn('avatar', 'jsonb').execute();
}
