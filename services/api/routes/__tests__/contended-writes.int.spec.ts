/**
 * A write that names no expected version does not fail with 409 because other writes to the same resource won
 * the race: the command is retried from fresh state (bounded, with jitter). A stale expected_version stays a
 * 409. Real HTTP, real PostgreSQL, 50 requests at once.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const PARALLEL = 50;
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('contended writes without expected_version', () => {
  test(`${PARALLEL} parallel entry adds to one world book all succeed and ${PARALLEL} entries exist`, async () => {
    const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Contended lore' } });
    expect(book.status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries`, {
          body: { keys: [`key${i}`], content: `entry ${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    const entries = await svc.request('GET', `/api/v1/characters/world-books/${book.body.id}/entries?limit=100`);
    expect(entries.body.total).toBe(PARALLEL);
    expect(new Set(entries.body.items.map((e: { content: string }) => e.content)).size).toBe(PARALLEL);
    expect(entries.body.world_book_version).toBe(PARALLEL + 1);
  }, 60_000);

  test('a stale explicit expected_version is still a 409, and adds nothing', async () => {
    const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Stale lore' } });
    const first = await svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries?expected_version=1`, {
      body: { keys: ['a'], content: 'first' },
    });
    expect(first.status).toBe(201);
    const stale = await svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries?expected_version=1`, {
      body: { keys: ['b'], content: 'second' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: 2, expected_version: 1 });
    expect((await svc.request('GET', `/api/v1/characters/world-books/${book.body.id}/entries`)).body.total).toBe(1);
  });

  test('of parallel writes that all name the same current version, one wins and the others are 409', async () => {
    const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Raced lore' } });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries?expected_version=1`, {
          body: { keys: [`k${i}`], content: `raced ${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
  }, 30_000);

  test(`${PARALLEL} parallel character edits without expected_version all succeed`, async () => {
    const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Contended hero' } });
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        svc.request('PUT', `/api/v1/characters/${character.body.id}`, { body: { personality: `mood ${i}` } }),
      ),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect((await svc.request('GET', `/api/v1/characters/${character.body.id}`)).body.version).toBe(PARALLEL + 1);
  }, 60_000);
});
