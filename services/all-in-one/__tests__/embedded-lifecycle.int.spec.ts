import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';

/**
 * The embedded default as a user runs it: `node services/all-in-one/main.ts` (what `npm start` runs) with a
 * DATA_DIR, stopped by SIGTERM, killed with SIGKILL, restarted on the same data.
 */
const root = process.cwd();
const node = path.join(root, 'node_modules', '.bin', 'node');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ccb-e2e-'));
chmodSync(dataDir, 0o755);
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function start(port: number) {
  const child = spawn(node, ['services/all-in-one/main.ts'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited early:\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`service did not answer /health:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

function postgresPid(): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

describe('embedded default (npm start)', () => {
  test('a wrong setting stops the process with one line naming the variable', () => {
    const r = spawnSync(node, ['services/all-in-one/main.ts'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '', PORT: 'eighty', DATA_DIR: dataDir }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('PORT')]);
  });

  test('first start prints the generated key; data survives SIGTERM and kill -9; shutdown stops PostgreSQL', async () => {
    const port = await freePort();
    const first = await start(port);
    const key = readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
    expect(first.output()).toContain(key);
    const headers = { 'X-API-KEY': key, 'content-type': 'application/json' };
    const created = (await (await fetch(`http://127.0.0.1:${port}/api/v1/characters`, { method: "POST", headers, body: JSON.stringify({ name: "Survivor" }) })).json()) as { id: string; version: number };
    expect(created.version).toBe(1);

    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    expect(postgresPid()).toBeUndefined();

    const second = await start(port);
    expect(second.output()).not.toContain(key); // printed once only
    const got = await fetch(`http://127.0.0.1:${port}/api/v1/characters/${created.id}`, { headers });
    expect(got.status).toBe(200);
    const updated = await fetch(`http://127.0.0.1:${port}/api/v1/characters/${created.id}?expected_version=1`, { method: 'PUT', headers, body: JSON.stringify({ description: 'acknowledged before the crash' }) });
    expect(updated.status).toBe(200);

    // kill -9 leaves PostgreSQL orphaned; the next start must recover it rather than fail on the lock file.
    second.child.kill('SIGKILL');
    await exited(second.child);
    const third = await start(port);
    const after = await (await fetch(`http://127.0.0.1:${port}/api/v1/characters/${created.id}`, { headers })).json();
    expect(after).toMatchObject({ description: 'acknowledged before the crash', version: 2 });
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toBe(0);
    expect(postgresPid()).toBeUndefined();
  }, 120_000);
});
