import { sql, type Kysely } from 'kysely';

/** What a chat's stored generations left for the next one: macro variables and lorebook timed effects. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('chats')
    .addColumn('variables', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('world_info_timed_state', 'jsonb')
    .execute();
}
