/**
 * Memory of `npm start` (the all-in-one service on its embedded PostgreSQL): resident memory idle, at the peak of
 * a workload, and once it has settled. Runs in one go, each on a fresh DATA_DIR:
 *  - "previous settings" (the first baseline): every CPU-pool thread started at boot and kept, 64 lorebooks cached
 *    per thread, 200,000 events in each command-state cache, PostgreSQL with shared_buffers=128MB and
 *    max_connections=200 on PostgreSQL's own defaults for the rest; the entry point started directly;
 *  - "main.ts, no flags" (the second baseline): today's defaults, the entry point started directly with `node`, as
 *    `npm start` did before it set V8's young generation and the compile cache;
 *  - "npm start": exactly `npm start`'s command line (package.json), with its compile cache in a fresh folder that
 *    one start before the measured one filled (that first start's idle is reported too: "first start").
 * Workload: BENCH_CHARACTERS character creates (concurrency 8), 10 chats × BENCH_APPENDS appended messages, 20 card
 * imports, a 5,000-entry lorebook import and 40 `process-context` scans of new chat text against it.
 * Node: the service process's RSS (/proc VmRSS; includes ~52-58 MB of the node binary's own pages). PostgreSQL:
 * the proportional set size (Pss) summed over the postmaster and its children, so shared buffers count once.
 * "Settled" is after BENCH_SETTLE_MS (default 40 s) without requests, without forcing a garbage collection.
 *
 *   ./node_modules/.bin/node bench/memory.bench.ts       (about 5 minutes)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportCard, parseCard } from '../shared/cards/index.ts';
import { machine, npmStartArgs, startService, table, writeResult } from './bench-kit.ts';

const CHARACTERS = Number(process.env.BENCH_CHARACTERS ?? 200);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 50);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 40_000);
const BOOK_ENTRIES = 5000;

const PREVIOUS_SETTINGS: Record<string, string> = {
  CPU_POOL_MIN_THREADS: String(os.availableParallelism()),
  CPU_POOL_IDLE_TIMEOUT_MS: '60000',
  WORLD_INFO_CACHE_BOOKS: '64',
  STATE_CACHE_MAX_EVENTS: '200000',
  EMBEDDED_POSTGRES_SETTINGS: [
    'max_connections=200',
    'shared_buffers=128MB',
    'wal_buffers=-1',
    'maintenance_work_mem=64MB',
    'temp_buffers=8MB',
    'io_workers=3',
    'max_worker_processes=8',
    'max_parallel_workers=8',
    'max_parallel_workers_per_gather=2',
    'autovacuum_max_workers=3',
    'huge_pages=try',
  ].join(','),
};

const mib = (kib: number) => Math.round(kib / 102.4) / 10;

function statusKiB(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function postgresPssKiB(dataDir: string): number {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  const pss = (pid: number) => {
    try {
      return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  let total = pss(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) total += pss(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The workload's data, built once.
const fixture = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
const parsed = parseCard(fixture, { filename: 'Seraphina.png' });
if (!parsed.ok) throw new Error('fixture did not parse');
const { card, avatar } = parsed;
const syllables = ['ka', 'el', 'thas', 'mor', 'wen', 'dra', 'ri', 'on', 'sil', 'va', 'lin', 'or', 'eth', 'ba', 'rak', 'zu'];
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const word = () => Array.from({ length: 3 }, () => syllables[Math.floor(rnd() * syllables.length)]).join('');
const keys = Array.from({ length: BOOK_ENTRIES }, () => [word(), `${word()} ${word()}`]);
const book = {
  entries: Object.fromEntries(
    keys.map((k, uid) => [
      uid,
      { uid, key: k, keysecondary: [], content: `Lore of ${k[0]}: ${Array(40).fill(word()).join(' ')}`, order: 100 },
    ]),
  ),
};

async function workload(url: string, key: string): Promise<void> {
  const headers = { 'X-API-KEY': key, 'content-type': 'application/json' };
  const post = async (p: string, body: unknown, expect = 201) => {
    const res = await fetch(`${url}${p}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const out = (await res.json()) as any;
    // A create whose read model lags past the read-your-writes wait answers 202 with its id: the work is done.
    if (res.status !== expect && !(expect === 201 && res.status === 202))
      throw new Error(`${p} answered ${res.status}: ${JSON.stringify(out).slice(0, 300)}`);
    return out;
  };
  let next = 0;
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < CHARACTERS) {
        const i = next++;
        ids.push((await post('/api/v1/characters', { name: `Memory ${i}`, description: `character ${i} `.repeat(20) })).id);
      }
    }),
  );
  await Promise.all(
    ids.slice(0, 10).map(async (characterId) => {
      const chat = await post('/api/v1/character_chats', { character_id: characterId });
      for (let m = 0; m < APPENDS; m++)
        await post(`/api/v1/character_messages/chats/${chat.id}/messages`, {
          sender: m % 2 ? 'assistant' : 'user',
          content: `message ${m} ${word()}`,
        });
    }),
  );
  for (let i = 0; i < 20; i++) {
    const bytes = exportCard({ ...card, data: { ...card.data, name: `Imported ${i}` } }, 'png', { avatar }).bytes;
    const form = new FormData();
    form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'card.png');
    const res = await fetch(`${url}/api/v1/characters/import`, { method: 'POST', headers: { 'X-API-KEY': key }, body: form });
    if (res.status !== 201 && res.status !== 202) throw new Error(`import answered ${res.status}`);
  }
  const imported = await post('/api/v1/characters/world-books/import?name=MemoryBook', book);
  for (let i = 0; i < 40; i++) {
    const messages = Array.from({ length: 20 }, (_, m) => ({
      role: m % 2 ? 'assistant' : 'user',
      content: `${Array(60).fill(0).map(word).join(' ')} ${keys[Math.floor(rnd() * BOOK_ENTRIES)]![0]}`,
    }));
    await post(
      '/api/v1/characters/world-books/process-context',
      {
        messages,
        world_book_ids: [imported.id],
        include_global: false,
        settings: { scan_depth: 20, recursive: true },
        diagnostics: 'none',
      },
      200,
    );
  }
}

async function measure(label: string, env: Record<string, string>, nodeArgs?: string[]) {
  const service = await startService(env, nodeArgs);
  try {
    await sleep(5000);
    const idle = { node: statusKiB(service.pid, 'VmRSS'), postgres: postgresPssKiB(service.dataDir) };
    let peak = { ...idle };
    const sampler = setInterval(() => {
      peak = {
        node: Math.max(peak.node, statusKiB(service.pid, 'VmRSS')),
        postgres: Math.max(peak.postgres, postgresPssKiB(service.dataDir)),
      };
    }, 250);
    const started = performance.now();
    await workload(service.url, service.key);
    const workloadS = Math.round((performance.now() - started) / 100) / 10;
    clearInterval(sampler);
    await sleep(SETTLE_MS);
    const settled = { node: statusKiB(service.pid, 'VmRSS'), postgres: postgresPssKiB(service.dataDir) };
    return { label, idle, peak, settled, workloadS };
  } finally {
    await service.stop();
  }
}

/** The idle RSS of a start that fills an empty compile cache (what the first `npm start` after an install costs). */
async function firstStartIdleKiB(env: Record<string, string>): Promise<number> {
  const service = await startService(env, npmStartArgs());
  try {
    await sleep(5000);
    return statusKiB(service.pid, 'VmRSS');
  } finally {
    await service.stop();
  }
}

const compileCache = mkdtempSync(path.join(os.tmpdir(), 'ccb-bench-compile-cache-'));
const npmStartEnv = { NODE_COMPILE_CACHE: compileCache };
let firstStart: number;
let runs: Awaited<ReturnType<typeof measure>>[];
try {
  firstStart = await firstStartIdleKiB(npmStartEnv);
  runs = [
    await measure('previous settings', PREVIOUS_SETTINGS),
    await measure('main.ts, no flags', {}),
    await measure('npm start', npmStartEnv, npmStartArgs()),
  ];
} finally {
  rmSync(compileCache, { recursive: true, force: true });
}
const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
table(
  runs.map((r) => ({
    settings: r.label,
    'node idle MiB': mib(r.idle.node),
    'node peak MiB': mib(r.peak.node),
    'node settled MiB': mib(r.settled.node),
    'settled / idle': Math.round((r.settled.node / r.idle.node) * 100) / 100,
    'postgres idle MiB': mib(r.idle.postgres),
    'postgres peak MiB': mib(r.peak.postgres),
    'postgres settled MiB': mib(r.settled.postgres),
    'workload s': r.workloadS,
  })),
);
const now = runs[2]!;
console.log(`npm start, first start (empty compile cache): node idle ${mib(firstStart)} MiB`);
console.log(
  `Targets: node idle <= 150 MiB: ${mib(now.idle.node) <= 150 ? 'met' : 'NOT met'}; settled within 1.2x of idle: ${now.settled.node <= now.idle.node * 1.2 ? 'met' : 'NOT met'}`,
);
console.log(`Machine: ${machine()}; load average after the run ${load.join(' / ')}`);
writeResult('memory', { characters: CHARACTERS, appends: APPENDS, settleMs: SETTLE_MS, firstStartIdleKiB: firstStart, runs, load });
