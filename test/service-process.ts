import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectionStringFor, readOwner, readPassword } from '../infra/db/embedded-postgres.ts';

/**
 * The service as a user runs it, in a child process: `node services/all-in-one/main.ts` (what `npm start`
 * runs) on a DATA_DIR, for the tests that stop, kill -9 and restart it.
 */
export const projectRoot = process.cwd();
export const nodeBinary = path.join(projectRoot, 'node_modules', '.bin', 'node');

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  exited(): Promise<number | null>;
}

/** A temporary DATA_DIR the embedded PostgreSQL (which runs as `postgres` under root) can enter. */
export function tempDataDir(prefix = 'ccb-proc-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    await sleep(intervalMs);
  }
}

/**
 * Starts the all-in-one service on `dataDir` and resolves once /health answers. `env` is added to the test
 * process's environment (NODE_OPTIONS cleared: Jest's flags are not for the child; the datastores the test run
 * itself was given, such as CI's REDIS_URL, are not inherited: the child is `npm start`'s embedded default
 * unless the test says otherwise).
 */
export async function startServiceProcess(options: {
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const { REDIS_URL: _redis, DATABASE_URL: _database, EVENTSTORE_URL: _eventStore, ...inherited } = process.env;
  const child = spawn(nodeBinary, ['services/all-in-one/main.ts'], {
    cwd: projectRoot,
    env: { ...inherited, NODE_OPTIONS: '', LOG_LEVEL: 'info', ...options.env, PORT: String(port), DATA_DIR: options.dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  // Generous: a first start runs initdb, and the test machine's cores are often shared.
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`service exited early:\n${output.slice(-5000)}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not answer /health:\n${output.slice(-5000)}`);
    }
    await sleep(100);
  }
  return { child, pid: child.pid!, port, url, output: () => output, exited: () => exited(child) };
}

const liveChildren = new Set<ChildProcess>();

/** For afterAll: SIGKILL every service process still running (a failed test must not leave one behind). */
export async function killServiceProcesses(): Promise<void> {
  const running = [...liveChildren];
  for (const c of running) c.kill('SIGKILL');
  await Promise.all(running.map(exited));
}

/** kill -9: no shutdown hook runs; the embedded PostgreSQL it started is left orphaned. */
export async function killHard(service: ServiceProcess): Promise<void> {
  service.child.kill('SIGKILL');
  await service.exited();
}

/** The pid of the embedded PostgreSQL under `dataDir`, if one runs. */
export function postgresPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** For afterAll: stops the embedded PostgreSQL a killed service left running under `dataDir` (immediate shutdown). */
export async function stopOrphanedPostgres(dataDir: string): Promise<void> {
  const pid = postgresPid(dataDir);
  if (pid === undefined) return;
  process.kill(pid, 'SIGQUIT');
  await waitFor(`orphaned PostgreSQL ${pid} to exit`, () => postgresPid(dataDir) === undefined, 15_000, 50).catch(() => undefined);
}

/** The API key the service generated at its first start. */
export function apiKeyOf(dataDir: string): string {
  return readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
}

/** A connection string to the embedded PostgreSQL that the running service under `dataDir` owns. */
export async function embeddedDatabaseUrl(dataDir: string): Promise<string> {
  const dir = path.join(dataDir, 'postgres');
  const owner = await readOwner(dir);
  if (!owner) throw new Error(`no running service owns the PostgreSQL under ${dir}`);
  return connectionStringFor(await readPassword(dir), owner.port);
}

/** A small JSON client for one service: `call` never throws on an HTTP status, only on a dead connection. */
export function apiClient(baseUrl: string, key: string) {
  return async function call(
    method: string,
    urlPath: string,
    options: { body?: unknown; headers?: Record<string, string>; form?: FormData; signal?: AbortSignal } = {},
  ) {
    const res = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: { 'X-API-KEY': key, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : options.form ? { body: options.form } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body, headers: res.headers };
  };
}
