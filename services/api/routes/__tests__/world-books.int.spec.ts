import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BASE = '/api/v1/characters/world-books';
const MISSING = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';

async function createBook(name: string, extra: Record<string, unknown> = {}) {
  const res = await svc.request('POST', BASE, { body: { name, ...extra } });
  expect(res.status).toBe(201);
  return res.body;
}

async function addEntry(bookId: string, fields: Record<string, unknown>) {
  const res = await svc.request('POST', `${BASE}/${bookId}/entries`, { body: fields });
  expect(res.status).toBe(201);
  return res.body;
}

describe('world books over HTTP', () => {
  test('create, read, list, update with versions, soft delete and restore', async () => {
    const book = await createBook('Lore A', { description: 'd' });
    expect(book).toMatchObject({
      name: 'Lore A',
      description: 'd',
      version: 1,
      enabled: true,
      is_global: false,
      entry_count: 0,
      deleted_at: null,
    });
    const got = await svc.request('GET', `${BASE}/${book.id}`);
    expect(got.status).toBe(200);
    expect(got.body.entries).toEqual([]);
    expect(got.headers.get('etag')).toBe('W/"1"');

    const updated = await svc.request('PUT', `${BASE}/${book.id}?expected_version=1`, { body: { name: 'Lore A2', is_global: true } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Lore A2', is_global: true, version: 2 });
    const stale = await svc.request('PUT', `${BASE}/${book.id}?expected_version=1`, { body: { name: 'nope' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: 2, expected_version: 1 });
    // no change, no new version
    const same = await svc.request('PUT', `${BASE}/${book.id}`, { body: { name: 'Lore A2' } });
    expect(same.body.version).toBe(2);

    const list = await svc.request('GET', BASE);
    expect(list.body.items.map((b: { id: string }) => b.id)).toContain(book.id);

    const del = await svc.request('DELETE', `${BASE}/${book.id}?expected_version=2`);
    expect(del.body).toEqual({ id: book.id, version: 3, deleted: true });
    expect((await svc.request('GET', `${BASE}/${book.id}`)).status).toBe(404);
    const restored = await svc.request('POST', `${BASE}/${book.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 4, deleted_at: null });
    expect((await svc.request('POST', `${BASE}/${book.id}/restore`)).status).toBe(409);
  });

  test('entries: create with defaults and a uid, update, delete, regex validation', async () => {
    const book = await createBook('Entries');
    const e1 = await addEntry(book.id, { keys: ['dragon'], content: 'Dragons breathe fire.' });
    expect(e1).toMatchObject({
      uid: 0,
      keys: ['dragon'],
      content: 'Dragons breathe fire.',
      selective: true,
      order: 100,
      position: 0,
      world_book_version: 2,
    });
    const e2 = await addEntry(book.id, {
      keywords: ['castle'],
      content: 'A castle.',
      position: 'at_depth',
      role: 'assistant',
      selective_logic: 'NOT_ANY',
      secondary_keys: ['ruin'],
    });
    expect(e2).toMatchObject({ uid: 1, keys: ['castle'], position: 4, role: 2, selective_logic: 2, secondary_keys: ['ruin'] });

    const bad = await svc.request('POST', `${BASE}/${book.id}/entries`, { body: { keys: ['/(?=x)/'], content: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_regex');

    const put = await svc.request('PUT', `${BASE}/${book.id}/entries/${e1.entry_id}?expected_version=3`, {
      body: { content: 'Dragons sleep.', constant: true },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ content: 'Dragons sleep.', constant: true, uid: 0, world_book_version: 4 });
    const got = await svc.request('GET', `${BASE}/${book.id}/entries/${e1.entry_id}`);
    expect(got.body.content).toBe('Dragons sleep.');
    const list = await svc.request('GET', `${BASE}/${book.id}/entries`);
    expect(list.body.items.map((e: { entry_id: string }) => e.entry_id)).toEqual([e1.entry_id, e2.entry_id]);

    const del = await svc.request('DELETE', `${BASE}/${book.id}/entries/${e2.entry_id}`);
    expect(del.body).toMatchObject({ deleted: true, world_book_version: 5 });
    expect((await svc.request('GET', `${BASE}/${book.id}/entries/${e2.entry_id}`)).status).toBe(404);
    expect((await svc.request('GET', `${BASE}/${book.id}`)).body.entry_count).toBe(1);
  });

  test('process-context explains activations', async () => {
    const book = await createBook('Explain');
    await addEntry(book.id, { keys: ['dragon'], content: 'Dragons breathe fire.', comment: 'dragons' });
    await addEntry(book.id, { keys: ['elf'], content: 'Elves.' });
    const res = await svc.request('POST', `${BASE}/process-context`, { body: { text: 'I saw a dragon', world_book_ids: [book.id] } });
    expect(res.status).toBe(200);
    expect(res.body.injections.before).toBe('Dragons breathe fire.');
    expect(res.body.diagnostics).toHaveLength(2);
    expect(res.body.diagnostics[0]).toMatchObject({
      status: 'activated',
      reason: 'key_match',
      match: { key: 'dragon', matched_text: 'dragon', source: 'message' },
    });
    expect(res.body.diagnostics[1]).toMatchObject({ status: 'skipped', reason: 'no_match' });
  });

  test('bulk: one operation across books, one event per book, all or nothing', async () => {
    const a = await createBook('Bulk A');
    const b = await createBook('Bulk B');
    const a1 = await addEntry(a.id, { keys: ['a1'], content: 'a1' });
    const a2 = await addEntry(a.id, { keys: ['a2'], content: 'a2' });
    const b1 = await addEntry(b.id, { keys: ['b1'], content: 'b1' });
    const bulk = (body: unknown) => svc.request('POST', `${BASE}/entries/bulk`, { body });

    const disabled = await bulk({ entry_ids: [a1.entry_id, b1.entry_id], operation: 'disable' });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ success: true, affected_count: 2, failed_ids: [] });
    expect(disabled.body.books).toEqual(
      expect.arrayContaining([
        { world_book_id: a.id, version: 4, affected_count: 1 },
        { world_book_id: b.id, version: 3, affected_count: 1 },
      ]),
    );
    expect((await svc.request('GET', `${BASE}/${a.id}/entries/${a1.entry_id}`)).body.enabled).toBe(false);
    // already disabled: nothing changes, no new version
    expect((await bulk({ entry_ids: [a1.entry_id], operation: 'disable' })).body).toMatchObject({
      affected_count: 0,
      books: [{ world_book_id: a.id, version: 4, affected_count: 0 }],
    });
    expect((await bulk({ entry_ids: [a1.entry_id, a2.entry_id], operation: 'set_priority', priority: 7 })).body.affected_count).toBe(2);
    expect((await bulk({ entry_ids: [a1.entry_id], operation: 'set_order', value: 5 })).body.affected_count).toBe(1);
    expect((await svc.request('GET', `${BASE}/${a.id}/entries/${a1.entry_id}`)).body).toMatchObject({
      priority: 7,
      order: 5,
      enabled: false,
    });
    expect((await bulk({ entry_ids: [a1.entry_id, b1.entry_id], operation: 'enable' })).body.affected_count).toBe(2);

    const head = await svc.runtime.eventStore.headPosition();
    const missing = await bulk({ entry_ids: [a2.entry_id, MISSING], operation: 'delete' });
    expect(missing.status).toBe(404);
    expect(missing.body.missing_ids).toEqual([MISSING]);
    expect((await bulk({ entry_ids: [a2.entry_id], operation: 'set_priority' })).status).toBe(400);
    expect((await bulk({ entry_ids: [], operation: 'enable' })).status).toBe(400);
    expect((await bulk({ entry_ids: [a2.entry_id], operation: 'explode' })).status).toBe(400);
    expect((await bulk({ entry_ids: [a2.entry_id], operation: 'set_order', value: 1, priority: 2 })).status).toBe(400);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);

    const deleted = await bulk({ entry_ids: [a2.entry_id, b1.entry_id], operation: 'delete' });
    expect(deleted.body.affected_count).toBe(2);
    expect((await svc.request('GET', `${BASE}/${a.id}`)).body.entries.map((e: { entry_id: string }) => e.entry_id)).toEqual([a1.entry_id]);
    expect((await svc.request('GET', `${BASE}/${b.id}`)).body.entry_count).toBe(0);
  });

  test('entry writes are versioned by the book: a stale expected_version is a 409', async () => {
    const book = await createBook('Versions');
    const e = await addEntry(book.id, { keys: ['v'], content: 'v' });
    const stale = await svc.request('PUT', `${BASE}/${book.id}/entries/${e.entry_id}?expected_version=1`, { body: { content: 'late' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: 2 });
    expect(
      (await svc.request('POST', `${BASE}/${book.id}/entries?expected_version=1`, { body: { keys: ['w'], content: 'w' } })).status,
    ).toBe(409);
    expect((await svc.request('DELETE', `${BASE}/${book.id}/entries/${e.entry_id}?expected_version=1`)).status).toBe(409);
    expect((await svc.request('DELETE', `${BASE}/${book.id}?expected_version=1`)).status).toBe(409);
    expect((await svc.request('GET', `${BASE}/${book.id}/entries/${e.entry_id}`)).body.content).toBe('v');
  });

  test('bad input on every route is a 4xx problem and appends nothing', async () => {
    const book = await createBook('Bad input');
    const entry = await addEntry(book.id, { keys: ['k'], content: 'c' });
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Bad input char' } })).body;
    const cases: Array<[string, string, unknown, number]> = [
      ['POST', BASE, {}, 400],
      ['POST', BASE, { name: '   ' }, 400],
      ['POST', BASE, { name: 'x', bogus: 1 }, 400],
      ['POST', BASE, { name: 'x', scan_depth: -1 }, 400],
      ['GET', `${BASE}?limit=0`, undefined, 400],
      ['GET', `${BASE}/not-a-uuid`, undefined, 400],
      ['PUT', `${BASE}/${book.id}`, { name: '' }, 400],
      ['PUT', `${BASE}/${book.id}`, { enabled: 'yes' }, 400],
      ['PUT', `${BASE}/${book.id}?expected_version=0`, { name: 'x' }, 400],
      ['DELETE', `${BASE}/${book.id}?expected_version=abc`, undefined, 400],
      ['POST', `${BASE}/${book.id}/restore`, undefined, 409],
      ['GET', `${BASE}/${book.id}/export?format=xml`, undefined, 400],
      ['GET', `${BASE}/${book.id}/statistics?tokenizer=words`, undefined, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: 'k', content: 'c' }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'], content: 5 }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'] }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['/(?=a)/'], content: 'c' }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['/a/'], secondary_keys: ['/(a)\\1/'], content: 'c' }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'], content: '@@additional_keys /(?!x)/\nc' }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'], content: 'c', position: 'nowhere' }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'], keywords: ['k'], content: 'c' }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'], content: 'c', bogus: true }, 400],
      ['POST', `${BASE}/${book.id}/entries`, { keys: ['k'], content: 'c', selective_logic: 9 }, 400],
      ['GET', `${BASE}/${book.id}/entries?limit=-1`, undefined, 400],
      ['PUT', `${BASE}/${book.id}/entries/${entry.entry_id}`, { probability: 'often' }, 400],
      ['PUT', `${BASE}/${book.id}/entries/${entry.entry_id}`, { keys: ['/a(?!b)/'] }, 400],
      ['PUT', `${BASE}/${book.id}/entries/${MISSING}`, { content: 'x' }, 404],
      ['DELETE', `${BASE}/${book.id}/entries/${MISSING}`, undefined, 404],
      ['POST', `${BASE}/entries/bulk`, { entry_ids: ['x'], operation: 'enable' }, 400],
      ['POST', `${BASE}/import`, 'not json', 400],
      ['POST', `/api/v1/characters/${character.id}/world-books`, {}, 400],
      ['POST', `/api/v1/characters/${character.id}/world-books`, { world_book_id: 'nope' }, 400],
      ['POST', `/api/v1/characters/${character.id}/world-books`, { world_book_id: book.id, priority: 1.5 }, 400],
      ['POST', `/api/v1/characters/${character.id}/world-books`, { world_book_id: MISSING }, 404],
      ['DELETE', `/api/v1/characters/${character.id}/world-books/${book.id}`, undefined, 404],
      ['GET', `/api/v1/characters/${character.id}/world-books?enabled_only=maybe`, undefined, 400],
    ];
    const head = await svc.runtime.eventStore.headPosition();
    for (const [method, url, body, status] of cases) {
      const res = await svc.request(
        method,
        url,
        body === undefined ? {} : { body, ...(typeof body === 'string' ? { headers: { 'content-type': 'application/json' } } : {}) },
      );
      expect({
        method,
        url,
        body,
        status: res.status,
        problem: res.headers.get('content-type')?.startsWith('application/problem+json'),
      }).toEqual({ method, url, body, status, problem: true });
    }
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    const regex = await svc.request('POST', `${BASE}/${book.id}/entries`, { body: { keys: ['ok', '/(?=a)/'], content: 'c' } });
    expect(regex.body).toMatchObject({
      code: 'invalid_regex',
      issues: [expect.objectContaining({ path: 'keys[1]', code: 'invalid_regex' })],
    });
  });

  test('attachments: upsert, order by priority, enabled_only, detach; the character version does not move', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Attach char' } })).body;
    const low = await createBook('Attach low');
    const high = await createBook('Attach high');
    const url = `/api/v1/characters/${character.id}/world-books`;
    const attached = await svc.request('POST', url, { body: { world_book_id: low.id, priority: 1 } });
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({
      world_book_id: low.id,
      character_id: character.id,
      attachment_priority: 1,
      attachment_enabled: true,
      name: 'Attach low',
    });
    await svc.request('POST', url, { body: { world_book_id: high.id, priority: 5 } });
    expect((await svc.request('GET', url)).body.items.map((b: { world_book_id: string }) => b.world_book_id)).toEqual([high.id, low.id]);

    const again = await svc.request('POST', url, { body: { world_book_id: high.id, priority: 5, enabled: false } });
    expect(again.body.attachment_enabled).toBe(false);
    expect((await svc.request('GET', url)).body.items.map((b: { world_book_id: string }) => b.world_book_id)).toEqual([low.id]);
    expect((await svc.request('GET', `${url}?enabled_only=false`)).body.items).toHaveLength(2);
    const events = await svc.runtime.eventStore.readStream(`characterbooks-${character.id}`);
    expect(events.map((e) => e.type)).toEqual(['WorldBookAttached', 'WorldBookAttached', 'WorldBookAttached']);
    // the same attachment again changes nothing
    await svc.request('POST', url, { body: { world_book_id: high.id, priority: 5, enabled: false } });
    expect(await svc.runtime.eventStore.readStream(`characterbooks-${character.id}`)).toHaveLength(3);

    const detached = await svc.request('DELETE', `${url}/${low.id}`);
    expect(detached.body).toEqual({
      message: `World book ${low.id} detached from character ${character.id}`,
      world_book_id: low.id,
      detached_from_character_id: character.id,
    });
    expect((await svc.request('DELETE', `${url}/${low.id}`)).status).toBe(404);
    expect(
      (await svc.request('GET', `${url}?enabled_only=false`)).body.items.map((b: { world_book_id: string }) => b.world_book_id),
    ).toEqual([high.id]);
    // a deleted book drops out of the list and cannot be attached
    await svc.request('DELETE', `${BASE}/${high.id}`);
    expect((await svc.request('GET', `${url}?enabled_only=false`)).body.items).toEqual([]);
    expect((await svc.request('POST', url, { body: { world_book_id: high.id } })).status).toBe(404);
    expect((await svc.request('GET', `/api/v1/characters/${character.id}`)).body.version).toBe(1);
  });

  test('list filters: disabled, deleted, global', async () => {
    const on = await createBook('Filter on', { is_global: true });
    const off = await createBook('Filter off', { enabled: false });
    const gone = await createBook('Filter gone');
    await svc.request('DELETE', `${BASE}/${gone.id}`);
    const ids = async (query: string) =>
      (await svc.request('GET', `${BASE}?limit=500${query}`)).body.items.map((b: { id: string }) => b.id);
    expect(await ids('')).toEqual(expect.arrayContaining([on.id]));
    expect(await ids('')).not.toContain(off.id);
    expect(await ids('&include_disabled=true')).toEqual(expect.arrayContaining([on.id, off.id]));
    expect(await ids('&include_disabled=true')).not.toContain(gone.id);
    expect(await ids('&include_deleted=true&include_disabled=true')).toContain(gone.id);
    expect(await ids('&global_only=true')).toContain(on.id);
    expect((await svc.request('GET', `${BASE}?global_only=true`)).body.items.every((b: { is_global: boolean }) => b.is_global)).toBe(true);
    const list = (await svc.request('GET', `${BASE}?limit=1`)).body;
    expect(list).toMatchObject({ limit: 1, offset: 0, next_offset: 1 });
    expect(list.disabled_count).toBeGreaterThanOrEqual(1);
  });

  test('missing book is 404; the routes are in the OpenAPI document', async () => {
    expect((await svc.request('GET', `${BASE}/${MISSING}`)).status).toBe(404);
    const doc = (await svc.request('GET', '/openapi.json', { key: null })).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        BASE,
        `${BASE}/{id}/entries/{entry_id}`,
        `${BASE}/process-context`,
        '/api/v1/characters/{id}/world-books/{world_book_id}',
      ]),
    );
    expect(Object.keys(doc.paths[`${BASE}/process-context`].post.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['text', 'messages', 'chat_id', 'settings', 'record']),
    );
    expect(Object.keys(doc.paths[`${BASE}/{id}/entries`].post.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['keys', 'secondary_keys', 'selective_logic', 'keywords']),
    );
  });
});
