import { configOrExit } from '../process.ts';

/**
 * Container health check: asks the process's own health endpoint (exit 0 healthy, 1 not). `api` asks the API's
 * GET /health on PORT; `projector` and `worker` ask their GET /health on HEALTH_PORT, which reports the role's
 * own state (services/role-health.ts), not only whether PostgreSQL answers.
 */
const role = process.argv[2] ?? 'projector';
const config = configOrExit();
if (role !== 'api' && role !== 'projector' && role !== 'worker') {
  console.error(`unknown role ${role} (api, projector or worker)`);
  process.exit(1);
}
const port = role === 'api' ? config.PORT : config.HEALTH_PORT;
if (port === undefined) {
  console.error(`the ${role}'s health endpoint needs HEALTH_PORT`);
  process.exit(1);
}
const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
try {
  const res = await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(4000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${body}`);
  process.exit(0);
} catch (err) {
  console.error(`unhealthy: ${(err as Error).message}`);
  process.exit(1);
}
