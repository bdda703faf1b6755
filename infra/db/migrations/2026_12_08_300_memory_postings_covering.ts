import { CompiledQuery, type Kysely } from 'kysely';

/**
 * Memory search reads a term's postings with their `tf` and `length` from the primary key alone (an index-only
 * scan): one chat's postings of a term lie on about as many heap pages as there are postings, while the key's leaf
 * pages hold them side by side.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('memory_postings').dropConstraint('memory_postings_pkey').execute();
  // The builder has no INCLUDE; compiling it first keeps the migrator's schema on the table name.
  const key = db.schema
    .alterTable('memory_postings')
    .addPrimaryKeyConstraint('memory_postings_pkey', ['chat_id', 'term', 'message_id'])
    .compile();
  await db.executeQuery(CompiledQuery.raw(`${key.sql} include ("tf", "length")`));
}
