import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('characters')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('personality', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('scenario', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('system_prompt', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('post_history_instructions', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('first_message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('message_example', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('creator_notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('alternate_greetings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('tags_lower', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('creator', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('character_version', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('extensions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('characters_owner_name').on('characters').columns(['owner_id', 'name', 'id']).execute();
  await db.schema.createIndex('characters_owner_created').on('characters').columns(['owner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('characters_tags_lower').on('characters').using('gin').column('tags_lower').execute();
}
