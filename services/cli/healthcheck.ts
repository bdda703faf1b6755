import pg from 'pg';
import { configOrExit } from '../process.ts';

/**
 * Container health check for processes without HTTP (projector, worker): the database answers, and for the
 * projector no projection has stopped on a failure. Exit 0 healthy, 1 not.
 */
const role = process.argv[2] ?? 'projector';
const config = configOrExit();
if (!config.DATABASE_URL) {
  console.error('healthcheck needs DATABASE_URL');
  process.exit(1);
}
const client = new pg.Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 3000 });
try {
  await client.connect();
  await client.query('SELECT 1');
  if (role === 'projector') {
    const { rows } = await client.query(`SELECT name FROM ${config.READ_SCHEMA}.projection_checkpoints WHERE status = 'failed'`);
    if (rows.length) throw new Error(`failed projections: ${rows.map((r: { name: string }) => r.name).join(', ')}`);
  }
  await client.end();
  process.exit(0);
} catch (err) {
  console.error(`unhealthy: ${(err as Error).message}`);
  process.exit(1);
}
