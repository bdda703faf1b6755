import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../test/harness.ts';
import { nodeBinary, projectRoot } from '../../test/service-process.ts';
import { startRoleHealthServer } from '../role-health.ts';

/**
 * The projector's and the worker's own health endpoint (HEALTH_PORT), and the container health check that asks
 * it: healthy while the role does its work, 503 once it is shutting down or has lost its part.
 */
const run = promisify(execFile);
let projector: TestService;
let worker: TestService;

beforeAll(async () => {
  [projector, worker] = await Promise.all([
    startTestService({ roles: { api: false, projector: true, worker: false } }),
    startTestService({ roles: { api: false, projector: false, worker: true } }),
  ]);
});
afterAll(async () => {
  await projector?.close();
  await worker?.close();
});

/** Exit code of `node services/cli/healthcheck.ts <role>` with HEALTH_PORT set. */
async function healthcheck(role: string, port: number): Promise<number> {
  try {
    await run(nodeBinary, ['services/cli/healthcheck.ts', role], {
      cwd: projectRoot,
      env: { ...process.env, NODE_OPTIONS: '', HEALTH_PORT: String(port) },
    });
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('role health', () => {
  test('the projector reports whether it leads, its projections, and turns unhealthy when it stops', async () => {
    const health = await startRoleHealthServer(projector.runtime, 'projector', { port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${health.url}/health`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ status: 'ok', role: 'projector', leader: expect.any(Boolean), problems: [] });
      expect(body.projections.length).toBeGreaterThan(3);
      const port = Number(new URL(health.url).port);
      expect(await healthcheck('projector', port)).toBe(0);
      health.stopping();
      expect((await fetch(`${health.url}/health`)).status).toBe(503);
      expect(await healthcheck('projector', port)).toBe(1);
    } finally {
      await health.close();
    }
  }, 30_000);

  test('the worker reports its running jobs; a process without a worker is unhealthy as one', async () => {
    const health = await startRoleHealthServer(worker.runtime, 'worker', { port: 0, host: '127.0.0.1' });
    const notAWorker = await startRoleHealthServer(projector.runtime, 'worker', { port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${health.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', role: 'worker', active_jobs: [], problems: [] });
      const wrong = await fetch(`${notAWorker.url}/health`);
      expect(wrong.status).toBe(503);
      expect(await wrong.json()).toMatchObject({ status: 'unhealthy', problems: ['no worker in this process'] });
      expect(await healthcheck('worker', Number(new URL(notAWorker.url).port))).toBe(1);
    } finally {
      await health.close();
      await notAWorker.close();
    }
  }, 30_000);
});
