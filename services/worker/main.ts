import { configOrExit, onShutdown, processLogger } from '../process.ts';
import { startRoleHealthServer } from '../role-health.ts';
import { startRuntime } from '../runtime.ts';

/** Distributed mode: a worker alone (run as many as the LLM providers allow). */
const config = configOrExit();
const logger = processLogger(config, 'worker');
const runtime = await startRuntime(config, { api: false, projector: false, worker: true }, logger);
runtime.cpu.start();
const health =
  config.HEALTH_PORT !== undefined
    ? await startRoleHealthServer(runtime, 'worker', { port: config.HEALTH_PORT, host: config.HOST })
    : undefined;
logger.info(
  { queue: runtime.queue.name, backend: runtime.queue.backend, concurrency: config.WORKER_CONCURRENCY, health: health?.url },
  'worker started',
);
onShutdown(logger, async () => {
  health?.stopping();
  await runtime.stop();
  await health?.close();
});
