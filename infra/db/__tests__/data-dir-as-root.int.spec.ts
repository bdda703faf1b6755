import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { startEmbeddedPostgres } from '../embedded-postgres.ts';
import { apiClient, apiKeyOf, killServiceProcesses, startServiceProcess, stopOrphanedPostgres } from '../../../test/service-process.ts';

/**
 * Started as root, the embedded PostgreSQL runs as the `postgres` user, which must pass through DATA_DIR. A
 * DATA_DIR made by `mktemp -d` (mode 0700, owned by root) is the service's own: it opens it for traversal itself.
 * A folder above DATA_DIR that is not the service's is refused at once, with the command that fixes it.
 */
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('SKIP data-dir-as-root: the process is not root (the embedded PostgreSQL then runs as this user)');
const rootOnly = isRoot ? describe : describe.skip;

const made: string[] = [];
afterAll(async () => {
  await killServiceProcesses();
  for (const dir of made) {
    await stopOrphanedPostgres(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

rootOnly('DATA_DIR as root', () => {
  test('npm start on a mktemp -d DATA_DIR (mode 0700) starts and serves', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ccb-root-'));
    made.push(dataDir);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const service = await startServiceProcess({ dataDir, env: { LOG_LEVEL: 'warn' } });
    const call = apiClient(service.url, apiKeyOf(dataDir));
    const created = await call('POST', '/api/v1/characters', { body: { name: 'Rooted' } });
    expect(created.status).toBe(201);
    expect((await call('GET', `/api/v1/characters/${created.body.id}`)).body.name).toBe('Rooted');
    // Opened for traversal only: others may enter, not list.
    expect(statSync(dataDir).mode & 0o777).toBe(0o701);
    service.child.kill('SIGTERM');
    expect(await service.exited()).toBe(0);
  }, 120_000);

  test('a folder above DATA_DIR that the postgres user cannot enter is refused at once, saying what to run', async () => {
    const outer = mkdtempSync(path.join(os.tmpdir(), 'ccb-root-outer-'));
    made.push(outer);
    chownSync(outer, 65534, 65534); // not ours (nobody), mode 0700
    const dataDir = path.join(outer, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const started = Date.now();
    await expect(startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), ownRoot: dataDir })).rejects.toThrow(
      `cannot enter ${outer} (mode 700, owner uid 65534): run 'chmod o+x ${outer}'`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(statSync(outer).mode & 0o777).toBe(0o700);
  });
});
