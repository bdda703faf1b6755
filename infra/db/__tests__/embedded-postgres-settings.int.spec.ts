import { rmSync } from 'node:fs';
import { afterAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { connectDatabase, EMBEDDED_POSTGRES_DEFAULTS } from '../connect.ts';
import { tempDataDir } from '../../../test/service-process.ts';

/**
 * The service's embedded PostgreSQL runs with small-footprint settings by default (PostgreSQL's own defaults are
 * sized for a dedicated machine), and EMBEDDED_POSTGRES_SETTINGS overrides any of them.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function settingsOf(env: Record<string, string>): Promise<Record<string, string>> {
  const dataDir = tempDataDir('ccb-pgsettings-');
  dirs.push(dataDir);
  const config = loadConfig({ DATA_DIR: dataDir, ...env });
  const connection = await connectDatabase(config, createLogger('silent'));
  const client = new pg.Client({ connectionString: connection.connectionString });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings
        WHERE name IN ('shared_buffers', 'max_connections', 'io_workers', 'work_mem', 'autovacuum_max_workers')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
    await connection.stop();
  }
}

describe('embedded PostgreSQL settings', () => {
  test('small-footprint defaults', async () => {
    expect(await settingsOf({})).toEqual({
      shared_buffers: EMBEDDED_POSTGRES_DEFAULTS.shared_buffers,
      max_connections: EMBEDDED_POSTGRES_DEFAULTS.max_connections,
      io_workers: EMBEDDED_POSTGRES_DEFAULTS.io_workers,
      work_mem: EMBEDDED_POSTGRES_DEFAULTS.work_mem,
      autovacuum_max_workers: EMBEDDED_POSTGRES_DEFAULTS.autovacuum_max_workers,
    });
  }, 60_000);

  test('EMBEDDED_POSTGRES_SETTINGS overrides them; a malformed value stops the start naming the variable', async () => {
    expect(await settingsOf({ EMBEDDED_POSTGRES_SETTINGS: 'shared_buffers=128MB,max_connections=200' })).toMatchObject({
      shared_buffers: '128MB',
      max_connections: '200',
      io_workers: EMBEDDED_POSTGRES_DEFAULTS.io_workers,
    });
    expect(() => loadConfig({ EMBEDDED_POSTGRES_SETTINGS: 'shared_buffers 128MB' })).toThrow(/EMBEDDED_POSTGRES_SETTINGS/);
  }, 60_000);
});
