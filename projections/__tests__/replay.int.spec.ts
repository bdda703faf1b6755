import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { startTestService, type TestService } from '../../test/harness.ts';
import { projections } from '../registry.ts';
import { parseUntil, replayReadModels } from '../replay.ts';

/** Read models as of a past point, built into a schema of their own for an audit; the live schema untouched. */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const run = promisify(execFile);

describe('replay to a past point', () => {
  let first: string;
  let firstPosition: string;
  let between: Date;

  beforeAll(async () => {
    first = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Early', description: 'as it was' } })).body.id;
    firstPosition = await svc.runtime.eventStore.headPosition();
    await new Promise((r) => setTimeout(r, 50));
    between = new Date();
    await new Promise((r) => setTimeout(r, 50));
    expect(
      (await svc.request('PUT', `/api/v1/characters/${first}?expected_version=1`, { body: { description: 'as it is now' } })).status,
    ).toBe(200);
    expect((await svc.request('POST', '/api/v1/characters', { body: { name: 'Late' } })).status).toBe(201);
  });

  const charactersIn = async (schema: string) =>
    await svc.runtime.database.db
      .withSchema(schema)
      .selectFrom('characters')
      .select(['id', 'name', 'description', 'version'])
      .orderBy('name')
      .execute();

  test('until a log position: the read models as they were then', async () => {
    const { db } = svc.runtime.database;
    const result = await replayReadModels({
      db,
      eventStore: svc.runtime.eventStore,
      liveSchema: 'read',
      targetSchema: 'audit_position',
      until: { position: firstPosition },
      projections,
    });
    expect(result.lastPosition).toBe(firstPosition);
    expect(result.tables.characters).toBe(1);
    expect(await charactersIn('audit_position')).toEqual([{ id: first, name: 'Early', description: 'as it was', version: 1 }]);
    // The live schema is as it is now.
    expect((await charactersIn('read')).map((c) => [c.name, c.description])).toEqual([
      ['Early', 'as it is now'],
      ['Late', ''],
    ]);
    const checkpoints = await db.withSchema('audit_position').selectFrom('projection_checkpoints').select(['name', 'position']).execute();
    expect(checkpoints.map((c) => c.position)).toEqual(projections.map(() => firstPosition));
  });

  test('until a timestamp: every event created at or before it', async () => {
    const { db } = svc.runtime.database;
    const result = await replayReadModels({
      db,
      eventStore: svc.runtime.eventStore,
      liveSchema: 'read',
      targetSchema: 'audit_time',
      until: parseUntil(between.toISOString()),
      projections,
    });
    expect(result.lastPosition).toBe(firstPosition);
    expect(await charactersIn('audit_time')).toEqual([{ id: first, name: 'Early', description: 'as it was', version: 1 }]);
    // Replaying again into the same audit schema replaces it.
    const now = await replayReadModels({
      db,
      eventStore: svc.runtime.eventStore,
      liveSchema: 'read',
      targetSchema: 'audit_time',
      until: { timestamp: new Date() },
      projections,
    });
    expect(now.tables.characters).toBe(2);
    expect((await charactersIn('audit_time')).map((c) => c.description)).toEqual(['as it is now', '']);
  });

  test('refuses the live schema, system schemas and a schema that holds something else', async () => {
    const { db } = svc.runtime.database;
    const attempt = (targetSchema: string) =>
      replayReadModels({
        db,
        eventStore: svc.runtime.eventStore,
        liveSchema: 'read',
        targetSchema,
        until: { position: firstPosition },
        projections,
      });
    await expect(attempt('read')).rejects.toThrow(/live read-model schema/);
    await expect(attempt('es')).rejects.toThrow(/reserved/);
    await expect(attempt('Bad-Name')).rejects.toThrow(/identifier/);
    await sql`CREATE SCHEMA precious`.execute(db);
    await sql`CREATE TABLE precious.keep (x int)`.execute(db);
    await expect(attempt('precious')).rejects.toThrow(/does not hold read models/);
    expect((await sql`SELECT to_regclass('precious.keep') AS t`.execute(db)).rows[0]).toEqual({ t: 'precious.keep' });
    expect(await charactersIn('read')).toHaveLength(2);
  });

  test('parseUntil: ISO timestamps and dates (UTC unless stated), anything else is a position', () => {
    expect(parseUntil('2026-11-24T10:00:00Z')).toEqual({ timestamp: new Date('2026-11-24T10:00:00Z') });
    expect(parseUntil('2026-11-24T10:00:00')).toEqual({ timestamp: new Date('2026-11-24T10:00:00Z') });
    expect(parseUntil('2026-11-24T10:00:00+02:00')).toEqual({ timestamp: new Date('2026-11-24T08:00:00Z') });
    expect(parseUntil('2026-11-24')).toEqual({ timestamp: new Date('2026-11-24T00:00:00Z') });
    expect(parseUntil('00000000000000000751-00000000000000000012')).toEqual({ position: '00000000000000000751-00000000000000000012' });
    expect(() => parseUntil('2026-13-45')).toThrow(RangeError);
  });

  test('the CLI: npm run replay -- --until <position> --schema <name> prints counts; refusals exit 1', async () => {
    const node = path.resolve(process.cwd(), 'node_modules/.bin/node');
    const env = {
      ...process.env,
      DATABASE_URL: svc.databaseUrl,
      DATA_DIR: svc.runtime.config.dataDir,
      LOG_LEVEL: 'silent',
      NODE_OPTIONS: '',
    };
    const { stdout } = await run(node, ['services/projector/replay.ts', '--until', firstPosition, '--schema', 'audit_cli'], {
      env,
      cwd: process.cwd(),
    });
    expect(stdout).toMatch(/^replayed \d+ events \(last position \d+-\d+\) into schema audit_cli/);
    expect(stdout).toContain('  characters: 1 rows');
    expect(await charactersIn('audit_cli')).toEqual([{ id: first, name: 'Early', description: 'as it was', version: 1 }]);
    const refused = await run(node, ['services/projector/replay.ts', '--until', firstPosition, '--schema', 'read'], {
      env,
      cwd: process.cwd(),
    }).catch((err: { code: number; stderr: string }) => err);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toContain('live read-model schema');
    const usage = await run(node, ['services/projector/replay.ts', '--schema', 'x'], { env, cwd: process.cwd() }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(usage).toMatchObject({ code: 2 });
  }, 180_000);
});
