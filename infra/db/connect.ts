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
  const server = await startEmbeddedPostgres({ dir, ownRoot: config.dataDir, onLog: (line) => logger.debug({ postgres: line }) });
  return { connectionString: server.connectionString('postgres'), owned: true, stop: () => server.stop() };
}
