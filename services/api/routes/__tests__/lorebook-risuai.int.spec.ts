import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

/**
 * RisuAI's decorators and the `risuai` profile over HTTP (process-context): `@@inject_lore` and `@@end` in every
 * profile, RisuAI's key search (`red fox` matches `redfox`) only in `risuai`, and the diagnostic naming what the
 * spec says.
 */
let svc: TestService;
let bookId: string;

const PROCESS = '/api/v1/characters/world-books/process-context';
const TEXT = 'We reach the castle and meet a redfox.';

beforeAll(async () => {
  svc = await startTestService({ roles: { api: true, projector: true, worker: false } });
  const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Risu' } });
  expect(book.status).toBe(201);
  bookId = book.body.id;
  const entries = [
    { comment: 'Target', keys: ['castle'], content: 'Base lore.', order: 10 },
    { comment: 'Injector', keys: ['castle'], content: '@@inject_lore Target\nMore lore.', order: 20 },
    { comment: 'Fox', keys: ['red fox'], content: 'Fox lore.', order: 30 },
    { comment: 'Closing', keys: ['castle'], content: '@@end\nClosing words.', order: 40 },
  ];
  for (const body of entries) {
    const res = await svc.request('POST', `/api/v1/characters/world-books/${bookId}/entries`, { body });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await svc?.close();
});

async function processContext(compatibility: string) {
  const res = await svc.request('POST', PROCESS, {
    body: { world_book_ids: [bookId], include_global: false, text: TEXT, compatibility, diagnostics: 'all' },
  });
  expect(res.status).toBe(200);
  return res.body as {
    compatibility: unknown;
    activated: Array<{ comment: string; position: string }>;
    injections: { before: string; end: unknown[] };
    diagnostics: Array<Record<string, unknown>>;
  };
}

describe('RisuAI decorators and the risuai profile over HTTP', () => {
  test.each(['sillytavern', 'corrected', 'risuai'])('@@inject_lore and @@end apply in %s', async (mode) => {
    const body = await processContext(mode);
    expect(body.compatibility).toEqual({ mode, source: 'request' });
    expect(body.injections.before).toContain('Base lore. More lore.');
    expect(body.injections.end).toEqual([{ role: 'system', content: 'Closing words.' }]);
    expect(body.activated.find((a) => a.comment === 'Injector')?.position).toBe('injected');
  });

  test('risuai matches keys without spaces and says what the spec would have done', async () => {
    const spec = await processContext('corrected');
    expect(spec.activated.map((a) => a.comment)).not.toContain('Fox');
    const risu = await processContext('risuai');
    expect(risu.activated.map((a) => a.comment)).toContain('Fox');
    expect(risu.diagnostics.find((d) => d.comment === 'Fox')).toMatchObject({
      status: 'activated',
      quirk: 'risuai_keys_ignore_spaces',
      other_mode: 'corrected',
      other_outcome: 'not_activated',
      other_reason: 'no_match',
    });
  });

  test('an unknown profile is still a 400', async () => {
    const res = await svc.request('POST', PROCESS, { body: { world_book_ids: [bookId], text: TEXT, compatibility: 'risu' } });
    expect(res.status).toBe(400);
  });
});
