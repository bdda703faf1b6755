import { parseArgs } from 'node:util';
import { createDatabase } from '../../infra/db/database.ts';
import { connectDatabase } from '../../infra/db/connect.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import { openEventStore } from '../runtime.ts';
import { projections } from '../../projections/registry.ts';
import { parseUntil, replayReadModels } from '../../projections/replay.ts';
import { configOrExit, processLogger } from '../process.ts';

/**
 * `npm run replay -- --until <position|timestamp> --schema <name>`: builds every read model as it was at a past
 * point into the named schema (for an audit), beside the live one, which is never touched. Prints what it built.
 */
const usage = 'usage: npm run replay -- --until <log position | ISO timestamp> --schema <name>';
let args;
try {
  args = parseArgs({ options: { until: { type: 'string' }, schema: { type: 'string' } }, strict: true }).values;
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${usage}\n`);
  process.exit(2);
}
if (!args.until || !args.schema) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
let until;
try {
  until = parseUntil(args.until);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${usage}\n`);
  process.exit(2);
}

const config = configOrExit();
const logger = processLogger(config, 'replay');
const connection = await connectDatabase(config, logger);
const database = createDatabase(connection.connectionString, { max: 8, applicationName: 'replay' });
let code = 0;
let eventStore: EventStore | undefined;
let closeKeys: () => Promise<void> = async () => undefined;
try {
  // The same decrypting store as the service: a forgotten user's payloads read back redacted and stay out.
  const opened = await openEventStore(config, database, { listen: false });
  eventStore = opened.eventStore;
  closeKeys = () => opened.dataKeys.close();
  const result = await replayReadModels({
    db: database.db,
    eventStore,
    liveSchema: config.READ_SCHEMA,
    targetSchema: args.schema,
    until,
    projections,
  });
  console.log(
    `replayed ${result.events} events (last position ${result.lastPosition || 'none'}) into schema ${result.schema} in ${result.seconds.toFixed(2)} s`,
  );
  for (const [table, rows] of Object.entries(result.tables)) console.log(`  ${table}: ${rows} rows`);
} catch (err) {
  if (err instanceof RangeError) process.stderr.write(`${err.message}\n`);
  else logger.error({ err }, 'replay failed');
  code = 1;
} finally {
  await eventStore?.close().catch(() => undefined);
  await closeKeys().catch(() => undefined);
  await database.close();
  await connection.stop();
}
process.exit(code);
