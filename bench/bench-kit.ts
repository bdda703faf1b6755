import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../infra/db/embedded-postgres.ts';

/** Shared helpers for the scripts under bench/ (run with `npm run bench`). */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN) };
}

/** A durable embedded PostgreSQL (fsync on, as `npm start` runs it) in a temporary folder. */
export async function benchPostgres(): Promise<{ server: EmbeddedPostgres; url: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ccb-bench-'));
  const server = await startEmbeddedPostgres({ dir });
  return {
    server,
    url: server.connectionString('postgres'),
    cleanup: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function writeResult(name: string, result: unknown): void {
  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${name}.json`),
    JSON.stringify({ name, machine: machine(), at: new Date().toISOString(), result }, null, 2),
  );
}

export function table(rows: Record<string, unknown>[]): void {
  console.table(rows);
}

/** `npm start`'s command line as node arguments (package.json `scripts.start` without its leading `node`). */
export function npmStartArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node`);
  return args;
}

/**
 * The embedded default in a child process on a fresh DATA_DIR; resolves once /health answers. `nodeArgs`: the node
 * command line (default: the entry point alone; `npmStartArgs()` for exactly what `npm start` runs).
 */
export async function startService(
  env: Record<string, string> = {},
  nodeArgs: string[] = ['services/all-in-one/main.ts'],
): Promise<{ url: string; key: string; pid: number; dataDir: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ccb-bench-svc-'));
  chmodSync(dataDir, 0o755);
  const port = 18000 + Math.floor(Math.random() * 1000);
  const child = spawn(path.join('node_modules', '.bin', 'node'), nodeArgs, {
    env: { ...process.env, NODE_OPTIONS: '', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // starting
    }
    if (i > 300 || child.exitCode !== null) throw new Error('service did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    // Multi-user mode writes no single-user key.
    key: existsSync(path.join(dataDir, 'api-key')) ? readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim() : '',
    pid: child.pid!,
    dataDir,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Requests to a bench's service with its key: `text` answers the body as text, `json` parsed; an answer of 300 or
 * more throws with its status and body. `headers` for other clients of the same service.
 */
export function serviceApi(service: { url: string; key: string }) {
  const headers = { 'content-type': 'application/json', 'x-api-key': service.key };
  const text = async (method: string, path: string, body?: unknown): Promise<string> => {
    const res = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const answer = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${answer}`);
    return answer;
  };
  const json = async (method: string, path: string, body?: unknown): Promise<any> => JSON.parse(await text(method, path, body));
  return { headers, text, json };
}

/** CPU time (user + system, ms) used so far by processes `pids` and, for each of `parents`, its children (Linux /proc). */
export function cpuMs(pids: number[], parents: number[] = []): number {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  const stat = (pid: number) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) * ticksToMs };
    } catch {
      return undefined;
    }
  };
  let total = 0;
  for (const pid of pids) total += stat(pid)?.cpu ?? 0;
  if (parents.length > 0) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const s = stat(Number(entry));
      if (s && parents.includes(s.ppid)) total += s.cpu;
    }
    for (const pid of parents) total += stat(pid)?.cpu ?? 0;
  }
  return total;
}
