import { configOrExit, onShutdown, processLogger } from '../process.ts';
import { startRuntime } from '../runtime.ts';
import { buildApiDependencies, startApiServer } from './server.ts';

/** Distributed mode: the HTTP API alone (run as many as you like behind a load balancer). */
const config = configOrExit();
const logger = processLogger(config, 'api');
const runtime = await startRuntime(config, { api: true, projector: false, worker: false }, logger);
runtime.cpu.start();
const api = await startApiServer(await buildApiDependencies(runtime), {
  port: config.PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
logger.info({ url: api.url, eventStore: runtime.eventStore.kind }, 'api listening');
onShutdown(logger, async () => {
  await api.close();
  await runtime.stop();
});
