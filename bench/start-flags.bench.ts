/**
 * Does `npm start`'s command line (a 2 × 4 MB young generation, the malloc settings, the compile cache) slow the hot
 * path? The same service started both ways in one run, alternating (`BENCH_ROUNDS` rounds): `node
 * services/all-in-one/main.ts` (the baseline) and exactly package.json's `start` command line. Each start: a chat
 * of 100 messages gets `BENCH_N` (300) more appended one at a time over HTTP, then `BENCH_N` characters are created
 * 8 at a time; its RSS is read at the end.
 *
 *   ./node_modules/.bin/node bench/start-flags.bench.ts      (about 4 minutes)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machine, npmStartArgs, startService, summarize, table, writeResult } from './bench-kit.ts';

const N = Number(process.env.BENCH_N ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const compileCache = mkdtempSync(path.join(os.tmpdir(), 'ccb-bench-compile-cache-'));
const configs: Array<{ label: string; nodeArgs?: string[]; env: Record<string, string> }> = [
  { label: 'main.ts, no flags', env: {} },
  { label: 'npm start', nodeArgs: npmStartArgs(), env: { NODE_COMPILE_CACHE: compileCache } },
];

async function measure(config: (typeof configs)[number]) {
  const service = await startService(config.env, config.nodeArgs);
  try {
    const headers = { 'X-API-KEY': service.key, 'content-type': 'application/json' };
    const post = async (p: string, body: unknown) => {
      const res = await fetch(service.url + p, { method: 'POST', headers, body: JSON.stringify(body) });
      const out = (await res.json()) as { id: string };
      if (res.status >= 300) throw new Error(`${p} answered ${res.status}`);
      return out;
    };
    const character = await post('/api/v1/characters', { name: 'Hot path', description: 'x' });
    const chat = await post('/api/v1/character_chats', { character_id: character.id });
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(8);
    const messages = `/api/v1/character_messages/chats/${chat.id}/messages`;
    for (let i = 0; i < 100; i++) await post(messages, { sender: 'user', content: text });
    const append: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await post(messages, { sender: i % 2 ? 'assistant' : 'user', content: `${text}${i}` });
      append.push(performance.now() - t);
    }
    let next = 0;
    const create: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          const i = next++;
          const t = performance.now();
          await post('/api/v1/characters', { name: `Created ${i}`, description: 'd '.repeat(200) });
          create.push(performance.now() - t);
        }
      }),
    );
    const createRps = Math.round(N / ((performance.now() - started) / 1000));
    const rssMiB = Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${service.pid}/status`, 'utf8'))![1]) / 1024);
    return { append: summarize(append), create: summarize(create), createRps, rssMiB, load: os.loadavg()[0]! };
  } finally {
    await service.stop();
  }
}

const rows: Record<string, unknown>[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const config of configs) {
      const r = await measure(config);
      rows.push({
        round,
        start: config.label,
        'append p50 ms': r.append.p50,
        'append p99 ms': r.append.p99,
        'create c8 req/s': r.createRps,
        'create p50 ms': r.create.p50,
        'RSS MiB': r.rssMiB,
        load: Math.round(r.load * 10) / 10,
      });
    }
  }
} finally {
  rmSync(compileCache, { recursive: true, force: true });
}
table(rows);
console.log(`Machine: ${machine()}`);
writeResult('start-flags', { n: N, rounds: ROUNDS, rows });
