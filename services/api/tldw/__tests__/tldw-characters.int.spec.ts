/**
 * The tldw_server-compatible character and world-book routes beyond what the original's own tests exercise:
 * the trailing-slash list beside ours, the query filters and sorts, tag operations as events, entries by id,
 * process budgets, FastAPI's error shapes, and another user's resources answered as missing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
});
afterAll(async () => {
  await svc?.close();
});

type As = { key: null; headers: Record<string, string> };
const as = async (sub: string): Promise<As> => ({
  key: null,
  headers: {
    Authorization: `Bearer ${await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret))}`,
  },
});
const send = (who: As, method: string, path: string, body?: unknown) => svc.request(method, path, { ...who, ...(body ? { body } : {}) });
const create = async (who: As, name: string, extra: Record<string, unknown> = {}) => {
  const res = await send(who, 'POST', '/api/v1/characters', { name, first_message: 'Hi.', ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
};
const names = (res: { body: Array<{ name: string }> }) => res.body.map((c) => c.name);
const WB = '/api/v1/characters/world-books';

describe('characters', () => {
  test('GET /characters/ (trailing slash) is the bare array by name; GET /characters stays our page', async () => {
    const ann = await as('ann-list');
    for (const n of ['Zed', 'Amy', 'Mia']) await create(ann, n);
    const bare = await send(ann, 'GET', '/api/v1/characters/');
    expect(names(bare)).toEqual(['Amy', 'Mia', 'Zed']);
    expect(bare.body[0]).toMatchObject({ name: 'Amy', version: 1, image_present: false, first_message: 'Hi.' });
    expect(bare.body[0].last_modified).toBe(bare.body[0].updated_at);
    expect(names(await send(ann, 'GET', '/api/v1/characters/?limit=1&offset=1'))).toEqual(['Mia']);
    const native = await send(ann, 'GET', '/api/v1/characters');
    expect(native.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
    const bad = await send(ann, 'GET', '/api/v1/characters/?limit=0');
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ type: 'greater_than_equal', loc: ['query', 'limit'], input: '0' });
    expect(names(await send(await as('bob-list'), 'GET', '/api/v1/characters/'))).toEqual([]);
  });

  test('search: FTS newest change first, blank query 400, missing query 422', async () => {
    const ann = await as('ann-search');
    await create(ann, 'Old Dragon', { description: 'a dragon of the north' });
    await create(ann, 'New Dragon', { description: 'another dragon' });
    await create(ann, 'Knight', { description: 'no beasts here' });
    expect(names(await send(ann, 'GET', '/api/v1/characters/search/?query=dragon'))).toEqual(['New Dragon', 'Old Dragon']);
    expect(names(await send(ann, 'GET', '/api/v1/characters/search/?query=dragon&limit=1'))).toEqual(['New Dragon']);
    const blank = await send(ann, 'GET', '/api/v1/characters/search/?query=%20');
    expect(blank).toMatchObject({ status: 400, body: { detail: 'Search query cannot be empty.' } });
    const missing = await send(ann, 'GET', '/api/v1/characters/search/');
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([{ type: 'missing', loc: ['query', 'query'], msg: 'Field required', input: null }]);
  });

  test('filter: any or all of repeated tags', async () => {
    const ann = await as('ann-filter');
    await create(ann, 'A', { tags: ['red', 'round'] });
    await create(ann, 'B', { tags: ['red'] });
    await create(ann, 'C', { tags: ['blue'] });
    expect(names(await send(ann, 'GET', '/api/v1/characters/filter?tags=red&tags=blue'))).toEqual(['A', 'B', 'C']);
    expect(names(await send(ann, 'GET', '/api/v1/characters/filter?tags=red&tags=round&match_all=true'))).toEqual(['A']);
    expect(names(await send(ann, 'GET', '/api/v1/characters/filter'))).toEqual(['A', 'B', 'C']);
    const bad = await send(ann, 'GET', '/api/v1/characters/filter?tags=red&match_all=maybe');
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ type: 'bool_parsing', loc: ['query', 'match_all'], input: 'maybe' });
  });

  test('query: pages, filters, conversations, favourites, trash, sorts and images', async () => {
    const ann = await as('ann-query');
    const a = await create(ann, 'Alpha', { tags: ['x'], creator: 'Kim' });
    const b = await create(ann, 'Beta', { tags: ['x', 'y'], extensions: { favorite: true } });
    const c = await create(ann, 'Gamma', { creator: 'kim' });
    for (const id of [b.id, b.id, c.id])
      expect((await send(ann, 'POST', '/api/v1/character_chats', { character_id: id })).status).toBe(201);
    const q = (params: string) => send(ann, 'GET', `/api/v1/characters/query?${params}`);

    const page = await q('page=2&page_size=2');
    expect(page.body).toMatchObject({ total: 3, page: 2, page_size: 2, has_more: false, next_offset: null });
    expect(page.body.pagination).toEqual({ mode: 'offset', limit: 2, offset: 2, total: 3, has_more: false, next_offset: null });
    expect(page.body.items.map((i: { name: string }) => i.name)).toEqual(['Gamma']);
    expect((await q('page=1&page_size=2')).body).toMatchObject({ has_more: true, next_offset: 2 });

    const itemNames = async (params: string) => (await q(params)).body.items.map((i: { name: string }) => i.name);
    expect(await itemNames('tags=x&tags=y&match_all_tags=true')).toEqual(['Beta']);
    expect(await itemNames('creator=KIM')).toEqual(['Alpha', 'Gamma']);
    expect(await itemNames('has_conversations=true')).toEqual(['Beta', 'Gamma']);
    expect(await itemNames('has_conversations=false')).toEqual(['Alpha']);
    expect(await itemNames('favorite_only=true')).toEqual(['Beta']);
    expect(await itemNames('sort_by=conversation_count&sort_order=desc')).toEqual(['Beta', 'Gamma', 'Alpha']);
    expect(await itemNames('sort_by=name&sort_order=desc')).toEqual(['Gamma', 'Beta', 'Alpha']);
    expect(await itemNames('query=alpha')).toEqual(['Alpha']);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect(await itemNames(`created_from=${future}`)).toEqual([]);
    expect(await itemNames(`created_to=${future}`)).toEqual(['Alpha', 'Beta', 'Gamma']);

    expect((await send(ann, 'DELETE', `/api/v1/characters/${a.id}`)).status).toBe(200);
    expect(await itemNames('')).toEqual(['Beta', 'Gamma']);
    expect(await itemNames('deleted_only=true')).toEqual(['Alpha']);
    expect(await itemNames('include_deleted=true')).toEqual(['Alpha', 'Beta', 'Gamma']);

    const bad = await q('sort_by=popularity');
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ type: 'enum', loc: ['query', 'sort_by'], input: 'popularity' });

    const png = buildPng([tEXt('chara', Buffer.from(cardJson('Pictured')).toString('base64'))]);
    expect((await svc.upload('/api/v1/characters/import', { bytes: png, filename: 'p.png' }, { key: null, ...{} })).status).toBe(401);
    const imported = await fetch(`${svc.url}/api/v1/characters/import`, {
      method: 'POST',
      headers: ann.headers,
      body: (() => {
        const form = new FormData();
        form.append('file', new Blob([Buffer.from(png)]), 'p.png');
        return form;
      })(),
    });
    expect(imported.status).toBe(201);
    const withImage = (await q('query=pictured&include_image_base64=true')).body.items[0];
    expect(withImage.image_present).toBe(true);
    expect(Buffer.from(withImage.image_base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect((await q('query=pictured')).body.items[0].image_base64).toBeUndefined();
  });

  test('tag operations: one event per character changed, never another user’s, 422 without a target', async () => {
    const ann = await as('ann-tags');
    const bob = await as('bob-tags');
    const a = await create(ann, 'A', { tags: ['Old', 'keep'] });
    const b = await create(ann, 'B', { tags: ['old', 'new'] });
    await create(ann, 'C', { tags: ['other'] });
    const bobs = await create(bob, 'Bobs', { tags: ['old'] });

    const renamed = await send(ann, 'POST', '/api/v1/characters/tags/operations', {
      operation: 'rename',
      source_tag: ' old ',
      target_tag: 'new',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      operation: 'rename',
      source_tag: 'old',
      target_tag: 'new',
      matched_count: 2,
      updated_count: 2,
      failed_count: 0,
    });
    expect(renamed.body.updated_character_ids.sort()).toEqual([a.id, b.id].sort());
    const after = async (who: As, id: string) => (await send(who, 'GET', `/api/v1/characters/${id}`)).body;
    expect(await after(ann, a.id)).toMatchObject({ tags: ['new', 'keep'], version: 2 });
    expect(await after(ann, b.id)).toMatchObject({ tags: ['new'], version: 2 });
    expect(await after(bob, bobs.id)).toMatchObject({ tags: ['old'], version: 1 });
    const history = await send(ann, 'GET', `/api/v1/characters/${a.id}/versions`);
    expect(history.body.items.at(-1)).toMatchObject({ version: 2, changed_fields: expect.arrayContaining(['tags']) });

    const deleted = await send(ann, 'POST', '/api/v1/characters/tags/operations', { operation: 'delete', source_tag: 'keep' });
    expect(deleted.body).toMatchObject({ target_tag: null, matched_count: 1, updated_count: 1 });
    expect((await after(ann, a.id)).tags).toEqual(['new']);

    const none = await send(ann, 'POST', '/api/v1/characters/tags/operations', {
      operation: 'merge',
      source_tag: 'absent',
      target_tag: 'x',
    });
    expect(none.body).toMatchObject({ matched_count: 0, updated_count: 0 });

    const noTarget = await send(ann, 'POST', '/api/v1/characters/tags/operations', { operation: 'merge', source_tag: 'new' });
    expect(noTarget.status).toBe(422);
    expect(noTarget.body.detail[0]).toMatchObject({
      type: 'value_error',
      loc: ['body'],
      msg: 'Value error, target_tag is required for rename and merge operations',
    });
    expect((await after(ann, b.id)).version).toBe(2);
  });
});

describe('shared paths with the original’s members', () => {
  test('export: format=v3 is the V3 card, include_world_books adds the attached books with their entries', async () => {
    const ann = await as('ann-export');
    const character = await create(ann, 'Exported', { description: 'd', tags: ['t'] });
    const book = (await send(ann, 'POST', WB, { name: 'Export lore' })).body;
    await send(ann, 'POST', `${WB}/${book.id}/entries`, { keywords: ['gate'], content: 'The gate.' });
    await send(ann, 'POST', `/api/v1/characters/${character.id}/world-books`, { world_book_id: book.id });
    const v3 = await send(ann, 'GET', `/api/v1/characters/${character.id}/export?format=v3`);
    expect(v3.status).toBe(200);
    expect(v3.body).toMatchObject({
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: { name: 'Exported', description: 'd', tags: ['t'] },
    });
    expect(v3.body.world_books).toBeUndefined();
    for (const format of ['v3', 'v2', 'json']) {
      const withBooks = await send(ann, 'GET', `/api/v1/characters/${character.id}/export?format=${format}&include_world_books=true`);
      expect(withBooks.body.world_books).toEqual([
        expect.objectContaining({
          id: book.id,
          name: 'Export lore',
          entries: [expect.objectContaining({ keys: ['gate'], content: 'The gate.' })],
        }),
      ]);
    }
    expect((await send(ann, 'GET', `/api/v1/characters/${character.id}/export?format=v2`)).body.spec).toBe('chara_card_v2');
  });

  test('image_base64 on create is stored like a card image; GET gives it back when asked; a bad one stores nothing', async () => {
    const ann = await as('ann-image');
    const png = buildPng();
    const created = await create(ann, 'Pictured', { image_base64: `data:image/png;base64,${Buffer.from(png).toString('base64')}` });
    const got = await send(ann, 'GET', `/api/v1/characters/${created.id}?include_image_base64=true`);
    expect(Buffer.from(got.body.image_base64, 'base64').equals(Buffer.from(png))).toBe(true);
    expect(got.body.image).toMatchObject({ mime: 'image/png', size: png.byteLength });
    expect(got.body).toMatchObject({ image_present: true, last_modified: got.body.updated_at });
    expect((await send(ann, 'GET', `/api/v1/characters/${created.id}`)).body.image_base64).toBeUndefined();
    expect((await send(ann, 'GET', '/api/v1/characters/')).body[0]).toMatchObject({ name: 'Pictured', image_present: true });
    const image = await svc.download(`/api/v1/characters/${created.id}/image`, { key: null, headers: ann.headers });
    expect(Buffer.from(image.bytes).equals(Buffer.from(png))).toBe(true);

    const head = await svc.runtime.eventStore.headPosition();
    for (const bad of ['not base64!', Buffer.from('plain text, no image').toString('base64')]) {
      const res = await send(ann, 'POST', '/api/v1/characters', { name: 'Broken', image_base64: bad });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/^Invalid image_base64 data: /);
    }
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
  });

  test('import through character_file: the original’s message and character, and 200 with the existing one on a taken name', async () => {
    const ann = await as('ann-import');
    const upload = async (field: string, extra = '') => {
      const form = new FormData();
      form.append(field, new Blob([Buffer.from(cardJson('Imported Twice'))]), 'card.json');
      const res = await fetch(`${svc.url}/api/v1/characters/import${extra}`, { method: 'POST', headers: ann.headers, body: form });
      return { status: res.status, body: (await res.json()) as any };
    };
    const first = await upload('character_file');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'Imported Twice', message: "Character 'Imported Twice' imported successfully" });
    expect(first.body.character).toMatchObject({ id: first.body.id, name: 'Imported Twice', version: 1, image_present: false });
    const head = await svc.runtime.eventStore.headPosition();
    const again = await upload('character_file');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      id: first.body.id,
      name: 'Imported Twice',
      message: `Character 'Imported Twice' already exists (ID: ${first.body.id}). Details provided.`,
      character: expect.objectContaining({ id: first.body.id, version: 1 }),
    });
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    expect((await upload('file')).status).toBe(409);
    expect((await upload('character_file', '?on_conflict=error')).status).toBe(409);
    expect((await upload('character_file', '?on_conflict=rename')).body.name).not.toBe('Imported Twice');
  });

  test('rate-limit-status carries the original’s enabled, policy_id, rate_limit_source and requests beside ours', async () => {
    const status = await send(await as('ann-status'), 'GET', '/api/v1/characters/rate-limit-status');
    expect(status.status).toBe(200);
    const { enabled, rate_limit_source, requests, actions } = status.body;
    expect(rate_limit_source).toBe(enabled ? 'per_user_actions' : 'disabled');
    expect(Object.keys(requests).sort()).toEqual(actions.map((a: { action: string }) => a.action).sort());
    for (const a of actions) expect(requests[a.action]).toEqual({ limit: a.limit, remaining: a.remaining, reset_seconds: a.reset_seconds });
  });
});

describe('world books', () => {
  async function bookWithEntry(who: As, entry: Record<string, unknown>, book: Record<string, unknown> = {}) {
    const wb = (await send(who, 'POST', WB, { name: `Book ${Math.random()}`, ...book })).body;
    const e = await send(who, 'POST', `${WB}/${wb.id}/entries`, entry);
    expect(e.status).toBe(201);
    return { bookId: wb.id as string, entryId: e.body.id as string };
  }

  test('entries by id: update in the original shape, its refusals, delete, and another user’s entry is missing', async () => {
    const ann = await as('ann-entries');
    const bob = await as('bob-entries');
    const { bookId, entryId } = await bookWithEntry(ann, { keywords: ['sword'], content: 'A blade.' });
    const url = `${WB}/entries/${entryId}`;
    const updated = await send(ann, 'PUT', url, { priority: 250, group: 'arms', appendable: true, case_sensitive: true, unknown_key: 1 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: entryId,
      world_book_id: bookId,
      keywords: ['sword'],
      content: 'A blade.',
      priority: 100,
      enabled: true,
      case_sensitive: true,
      regex_match: false,
      whole_word_match: true,
      group: 'arms',
      appendable: true,
      recursive_scanning: false,
    });
    expect((await send(ann, 'PUT', url, { content: '' })).body.content).toBe('');
    expect(await send(ann, 'PUT', url, { keywords: [] })).toMatchObject({
      status: 400,
      body: { detail: 'Entry must have at least one keyword' },
    });
    expect((await send(ann, 'PUT', url, { keywords: ['[invalid'], regex_match: true })).status).toBe(400);
    expect((await send(ann, 'GET', `${WB}/${bookId}/entries/${entryId}`)).body.keys).toEqual(['sword']);

    const head = await svc.runtime.eventStore.headPosition();
    expect(await send(bob, 'PUT', url, { content: 'hijack' })).toMatchObject({
      status: 404,
      body: { detail: `Entry with ID ${entryId} not found` },
    });
    expect((await send(bob, 'DELETE', url)).status).toBe(404);
    // ownership before validation: another user's entry with an odd body is missing, the owner's is a 422
    expect((await send(bob, 'PUT', url, { priority: 'high' })).status).toBe(404);
    const odd = await send(ann, 'PUT', url, { priority: 'high' });
    expect(odd.status).toBe(422);
    expect(odd.body.detail[0]).toMatchObject({ loc: ['body', 'priority'], input: 'high' });
    expect((await send(ann, 'PUT', `${WB}/entries/not-an-id`, { content: 'x' })).status).toBe(404);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);

    expect(await send(ann, 'DELETE', url)).toMatchObject({
      status: 200,
      body: { message: `World book entry (ID: ${entryId}) deleted`, entry_id: entryId },
    });
    expect((await send(ann, 'DELETE', url)).status).toBe(404);
    expect((await send(ann, 'GET', `${WB}/${bookId}/entries`)).body.total).toBe(0);
  });

  test('process: character books, budgets, unknown and foreign books', async () => {
    const ann = await as('ann-process');
    const bob = await as('bob-process');
    const { bookId } = await bookWithEntry(ann, { keywords: ['castle'], content: 'word '.repeat(120).trim() });
    await send(ann, 'POST', `${WB}/${bookId}/entries`, { keywords: ['castle'], content: 'A small note.' });
    const character = await create(ann, 'Keeper');
    expect((await send(ann, 'POST', `/api/v1/characters/${character.id}/world-books`, { world_book_id: bookId })).status).toBe(200);

    const viaCharacter = await send(ann, 'POST', `${WB}/process`, { text: 'the castle gate', character_id: character.id });
    expect(viaCharacter.status).toBe(200);
    expect(viaCharacter.body).toMatchObject({ entries_matched: 2, books_used: 1, token_budget: 500, budget_exhausted: false });
    expect(viaCharacter.body.injected_content).toContain('A small note.');
    expect(viaCharacter.body.diagnostics.map((d: { activation_reason: string }) => d.activation_reason)).toEqual([
      'keyword_match',
      'keyword_match',
    ]);

    const tight = await send(ann, 'POST', `${WB}/process`, { text: 'the castle gate', world_book_ids: [bookId], token_budget: 50 });
    expect(tight.body.skipped_entries_due_to_budget).toBeGreaterThanOrEqual(1);
    expect(tight.body.budget_exhausted).toBe(true);
    expect(tight.body.injected_content).not.toContain('word word');
    expect(tight.body.tokens_used).toBeLessThanOrEqual(50);

    const nothing = await send(ann, 'POST', `${WB}/process`, { text: 'no keys here', world_book_ids: [bookId] });
    expect(nothing.body).toMatchObject({ injected_content: '', entries_matched: 0, books_used: 0, entry_ids: [] });

    const missing = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
    expect(await send(ann, 'POST', `${WB}/process`, { text: 'castle', world_book_ids: [missing] })).toMatchObject({
      status: 404,
      body: { detail: `World book ${missing} not found.` },
    });
    expect((await send(bob, 'POST', `${WB}/process`, { text: 'castle', world_book_ids: [bookId] })).status).toBe(404);
    expect((await send(bob, 'POST', `${WB}/process`, { text: 'castle', character_id: character.id })).status).toBe(404);
    const invalid = await send(ann, 'POST', `${WB}/process`, { text: 'castle', token_budget: 10 });
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail[0]).toMatchObject({ type: 'greater_than_equal', loc: ['body', 'token_budget'], input: 10 });
  });
});
