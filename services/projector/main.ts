import { configOrExit, onShutdown, processLogger } from '../process.ts';
import { startRoleHealthServer } from '../role-health.ts';
import { startRuntime } from '../runtime.ts';

/** Distributed mode: the projector alone. Run several; one holds the lock and applies, the others wait. */
const config = configOrExit();
const logger = processLogger(config, 'projector');
const runtime = await startRuntime(config, { api: false, projector: true, worker: false }, logger);
const health =
  config.HEALTH_PORT !== undefined
    ? await startRoleHealthServer(runtime, 'projector', { port: config.HEALTH_PORT, host: config.HOST })
    : undefined;
logger.info({ eventStore: runtime.eventStore.kind, health: health?.url }, 'projector started');
onShutdown(logger, async () => {
  health?.stopping();
  await runtime.stop();
  await health?.close();
});
