import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { machine, table, writeResult } from './bench-kit.ts';

/**
 * Create-character through the full path (HTTP -> command -> durable append -> projection -> read-your-
 * writes -> response) against `npm start`'s embedded default, measured with autocannon: sustained
 * throughput, and latency at a fixed 100 req/s. Baseline in the same run: GET /health (HTTP stack only).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ccb-bench-http-'));
chmodSync(dataDir, 0o755);
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(path.join('node_modules', '.bin', 'node'), ['services/all-in-one/main.ts'], {
  env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/health`)).ok) break;
  } catch {
    // starting
  }
  if (i > 300) throw new Error('service did not start');
  await new Promise((r) => setTimeout(r, 200));
}
const key = readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
let counter = 0;
const createRequest: autocannon.Request = {
  method: 'POST',
  path: '/api/v1/characters',
  headers: { 'content-type': 'application/json', 'x-api-key': key },
  setupRequest: (req: autocannon.Request) => ({
    ...req,
    body: JSON.stringify({ name: `Bench ${process.pid}-${counter++}`, description: 'A benchmark character. '.repeat(20), tags: ['bench', 'http'], alternate_greetings: ['hi', 'hello'] }),
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

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });

const result = {
  machine: machine(),
  durationSeconds: DURATION,
  runs: [baseline, sustained, paced],
  targets: { sustainedRequestsPerSecond: 500, p99AtHundredPerSecondMs: 50, met: sustained.requestsPerSecond >= 500 && paced.latencyMs.p99 < 50 && sustained.non2xx === 0 },
};
table(result.runs.map((r) => ({ run: r.name, 'req/s (2xx)': r.requestsPerSecond, 'non-2xx': r.non2xx, errors: r.errors, 'p50 ms': r.latencyMs.p50, 'p99 ms': r.latencyMs.p99 })));
writeResult('http-create-character', result);
