import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ReadModels } from './read-model-types.ts';

// int8 columns (counts, positions) come back as JS numbers when they are safe integers; anything larger
// would be a bug here, so fail loudly instead of silently losing precision.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds the safe integer range`);
  return n;
});

export interface Database {
  pool: pg.Pool;
  db: Kysely<ReadModels>;
  connectionString: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
  applicationName?: string;
  /** Off for connections whose commits are rebuildable (the projector's): no wait for the WAL flush. */
  synchronousCommit?: boolean;
}

export function createDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'character-chat',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    // A transaction left open would hold back the event log's snapshot horizon for every subscriber.
    idle_in_transaction_session_timeout: 60_000,
    statement_timeout: 60_000,
    ...(options.synchronousCommit === false ? { options: '-c synchronous_commit=off' } : {}),
  });
  // A pooled client that loses its server (PostgreSQL restarted) must not crash the process.
  pool.on('error', () => undefined);
  // The pool listens only on idle clients: one checked out (a transaction between two statements) whose
  // server goes away emits 'error' with no listener, which kills the process. The statement in flight, if
  // any, still fails with the error, and the broken client is dropped when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
  return {
    pool,
    db,
    connectionString,
    async close() {
      await db.destroy();
    },
  };
}
