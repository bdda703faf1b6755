import path from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { connectionStringFor, readOwner, readPassword, startEmbeddedPostgres } from './embedded-postgres.ts';

export interface DatabaseConnection {
  connectionString: string;
  /** True when this process started the embedded server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * The embedded server's settings for a small footprint (one service, tens of connections): PostgreSQL's own
 * defaults are sized for a dedicated machine. EMBEDDED_POSTGRES_SETTINGS overrides any of them.
 */
export const EMBEDDED_POSTGRES_DEFAULTS: Readonly<Record<string, string>> = {
  max_connections: '100',
  shared_buffers: '32MB',
  wal_buffers: '1MB',
  work_mem: '4MB',
  maintenance_work_mem: '32MB',
  temp_buffers: '4MB',
  // PostgreSQL 18 starts 3 I/O workers by default; one is plenty for one service.
  io_workers: '1',
  max_worker_processes: '4',
  max_parallel_workers: '2',
  max_parallel_workers_per_gather: '1',
  autovacuum_max_workers: '2',
  huge_pages: 'off',
  idle_in_transaction_session_timeout: '60s',
};

export function embeddedPostgresSettings(overrides: string | undefined): Record<string, string> {
  const settings: Record<string, string> = { ...EMBEDDED_POSTGRES_DEFAULTS };
  for (const pair of overrides ? overrides.split(',') : []) {
    const [name, value] = pair.split('=') as [string, string];
    settings[name.trim()] = value.trim();
  }
  return settings;
}

/**
 * DATABASE_URL when set; otherwise the embedded server under DATA_DIR: joined when another process of ours
 * already runs it (a CLI beside `npm start`), started (and owned) when nobody does.
 */
export async function connectDatabase(config: Config, logger: Logger): Promise<DatabaseConnection> {
  if (config.DATABASE_URL) return { connectionString: config.DATABASE_URL, owned: false, stop: async () => undefined };
  const dir = path.join(config.dataDir, 'postgres');
  const owner = await readOwner(dir);
  if (owner) {
    logger.info({ dir, ownerPid: owner.ownerPid, port: owner.port }, 'joining the embedded PostgreSQL of a running process');
    return { connectionString: connectionStringFor(await readPassword(dir), owner.port), owned: false, stop: async () => undefined };
  }
  logger.info({ dir }, 'starting embedded PostgreSQL');
  const server = await startEmbeddedPostgres({
    dir,
    ownRoot: config.dataDir,
    settings: embeddedPostgresSettings(config.EMBEDDED_POSTGRES_SETTINGS),
    onLog: (line) => logger.debug({ postgres: line }),
  });
  return { connectionString: server.connectionString('postgres'), owned: true, stop: () => server.stop() };
}
