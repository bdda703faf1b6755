import { rmSync } from 'node:fs';
import type { EmbeddedPostgres } from '../infra/db/embedded-postgres.ts';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __embeddedPostgres?: EmbeddedPostgres; __embeddedPostgresDir?: string };
  await g.__embeddedPostgres?.stop();
  if (g.__embeddedPostgresDir) rmSync(g.__embeddedPostgresDir, { recursive: true, force: true });
}
