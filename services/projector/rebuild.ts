import { createDatabase } from '../../infra/db/database.ts';
import { connectDatabase } from '../../infra/db/connect.ts';
import { migrateReadModels } from '../../infra/db/migrate.ts';
import { openEventStore } from '../runtime.ts';
import { rebuildReadModels } from '../../projections/rebuild.ts';
import { projections } from '../../projections/registry.ts';
import { configOrExit, processLogger } from '../process.ts';

/**
 * `npm run projections:rebuild`: replays the whole event log into fresh read models beside the live ones and
 * swaps them in atomically. Safe while the service runs: queries keep answering from the old tables and the
 * live projector continues on the new ones.
 */
const config = configOrExit();
const logger = processLogger(config, 'rebuild');
const connection = await connectDatabase(config, logger);
const database = createDatabase(connection.connectionString, { max: 8, applicationName: 'projections-rebuild' });
let code = 0;
try {
  // The same decrypting store as the service: payloads of forgotten users read back redacted and stay out.
  const { eventStore, dataKeys } = await openEventStore(config, database, { listen: false });
  await migrateReadModels(database.db, config.READ_SCHEMA);
  const result = await rebuildReadModels({ db: database.db, eventStore, liveSchema: config.READ_SCHEMA, projections, logger, swap: true });
  logger.info(result, 'rebuild complete');
  console.log(
    `rebuilt ${projections.map((p) => p.name).join(', ')} from ${result.events} events in ${result.seconds.toFixed(2)} s (${Math.round(result.eventsPerSecond)} events/s)`,
  );
  await eventStore.close();
  await dataKeys.close();
} catch (err) {
  logger.error({ err }, 'rebuild failed');
  code = 1;
} finally {
  await database.close();
  await connection.stop();
}
process.exit(code);
