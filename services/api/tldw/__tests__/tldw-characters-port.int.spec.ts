/**
 * A port of the original tldw_server's HTTP-level tests of characters and world books, run against its literal
 * paths. Each test names the original file and function. Where the original relied on something outside HTTP
 * (the seeded "Default Assistant" row of a fresh SQLite file, integer ids), the port says how it adapts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const NEW_API = 'Character_Chat_NEW/integration/test_character_api.py';
const WB_NEG = 'Character_Chat/test_world_book_negatives_and_new_endpoint.py';
/** An id no resource has (the original used 999999, an id of its integer form; ours are UUIDs). */
const MISSING_IDS = ['01a20b51-8aef-70e2-bc70-d07f7c1061d9'];

const post = (path: string, body: unknown) => svc.request('POST', path, { body });
/**
 * A request as a tldw_server client configured for this service sends it: with `X-API-Compat: tldw`, which
 * selects the original's answer on the paths both APIs share (a character's delete, its world books, a world
 * book's create and the entries' bulk change); every other path answers the same with or without it.
 */
const COMPAT = { 'X-API-Compat': 'tldw' };
const tldw = (method: string, path: string, body?: unknown) =>
  svc.request(method, path, { headers: COMPAT, ...(body !== undefined ? { body } : {}) });
const card = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: 'Test',
  personality: 'Test',
  first_message: 'Hi!',
  ...extra,
});

/** The original's fresh database holds a seeded character its tests pick with `GET /characters/` `[0]`. */
async function someCharacterId(): Promise<string> {
  const listed = await svc.request('GET', '/api/v1/characters/');
  expect(listed.status).toBe(200);
  if (listed.body.length > 0) return listed.body[0].id;
  return (await post('/api/v1/characters/', card('Default Assistant'))).body.id;
}

describe(NEW_API, () => {
  test(`${NEW_API}::TestCharacterCardEndpoints::test_create_character_endpoint`, async () => {
    const res = await post('/api/v1/characters/', {
      name: 'Sample Character',
      description: 'A sample',
      personality: 'Kind',
      scenario: 'Testing',
      first_message: 'Hello',
      message_example: 'User: hi',
      tags: ['sample'],
    });
    expect(res.status).toBe(201);
    expect(typeof res.body.id).toBe('string');
    expect(res.body.id.length).toBeGreaterThan(0);
  });

  test(`${NEW_API}::TestCharacterCardEndpoints::test_get_character_endpoint`, async () => {
    const created = await post('/api/v1/characters/', {
      name: 'API Test Character',
      description: 'Test character via API',
      personality: 'Friendly',
      first_message: 'Hello!',
    });
    const res = await svc.request('GET', `/api/v1/characters/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('API Test Character');
    expect(res.body.description).toBe('Test character via API');
  });

  test(`${NEW_API}::TestCharacterCardEndpoints::test_list_characters_endpoint`, async () => {
    for (let i = 0; i < 3; i++) await post('/api/v1/characters/', card(`Character ${i}`, { description: `Description ${i}` }));
    const res = await svc.request('GET', '/api/v1/characters/');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.length).toBeGreaterThanOrEqual(3);
  });

  test(`${NEW_API}::TestCharacterCardEndpoints::test_update_character_endpoint`, async () => {
    const created = await post('/api/v1/characters/', card('Original', { description: 'Original desc' }));
    const { id, version } = created.body;
    const updated = await svc.request('PUT', `/api/v1/characters/${id}?expected_version=${version}`, {
      body: { name: 'Updated', description: 'Updated description' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(id);
    expect((await svc.request('GET', `/api/v1/characters/${id}`)).body.name).toBe('Updated');
  });

  test(`${NEW_API}::TestCharacterCardEndpoints::test_delete_character_endpoint`, async () => {
    const created = await tldw('POST', '/api/v1/characters/', card('To Delete'));
    const { id, version } = created.body;
    const deleted = await tldw('DELETE', `/api/v1/characters/${id}?expected_version=${version}`);
    expect(deleted.status).toBe(200);
    expect('message' in deleted.body || 'detail' in deleted.body).toBe(true);
    expect((await tldw('GET', `/api/v1/characters/${id}`)).status).toBe(404);
  });

  test(`${NEW_API}::TestCharacterCardEndpoints::test_update_character_version_conflict`, async () => {
    const created = await post('/api/v1/characters/', card('Version Test', { description: 'v1' }));
    const res = await svc.request('PUT', `/api/v1/characters/${created.body.id}?expected_version=${created.body.version + 1}`, {
      body: { description: 'should fail' },
    });
    expect(res.status).toBe(409);
  });

  test(`${NEW_API}::TestCharacterCardEndpoints::test_delete_character_version_conflict`, async () => {
    const created = await post('/api/v1/characters/', card('Del Version', { description: 'v1' }));
    const res = await svc.request('DELETE', `/api/v1/characters/${created.body.id}?expected_version=${created.body.version + 1}`);
    expect(res.status).toBe(409);
  });

  test(`${NEW_API}::TestWorldBookEndpoints::test_world_book_crud_and_attach`, async () => {
    const wb = await tldw('POST', '/api/v1/characters/world-books', { name: 'WB1', description: 'A test world book' });
    expect(wb.status).toBe(201);
    const wbId = wb.body.id;
    const listed = await tldw('GET', '/api/v1/characters/world-books');
    expect(listed.status).toBe(200);
    expect(listed.body.world_books.some((b: { id: string }) => b.id === wbId)).toBe(true);
    const charId = (await tldw('POST', '/api/v1/characters/', card('WBChar', { description: 'd', personality: 'p', first_message: 'hi' })))
      .body.id;
    const attached = await tldw('POST', `/api/v1/characters/${charId}/world-books`, { world_book_id: wbId });
    expect(attached.status).toBe(200);
    const charBooks = await tldw('GET', `/api/v1/characters/${charId}/world-books`);
    expect(charBooks.status).toBe(200);
    expect(charBooks.body.map((b: { world_book_id: string }) => b.world_book_id)).toContain(wbId);
    const deleted = await tldw('DELETE', `/api/v1/characters/world-books/${wbId}?expected_version=1`);
    expect(deleted.status).toBe(200);
  });

  test(`${NEW_API}::TestSearchEndpoints::test_search_characters_endpoint`, async () => {
    await post(
      '/api/v1/characters/',
      card('Fantasy Wizard', { description: 'Magic user', personality: 'Wise', tags: ['fantasy', 'magic'] }),
    );
    await post('/api/v1/characters/', card('Science Bot', { description: 'Science helper', tags: ['science', 'education'] }));
    const res = await svc.request('GET', '/api/v1/characters/search/?query=fantasy');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.length).toBeGreaterThanOrEqual(1);
    expect(res.body.some((r: unknown) => JSON.stringify(r).toLowerCase().includes('fantasy'))).toBe(true);
  });

  test(`${NEW_API}::TestSearchEndpoints::test_filter_by_tags_endpoint`, async () => {
    for (let i = 0; i < 3; i++) await post('/api/v1/characters/', card(`Tagged ${i}`, { tags: ['common', `unique${i}`] }));
    const res = await svc.request('GET', '/api/v1/characters/filter?tags=common');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.length).toBeGreaterThanOrEqual(3);
  });

  test(`${NEW_API}::TestImportExportEndpoints::test_export_character_endpoint`, async () => {
    const id = (await post('/api/v1/characters/', card('Export Test', { description: 'To be exported', tags: ['export', 'test'] }))).body
      .id;
    const res = await svc.request('GET', `/api/v1/characters/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Export Test');
  });
});

describe(WB_NEG, () => {
  const book = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    description: 'd',
    scan_depth: 3,
    token_budget: 500,
    recursive_scanning: false,
    enabled: true,
    ...extra,
  });

  test(`${WB_NEG}::test_world_book_negative_paths_and_duplicate_name`, async () => {
    const create = book('WB duplicate');
    expect((await tldw('POST', '/api/v1/characters/world-books', create)).status).toBe(201);
    expect((await tldw('POST', '/api/v1/characters/world-books', create)).status).toBe(409);

    const characterId = await someCharacterId();
    for (const missing of MISSING_IDS) {
      expect((await tldw('GET', `/api/v1/characters/world-books/${missing}`)).status).toBe(404);
      expect((await tldw('PUT', `/api/v1/characters/world-books/${missing}`, { name: 'new' })).status).toBe(404);
      expect((await tldw('DELETE', `/api/v1/characters/world-books/${missing}`)).status).toBe(404);
      expect((await tldw('POST', `/api/v1/characters/${characterId}/world-books`, { world_book_id: missing })).status).toBe(404);
      expect((await tldw('DELETE', `/api/v1/characters/${characterId}/world-books/${missing}`)).status).toBe(404);
    }

    const wb2 = (await tldw('POST', '/api/v1/characters/world-books', book('WB second'))).body.id;
    const entry = await tldw('POST', `/api/v1/characters/world-books/${wb2}/entries`, {
      keywords: ['k'],
      content: 'c',
      priority: 1,
      enabled: true,
    });
    expect(entry.status).toBe(201);
    const entryId = entry.body.id;
    const emptied = await tldw('PUT', `/api/v1/characters/world-books/entries/${entryId}`, { content: '' });
    expect([200, 500]).toContain(emptied.status);
    const badRegex = await tldw('PUT', `/api/v1/characters/world-books/entries/${entryId}`, {
      keywords: ['[invalid'],
      regex_match: true,
    });
    expect(badRegex.status).toBe(400);
    const bulk = await tldw('POST', '/api/v1/characters/world-books/entries/bulk', {
      entry_ids: [entryId, 123456789],
      operation: 'set_priority',
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.success).toBe(false);
    expect(bulk.body.failed_ids).toContain(entryId);
  });

  test(`${WB_NEG}::test_world_book_process_endpoint_handles_new_return_shape`, async () => {
    const wbId = (await post('/api/v1/characters/world-books', book('WB process', { description: 'Lore book' }))).body.id;
    const entry = await post(`/api/v1/characters/world-books/${wbId}/entries`, {
      keywords: ['artifact'],
      content: 'Ancient artifact details.',
      priority: 10,
    });
    expect(entry.status).toBe(201);
    const res = await post('/api/v1/characters/world-books/process', { text: 'Tell me about the artifact.', world_book_ids: [wbId] });
    expect(res.status).toBe(200);
    expect(res.body.entries_matched).toBe(1);
    expect(res.body.books_used).toBe(1);
    expect(res.body.tokens_used).toBeGreaterThanOrEqual(0);
    expect(res.body.injected_content.toLowerCase()).toContain('artifact');
    expect(res.body.entry_ids).toHaveLength(1);
  });

  test(`${WB_NEG}::test_world_book_process_endpoint_returns_diagnostics_payload`, async () => {
    const wbId = (await post('/api/v1/characters/world-books', book('WB diagnostics', { recursive_scanning: true }))).body.id;
    for (const entry of [
      { keywords: ['seed'], content: 'dragon marker', priority: 120, enabled: true },
      { keywords: ['se.d'], content: 'regex marker', priority: 110, enabled: true, regex_match: true },
      { keywords: ['dragon'], content: 'depth marker', priority: 90, enabled: true },
    ])
      expect((await post(`/api/v1/characters/world-books/${wbId}/entries`, entry)).status).toBe(201);
    const res = await post('/api/v1/characters/world-books/process', {
      text: 'seed',
      world_book_ids: [wbId],
      token_budget: 200,
      recursive_scanning: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.token_budget).toBe(200);
    expect(typeof res.body.budget_exhausted).toBe('boolean');
    expect(Number.isInteger(res.body.skipped_entries_due_to_budget)).toBe(true);
    const reasons = new Set(res.body.diagnostics.map((d: { activation_reason: string }) => d.activation_reason));
    expect([...reasons]).toEqual(expect.arrayContaining(['keyword_match', 'regex_match', 'depth']));
    for (const d of res.body.diagnostics) {
      expect(Number.isInteger(d.token_cost)).toBe(true);
      expect(d.token_cost).toBeGreaterThanOrEqual(0);
    }
  });
});
