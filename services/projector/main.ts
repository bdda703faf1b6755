import { configOrExit, onShutdown, processLogger } from '../process.ts';
import { startRuntime } from '../runtime.ts';

/** Distributed mode: the projector alone. Run several; one holds the lock and applies, the others wait. */
const config = configOrExit();
const logger = processLogger(config, 'projector');
const runtime = await startRuntime(config, { api: false, projector: true, worker: false }, logger);
logger.info({ eventStore: runtime.eventStore.kind }, 'projector started');
onShutdown(logger, () => runtime.stop());
