import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../test/harness.ts';

/**
 * The queue plumbing inside the service: the API process's producer, the worker role's handlers, on the
 * backend the configuration picks (PostgreSQL here; Redis when REDIS_URL is set).
 */
const backends: Array<[string, Record<string, string>]> = [['postgres', {}]];
if (process.env.REDIS_URL) backends.push(['redis', { REDIS_URL: process.env.REDIS_URL }]);
else {
  console.log('SKIP worker runtime on Redis: REDIS_URL is not set');
  test.skip('worker in the runtime (redis): REDIS_URL is not set', () => undefined);
}

describe.each(backends)('worker in the runtime (%s)', (backend, env) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ env, roles: { api: true, projector: true, worker: true } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  test('a job added by the API side runs on the worker and its result comes back', async () => {
    expect(svc.runtime.queue.backend).toBe(backend);
    const jobId = `echo-${Date.now()}`;
    const added = await svc.runtime.queue.add('diagnostics.echo', { payload: { hello: 'world' } }, { jobId });
    expect(added).toEqual({ id: jobId, duplicate: false });
    expect(await svc.runtime.queue.add('diagnostics.echo', { payload: 'again' }, { jobId })).toMatchObject({ duplicate: true });
    const result = await svc.runtime.queue.waitUntilFinished<{ payload: unknown; attempt: number }>(jobId, 15_000);
    expect(result).toMatchObject({ payload: { hello: 'world' }, attempt: 1 });
  });

  test('/ready reports the queue and /metrics its depth', async () => {
    const ready = await svc.request('GET', '/ready', { key: null });
    expect(ready.body.checks.queue).toMatchObject({ ok: true, backend });
    const metrics = await svc.request('GET', '/metrics', { key: null });
    expect(metrics.body).toMatch(/queue_depth\{queue="character-chat"\} \d+/);
  });

  test('shutdown waits for a running job', async () => {
    const jobId = `slow-${Date.now()}`;
    await svc.runtime.queue.add('diagnostics.echo', { payload: 1, delayMs: 300 }, { jobId });
    const deadline = Date.now() + 10_000;
    while (!svc.runtime.worker!.activeJobIds().includes(jobId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const closed = await svc.runtime.worker!.close(5000);
    expect(closed.abortedJobIds).toEqual([]);
    const info = await svc.runtime.queue.getJob(jobId);
    expect(info?.state).toBe('completed');
  });
});
