import autocannon from 'autocannon';
import { machine, startService, table, writeResult } from './bench-kit.ts';

/**
 * Create-character through the full path (HTTP -> command -> durable append -> projection -> read-your-
 * writes -> response) against `npm start`'s embedded default, measured with autocannon: sustained
 * throughput, and latency at a fixed 100 req/s. Baseline in the same run: GET /health (HTTP stack only).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const service = await startService();
const base = service.url;
const key = service.key;
let counter = 0;
const createRequest: autocannon.Request = {
  method: 'POST',
  path: '/api/v1/characters',
  headers: { 'content-type': 'application/json', 'x-api-key': key },
  setupRequest: (req: autocannon.Request) => ({
    ...req,
    body: JSON.stringify({
      name: `Bench ${process.pid}-${counter++}`,
      description: 'A benchmark character. '.repeat(20),
      tags: ['bench', 'http'],
      alternate_greetings: ['hi', 'hello'],
    }),
  }),
};

async function run(name: string, opts: Partial<autocannon.Options>) {
  const result = await autocannon({ url: base, duration: DURATION, ...opts } as autocannon.Options);
  const ok = result['2xx'];
  return {
    name,
    requestsPerSecond: Math.round(ok / DURATION),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  };
}

await run('warm-up', { connections: 10, duration: 3, requests: [createRequest] });
const baseline = await run('GET /health (baseline: HTTP stack only)', { connections: 50, requests: [{ method: 'GET', path: '/health' }] });
const sustained = await run('POST /api/v1/characters, 50 connections', { connections: 50, requests: [createRequest] });
const paced = await run('POST /api/v1/characters at 100 req/s', { connections: 10, overallRate: 100, requests: [createRequest] });

await service.stop();

const result = {
  machine: machine(),
  durationSeconds: DURATION,
  runs: [baseline, sustained, paced],
  targets: {
    sustainedRequestsPerSecond: 500,
    p99AtHundredPerSecondMs: 50,
    met: sustained.requestsPerSecond >= 500 && paced.latencyMs.p99 < 50 && sustained.non2xx === 0,
  },
};
table(
  result.runs.map((r) => ({
    run: r.name,
    'req/s (2xx)': r.requestsPerSecond,
    'non-2xx': r.non2xx,
    errors: r.errors,
    'p50 ms': r.latencyMs.p50,
    'p99 ms': r.latencyMs.p99,
  })),
);
writeResult('http-create-character', result);
