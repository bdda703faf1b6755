import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createParser } from 'eventsource-parser';
import { createTestDatabase } from '../db.ts';

test('ESM-only packages load and the embedded server answers', async () => {
  const db = await createTestDatabase();
  const k = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url }) }) });
  const r = await sql<{ v: string }>`select version() as v`.execute(k);
  expect(r.rows[0]?.v).toMatch(/PostgreSQL 18/);
  await k.destroy();
  await db.drop();
  expect(typeof createParser).toBe('function');
});
