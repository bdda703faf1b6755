import { startApiServer, buildApiDependencies } from '../api/server.ts';
import { configOrExit, onShutdown, processLogger } from '../process.ts';
import { startRuntime } from '../runtime.ts';

/** The embedded default: one process runs api + projector + worker on an embedded PostgreSQL. */
const config = configOrExit();
const logger = processLogger(config, 'all-in-one');
const runtime = await startRuntime(config, { api: true, projector: true, worker: true }, logger);
runtime.cpu.start();
const api = await startApiServer(await buildApiDependencies(runtime), {
  port: config.PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
logger.info(
  { url: api.url, docs: `${api.url}/docs`, eventStore: runtime.eventStore.kind, embeddedPostgres: runtime.connection.owned },
  'character chat backend listening',
);

onShutdown(logger, async () => {
  await api.close();
  await runtime.stop();
});
