import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../infra/db/embedded-postgres.ts';

/** One real PostgreSQL server per test run; every test file creates its own database on it (test/db.ts). */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return; // an external server was given
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ccb-test-pg-'));
  const server = await startEmbeddedPostgres({ dir, fast: true });
  (globalThis as { __embeddedPostgres?: EmbeddedPostgres; __embeddedPostgresDir?: string }).__embeddedPostgres = server;
  (globalThis as { __embeddedPostgresDir?: string }).__embeddedPostgresDir = dir;
  process.env.TEST_DATABASE_URL = server.connectionString('postgres');
}
