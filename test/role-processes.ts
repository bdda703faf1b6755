import { spawn, type ChildProcess } from 'node:child_process';
import { exited, freePort, nodeBinary, projectRoot, sleep, waitFor } from './service-process.ts';

/**
 * The distributed topology in child processes: `npm run start:api`, `start:projector` and `start:worker` (their
 * entry points), each configured by the environment the test gives, on datastores the test started.
 */
export type Role = 'api' | 'projector' | 'worker';

const ENTRY: Record<Role, string> = {
  api: 'services/api/main.ts',
  projector: 'services/projector/main.ts',
  worker: 'services/worker/main.ts',
};

export interface RoleProcess {
  role: Role;
  name: string;
  child: ChildProcess;
  pid: number;
  /** The API's base URL (api) or the health endpoint's (projector, worker). */
  url: string;
  output(): string;
  health(): Promise<{ status: number; body: any }>;
  /** kill -9: no shutdown hook runs. */
  kill(): Promise<void>;
  exited(): Promise<number | null>;
}

const live = new Set<ChildProcess>();

export async function startRoleProcess(role: Role, name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<RoleProcess> {
  const port = await freePort();
  const { REDIS_URL: _r, DATABASE_URL: _d, EVENTSTORE_URL: _e, ...inherited } = process.env;
  const child = spawn(nodeBinary, [ENTRY[role]], {
    cwd: projectRoot,
    env: {
      ...inherited,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'warn',
      ...env,
      ...(role === 'api' ? { PORT: String(port) } : { HEALTH_PORT: String(port) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 1_000_000) output = output.slice(-500_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const health = async () => {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  };
  await waitFor(
    `${name} to answer /health`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited early:\n${output.slice(-3000)}`);
      return (await health().catch(() => ({ status: 0 }))).status === 200;
    },
    timeoutMs,
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`);
  });
  return {
    role,
    name,
    child,
    pid: child.pid!,
    url,
    output: () => output,
    health,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    exited: () => exited(child),
  };
}

/** For afterAll: kill -9 every role process still running. */
export async function killRoleProcesses(): Promise<void> {
  const running = [...live];
  for (const c of running) c.kill('SIGKILL');
  await Promise.all(running.map(exited));
}

/** A redis-server of the test's own on a free port (no persistence); undefined when none is installed. */
export async function startRedisServer(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    child.once('spawn', () => resolve(false));
  });
  if (failed) return undefined;
  const url = `redis://127.0.0.1:${port}`;
  const { redisReachable } = await import('../infra/queue/queue.ts');
  await waitFor('redis-server to answer', () => redisReachable(url, 500), 10_000, 50);
  return {
    url,
    stop: async () => {
      child.kill('SIGKILL');
      await exited(child);
      await sleep(0);
    },
  };
}
