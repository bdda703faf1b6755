import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  exited,
  freePort,
  killServiceProcesses,
  nodeBinary as node,
  postgresPid as postgresPidOf,
  projectRoot as root,
  startServiceProcess,
  tempDataDir,
} from '../../../test/service-process.ts';

/**
 * The embedded default as a user runs it: `node services/all-in-one/main.ts` (what `npm start` runs) with a
 * DATA_DIR, stopped by SIGTERM, killed with SIGKILL, restarted on the same data.
 */
const dataDir = tempDataDir('ccb-e2e-');

afterAll(async () => {
  await killServiceProcesses();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (port: number) => startServiceProcess({ dataDir, port });
const postgresPid = () => postgresPidOf(dataDir);

describe('embedded default (npm start)', () => {
  test('a wrong setting stops the process with one line naming the variable', () => {
    const r = spawnSync(node, ['services/all-in-one/main.ts'], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', PORT: 'eighty', DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('PORT')]);
  });

  test('first start prints the generated key; data survives SIGTERM and kill -9; shutdown stops PostgreSQL', async () => {
    const port = await freePort();
    const first = await start(port);
    const key = readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
    expect(first.output()).toContain(key);
    const headers = { 'X-API-KEY': key, 'content-type': 'application/json' };
    const created = (await (
      await fetch(`http://127.0.0.1:${port}/api/v1/characters`, { method: 'POST', headers, body: JSON.stringify({ name: 'Survivor' }) })
    ).json()) as { id: string; version: number };
    expect(created.version).toBe(1);

    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    expect(postgresPid()).toBeUndefined();

    const second = await start(port);
    expect(second.output()).not.toContain(key); // printed once only
    const got = await fetch(`http://127.0.0.1:${port}/api/v1/characters/${created.id}`, { headers });
    expect(got.status).toBe(200);
    const updated = await fetch(`http://127.0.0.1:${port}/api/v1/characters/${created.id}?expected_version=1`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ description: 'acknowledged before the crash' }),
    });
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
