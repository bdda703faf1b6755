import { configOrExit, onShutdown, processLogger } from '../process.ts';
import { startRuntime } from '../runtime.ts';

/** Distributed mode: a worker alone (run as many as the LLM providers allow). */
const config = configOrExit();
const logger = processLogger(config, 'worker');
const runtime = await startRuntime(config, { api: false, projector: false, worker: true }, logger);
runtime.cpu.start();
logger.info({ queue: runtime.queue.name, backend: runtime.queue.backend, concurrency: config.WORKER_CONCURRENCY }, 'worker started');
onShutdown(logger, () => runtime.stop());
