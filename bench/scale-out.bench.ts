/**
 * Throughput with one and with two API processes on the same machine: the distributed roles as processes
 * (start:projector, start:worker, start:api ×1 or ×2) on one embedded PostgreSQL (durable) and a redis-server started
 * here. The client spreads BENCH_CONCURRENCY (default 8) connections round-robin over the APIs and runs, for
 * BENCH_SECONDS (default 8) each: character creates, then message appends (each connection to a chat of its own).
 * Baseline in the same run: the one-API topology.
 *
 *   ./node_modules/.bin/node bench/scale-out.bench.ts       (about a minute; needs redis-server)
 */
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../infra/db/embedded-postgres.ts';
import { killRoleProcesses, startRedisServer, startRoleProcess, type RoleProcess } from '../test/role-processes.ts';
import { tempDataDir } from '../test/service-process.ts';
import { machine, summarize, table, writeResult } from './bench-kit.ts';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const API_KEY = 'scale-out-bench-key-0123456789';

const dataDir = tempDataDir('ccb-bench-scale-');
const postgres = await startEmbeddedPostgres({ dir: path.join(dataDir, 'pg') });
const redis = await startRedisServer();
if (!redis) throw new Error('redis-server is not installed');

async function topology(database: string, apis: number) {
  const admin = new pg.Client({ connectionString: postgres.connectionString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const env = { DATABASE_URL: postgres.connectionString(database), REDIS_URL: redis!.url, API_KEY, LOG_LEVEL: 'warn' };
  const projector = await startRoleProcess('projector', 'projector', env);
  const rest = await Promise.all([
    startRoleProcess('worker', 'worker', env),
    ...Array.from({ length: apis }, (_, i) => startRoleProcess('api', `api-${i}`, env)),
  ]);
  return { processes: [projector, ...rest], apis: rest.slice(1) };
}

async function drive(apis: RoleProcess[], label: string, op: (base: string, worker: number, i: number) => Promise<void>) {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      const base = apis[worker % apis.length]!.url;
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        await op(base, worker, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { label, requests: latencies.length, perSecond: Math.round(latencies.length / seconds), ...summarize(latencies) };
}

const headers = { 'X-API-KEY': API_KEY, 'content-type': 'application/json' };
async function post(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const out = await res.json();
  if (res.status !== 201) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(out).slice(0, 200)}`);
  return out;
}

const results = [];
for (const apis of [1, 2]) {
  const { processes, apis: apiProcesses } = await topology(`bench_${apis}`, apis);
  let n = 0;
  const create = await drive(apiProcesses, `${apis} API: create character`, async (base) => {
    await post(`${base}/api/v1/characters`, { name: `Bench ${apis}-${n++}` });
  });
  const character = await post(`${apiProcesses[0]!.url}/api/v1/characters`, { name: `Chat owner ${apis}` });
  const chats = await Promise.all(
    Array.from(
      { length: CONCURRENCY },
      async (_, w) => (await post(`${apiProcesses[w % apis]!.url}/api/v1/character_chats`, { character_id: character.id })).id as string,
    ),
  );
  const append = await drive(apiProcesses, `${apis} API: append message`, async (base, worker, i) => {
    await post(`${base}/api/v1/character_messages/chats/${chats[worker]}/messages`, { sender: 'user', content: `message ${i}` });
  });
  results.push(create, append);
  await Promise.all(processes.map((p) => p.kill()));
}
await killRoleProcesses();
await redis.stop();
await postgres.stop();
rmSync(dataDir, { recursive: true, force: true });

table(results.map((r) => ({ run: r.label, requests: r.requests, 'req/s': r.perSecond, 'p50 ms': r.p50, 'p99 ms': r.p99 })));
const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
console.log(`Machine: ${machine()}; ${CONCURRENCY} connections, ${SECONDS} s per row; load average after the run ${load.join(' / ')}`);
writeResult('scale-out', { concurrency: CONCURRENCY, seconds: SECONDS, results, load });
