import { sql, type Kysely } from 'kysely';

/**
 * One row per event of the log, for audit queries (who did what to which resource, when). `position` is the
 * event's log position (the store keeps it zero-padded so that byte order is log order: hence COLLATE "C");
 * each filter has an index that also orders by position, so a filtered page is a short index range scan.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('position', sql`text COLLATE "C"`, (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('stream_id', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    // Whose personal data the event holds (metadata.dataSubject, else the user; null: nobody's): forgetting purges by it.
    .addColumn('data_subject', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('changed_fields', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('subject_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('request_id', 'text')
    .addColumn('correlation_id', 'text')
    .execute();
  await db.schema.createIndex('audit_events_user').on('audit_events').columns(['user_id', 'position']).execute();
  await db.schema.createIndex('audit_events_data_subject').on('audit_events').column('data_subject').execute();
  await db.schema.createIndex('audit_events_resource_type').on('audit_events').columns(['resource_type', 'position']).execute();
  await db.schema.createIndex('audit_events_resource').on('audit_events').columns(['resource_id', 'position']).execute();
  await db.schema.createIndex('audit_events_type').on('audit_events').columns(['event_type', 'position']).execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').columns(['occurred_at', 'position']).execute();
}
