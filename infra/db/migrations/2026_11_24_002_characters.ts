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
    .addColumn('creator_lower', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('character_version', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('extensions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('nickname', 'text')
    // The whole canonical card (every V1/V2/V3 field, unknown fields, top-level extras) as last written.
    .addColumn('card', 'jsonb', (c) => c.notNull())
    .addColumn('avatar', 'jsonb')
    .addColumn('assets', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('source', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('search', sql`tsvector`, (c) =>
      c
        .generatedAlwaysAs(
          sql`setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', description), 'B') || setweight(to_tsvector('english', personality || ' ' || scenario || ' ' || system_prompt), 'C')`,
        )
        .stored(),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('characters_owner_name').on('characters').columns(['owner_id', 'name', 'id']).execute();
  await db.schema.createIndex('characters_owner_created').on('characters').columns(['owner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('characters_owner_updated').on('characters').columns(['owner_id', 'updated_at', 'id']).execute();
  await db.schema.createIndex('characters_tags_lower').on('characters').using('gin').column('tags_lower').execute();
  await db.schema.createIndex('characters_search').on('characters').using('gin').column('search').execute();
}
