import autocannon from 'autocannon';
import os from 'node:os';
import { machine, startService, table, writeResult } from './bench-kit.ts';

/**
 * Create-character through the full path (HTTP -> command -> one durable append of the name reservation, the
 * character and, inline, its read-model row -> response) against `npm start`'s embedded default, measured with
 * autocannon (issue 16: 1,000 req/s or more at concurrency 8, p99 under 50 ms at 100 req/s). Two copies of the
 * service: the characters projection written by the append's own statement (`INLINE_PROJECTIONS=true`, the
 * default) and the earlier path as the same-run baseline (`INLINE_PROJECTIONS=false`: read the name, append, wait
 * for the projector, read the row), run in turn for each measure. Baseline for the HTTP stack alone: GET /health.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const MODES = [
  { mode: 'inline', env: { INLINE_PROJECTIONS: 'true' } },
  { mode: 'projector wait', env: { INLINE_PROJECTIONS: 'false' } },
] as const;
const services = [];
for (const { mode, env } of MODES) services.push({ mode, ...(await startService(env)) });
let counter = 0;
const createRequest = (key: string): autocannon.Request => ({
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
});

async function run(base: string, name: string, opts: Partial<autocannon.Options>) {
  const result = await autocannon({ url: base, duration: DURATION, ...opts } as autocannon.Options);
  const ok = result['2xx'];
  return {
    name,
    requestsPerSecond: Math.round(ok / DURATION),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

for (const s of services) await run(s.url, 'warm-up', { connections: 8, duration: 3, requests: [createRequest(s.key)] });
const runs = [
  await run(services[0]!.url, 'GET /health, 8 connections (baseline: HTTP stack only)', {
    connections: 8,
    requests: [{ method: 'GET', path: '/health' }],
  }),
];
const measures: Array<[string, Partial<autocannon.Options>]> = [
  ['concurrency 8', { connections: 8 }],
  ['at 100 req/s', { connections: 10, overallRate: 100 }],
  ['50 connections', { connections: 50 }],
];
for (const [label, opts] of measures)
  for (const s of services)
    runs.push(await run(s.url, `POST /api/v1/characters, ${label}, ${s.mode}`, { ...opts, requests: [createRequest(s.key)] }));
for (const s of services) await s.stop();

const find = (label: string) => runs.find((r) => r.name === `POST /api/v1/characters, ${label}, inline`)!;
const result = {
  machine: machine(),
  durationSeconds: DURATION,
  runs,
  targets: {
    concurrency8RequestsPerSecond: 1000,
    p99AtHundredPerSecondMs: 50,
    met: find('concurrency 8').requestsPerSecond >= 1000 && find('at 100 req/s').latencyMs.p99 < 50 && runs.every((r) => r.non2xx === 0),
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
    load: r.loadAverage[0],
  })),
);
console.log(`targets (>= 1,000 req/s at concurrency 8, p99 < 50 ms at 100 req/s) ${result.targets.met ? 'met' : 'NOT met'}`);
writeResult('http-create-character', result);
