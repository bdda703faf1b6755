import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
});
afterAll(async () => {
  await svc?.close();
});

const token = (sub: string, claims: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
const as = async (sub: string, claims: Record<string, unknown> = {}) => ({
  key: null,
  headers: { Authorization: `Bearer ${await token(sub, claims)}` },
});
const BASE = '/api/v1/characters/world-books';
const MISSING = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';

describe('world-book ownership', () => {
  test("every world-book route: another user's book or character is 403, a missing one 404, no credentials 401; nothing is appended", async () => {
    const owner = await as('wendy');
    const other = await as('mallory');
    const book = (await svc.request('POST', BASE, { ...owner, body: { name: 'Private lore' } })).body;
    const entry = (
      await svc.request('POST', `${BASE}/${book.id}/entries`, { ...owner, body: { keys: ['secret'], content: 'The secret.' } })
    ).body;
    const character = (await svc.request('POST', '/api/v1/characters', { ...owner, body: { name: 'Wendy char' } })).body;
    expect(
      (await svc.request('POST', `/api/v1/characters/${character.id}/world-books`, { ...owner, body: { world_book_id: book.id } })).status,
    ).toBe(200);

    type Ids = { book: string; entry: string; character: string };
    // tldw_server's routes answer another user's resource with 404, as the original does (services/api/tldw/).
    const foreignIs404 = new Set([`put ${BASE}/entries/:entry_id`, `delete ${BASE}/entries/:entry_id`]);
    const routes: Array<[string, string, (i: Ids) => string, unknown?]> = [
      ['put', `${BASE}/entries/:entry_id`, (i) => `${BASE}/entries/${i.entry}`, { content: 'hijack' }],
      ['delete', `${BASE}/entries/:entry_id`, (i) => `${BASE}/entries/${i.entry}`],
      ['get', `${BASE}/:id`, (i) => `${BASE}/${i.book}`],
      ['put', `${BASE}/:id`, (i) => `${BASE}/${i.book}`, { name: 'hijack' }],
      ['delete', `${BASE}/:id`, (i) => `${BASE}/${i.book}`],
      ['post', `${BASE}/:id/restore`, (i) => `${BASE}/${i.book}/restore`],
      ['get', `${BASE}/:id/export`, (i) => `${BASE}/${i.book}/export`],
      ['get', `${BASE}/:id/statistics`, (i) => `${BASE}/${i.book}/statistics`],
      ['post', `${BASE}/:id/entries`, (i) => `${BASE}/${i.book}/entries`, { keys: ['x'], content: 'intrusion' }],
      ['get', `${BASE}/:id/entries`, (i) => `${BASE}/${i.book}/entries`],
      ['get', `${BASE}/:id/entries/:entry_id`, (i) => `${BASE}/${i.book}/entries/${i.entry}`],
      ['put', `${BASE}/:id/entries/:entry_id`, (i) => `${BASE}/${i.book}/entries/${i.entry}`, { content: 'hijack' }],
      ['delete', `${BASE}/:id/entries/:entry_id`, (i) => `${BASE}/${i.book}/entries/${i.entry}`],
      ['get', `${BASE}/:id/history`, (i) => `${BASE}/${i.book}/history`],
      ['get', `${BASE}/:id/entries/:entry_id/history`, (i) => `${BASE}/${i.book}/entries/${i.entry}/history`],
      ['post', '/api/v1/characters/:id/world-books', (i) => `/api/v1/characters/${i.character}/world-books`, { world_book_id: book.id }],
      ['get', '/api/v1/characters/:id/world-books', (i) => `/api/v1/characters/${i.character}/world-books`],
      ['delete', '/api/v1/characters/:id/world-books/:world_book_id', (i) => `/api/v1/characters/${i.character}/world-books/${book.id}`],
    ];
    const table = (await import('../../app.ts')).routeTable(svc.api.deps);
    // A path served twice (the tldw_server shape on request, `claims`) is one route here.
    const scoped = [
      ...new Set(table.filter((r) => r.path.includes('/world-books') && r.path.includes(':')).map((r) => `${r.method} ${r.path}`)),
    ];
    expect(scoped.sort()).toEqual(routes.map(([m, p]) => `${m} ${p}`).sort());

    const head = await svc.runtime.eventStore.headPosition();
    for (const [method, pattern, url, body] of routes) {
      const opts = body === undefined ? {} : { body };
      const real = url({ book: book.id, entry: entry.entry_id, character: character.id });
      const missing = url({ book: MISSING, entry: MISSING, character: MISSING });
      const status = async (u: string, auth: object) => (await svc.request(method.toUpperCase(), u, { ...auth, ...opts })).status;
      expect({ pattern, method, status: await status(real, { key: null }) }).toEqual({ pattern, method, status: 401 });
      const foreign = foreignIs404.has(`${method} ${pattern}`) ? 404 : 403;
      expect({ pattern, method, status: await status(real, other) }).toEqual({ pattern, method, status: foreign });
      expect({ pattern, method, status: await status(missing, other) }).toEqual({ pattern, method, status: 404 });
    }

    // routes without an id in the path reach other users' resources through the body
    const post = async (url: string, body: unknown, auth: object = other) => (await svc.request('POST', url, { ...auth, body })).status;
    expect(await post(`${BASE}/entries/bulk`, { entry_ids: [entry.entry_id], operation: 'disable' })).toBe(403);
    expect(await post(`${BASE}/entries/bulk`, { entry_ids: [MISSING], operation: 'disable' })).toBe(404);
    expect(await post(`${BASE}/entries/bulk`, { entry_ids: [entry.entry_id], operation: 'disable' }, { key: null })).toBe(401);
    expect(await post(`${BASE}/process-context`, { text: 'secret', world_book_ids: [book.id] })).toBe(403);
    expect(await post(`${BASE}/process-context`, { text: 'secret', world_book_ids: [MISSING] })).toBe(404);
    expect(await post(`${BASE}/process-context`, { text: 'secret', character_id: character.id })).toBe(403);
    expect(await post(`${BASE}/process-context`, { text: 'secret', chat_id: MISSING })).toBe(404);
    expect(await post(`${BASE}/process-context`, { text: 'secret' }, { key: null })).toBe(401);
    expect(await post(`${BASE}/process`, { text: 'secret', world_book_ids: [book.id] })).toBe(404);
    expect(await post(`${BASE}/process`, { text: 'secret', character_id: character.id })).toBe(404);
    expect(await post(`${BASE}/process`, { text: 'secret' }, { key: null })).toBe(401);
    // attaching one's own book to another user's character, or another user's book to one's own character
    const mine = (await svc.request('POST', BASE, { ...other, body: { name: 'Mallory lore' } })).body;
    const mineChar = (await svc.request('POST', '/api/v1/characters', { ...other, body: { name: 'Mallory char' } })).body;
    const head2 = await svc.runtime.eventStore.headPosition();
    expect(await post(`/api/v1/characters/${character.id}/world-books`, { world_book_id: mine.id })).toBe(403);
    expect(await post(`/api/v1/characters/${mineChar.id}/world-books`, { world_book_id: book.id })).toBe(403);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head2);
    expect(head2).not.toBe(head);

    // lists show only one's own books
    const theirs = (await svc.request('GET', BASE, other)).body.items.map((b: { id: string }) => b.id);
    expect(theirs).toEqual([mine.id]);
    // the owner's book is untouched; an admin may read it
    expect((await svc.request('GET', `${BASE}/${book.id}`, owner)).body).toMatchObject({
      name: 'Private lore',
      version: 2,
      entries: [expect.objectContaining({ content: 'The secret.' })],
    });
    expect((await svc.request('GET', `${BASE}/${book.id}`, await as('root', { role: 'admin' }))).status).toBe(200);
  });

  test("another user's global books are never gathered", async () => {
    const a = await as('alice-g');
    const b = await as('bob-g');
    const global = (await svc.request('POST', BASE, { ...a, body: { name: 'Alice global', is_global: true } })).body;
    await svc.request('POST', `${BASE}/${global.id}/entries`, { ...a, body: { keys: ['moon'], content: 'The moon is made of cheese.' } });
    const forAlice = await svc.request('POST', `${BASE}/process-context`, { ...a, body: { text: 'the moon' } });
    expect(forAlice.body.injections.before).toBe('The moon is made of cheese.');
    expect(forAlice.body.books).toEqual([expect.objectContaining({ id: global.id, source: 'global' })]);
    const forBob = await svc.request('POST', `${BASE}/process-context`, { ...b, body: { text: 'the moon' } });
    expect(forBob.body.books).toEqual([]);
    expect(forBob.body.injections.before).toBe('');
  });
});
