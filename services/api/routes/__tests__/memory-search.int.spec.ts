import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';

/**
 * Memory search over HTTP on the real service (PostgreSQL, projector): only the active branch, an edit found by its
 * new text, a deleted or forgotten turn never, the neighbouring turn that led to a hit, owners and bad input.
 */
const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
});
afterAll(async () => {
  await svc?.close();
});

const bearer = async (sub: string) => ({
  Authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`,
});
const as = (headers: Record<string, string>) => ({ key: null, headers });

let characters = 0;
async function newChat(user: Record<string, string>): Promise<string> {
  const name = `Mira ${++characters}`;
  const character = await svc.request('POST', '/api/v1/characters', { ...as(user), body: { name, first_mes: 'Hello there.' } });
  expect(character.status).toBe(201);
  const chat = await svc.request('POST', '/api/v1/character_chats', { ...as(user), body: { character_id: character.body.id } });
  expect(chat.status).toBe(201);
  return chat.body.id as string;
}

async function post(user: Record<string, string>, chatId: string, sender: string, content: string, parent?: string): Promise<string> {
  const res = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
    ...as(user),
    body: { sender, content, ...(parent !== undefined ? { parent_message_id: parent } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function search(user: Record<string, string>, chatId: string, query: string, limit?: number) {
  const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/memory/search`, {
    ...as(user),
    body: { query, ...(limit !== undefined ? { limit } : {}) },
  });
  expect(res.status).toBe(200);
  return res.body.results as Array<{ message_id: string; score: number; why: string }>;
}

const FILLER = [
  'The weather was mild and we walked along the river.',
  'I made some tea and read for a while.',
  'Work was busy, lots of meetings today.',
  'We watched a film about space travel.',
];

describe('memory search', () => {
  test('finds an old fact by other words, via the neighbouring question, and explains why', async () => {
    const user = await bearer('ada');
    const chat = await newChat(user);
    const question = await post(user, chat, 'assistant', 'Where did your sister Elodie move last year?');
    const answer = await post(user, chat, 'user', 'She lives in Lisbon now, near the old tram line.');
    for (let i = 0; i < 12; i++) await post(user, chat, i % 2 ? 'assistant' : 'user', FILLER[i % FILLER.length]!);
    const results = await search(user, chat, 'Which city is Elodie living in these days?');
    const ids = results.map((r) => r.message_id);
    expect(ids.slice(0, 2)).toEqual(expect.arrayContaining([question, answer]));
    const a = results.find((r) => r.message_id === answer)!;
    expect(a.why).toMatch(/live/);
    const q = results.find((r) => r.message_id === question)!;
    expect(q.why).toMatch(/names "elodie"/);
    expect(q.why).toMatch(new RegExp(`turn after \\(${answer}\\)`));
    // Scores are ordered and the limit holds.
    expect(results.map((r) => r.score)).toEqual([...results.map((r) => r.score)].sort((x, y) => y - x));
    expect(await search(user, chat, 'Elodie', 1)).toHaveLength(1);
  });

  test('only the active branch: an alternate that is not selected, and a branch left, are never found', async () => {
    const user = await bearer('ada');
    const chat = await newChat(user);
    const root = await post(user, chat, 'user', 'Let us plan the trip.');
    const onBranch = await post(user, chat, 'assistant', 'We could visit the glacier in Iceland.');
    // A sibling of `onBranch` (same parent) becomes the active one; `onBranch` is then on another branch.
    const sibling = await post(user, chat, 'assistant', 'We could visit the volcano instead.', root);
    let hits = await search(user, chat, 'glacier Iceland');
    expect(hits.map((h) => h.message_id)).not.toContain(onBranch);
    // Select the glacier again: it is found, the volcano is not.
    const select = await svc.request('PUT', `/api/v1/character_messages/messages/${onBranch}/select`, as(user));
    expect(select.status).toBe(200);
    hits = await search(user, chat, 'glacier Iceland');
    expect(hits.map((h) => h.message_id)).toContain(onBranch);
    expect((await search(user, chat, 'volcano')).map((h) => h.message_id)).not.toContain(sibling);
  });

  test('read-your-writes: an edited turn by its new text only; a deleted one never; a rebuild answers the same', async () => {
    const user = await bearer('ada');
    const chat = await newChat(user);
    const edited = await post(user, chat, 'user', 'My favourite colour is turquoise.');
    const deleted = await post(user, chat, 'user', 'The password hint is a penguin.');
    await post(user, chat, 'assistant', 'Noted.');
    expect((await search(user, chat, 'turquoise')).map((h) => h.message_id)).toContain(edited);
    const edit = await svc.request('PUT', `/api/v1/character_messages/messages/${edited}`, {
      ...as(user),
      body: { content: 'My favourite colour is crimson.' },
    });
    expect(edit.status).toBe(200);
    expect((await search(user, chat, 'turquoise')).map((h) => h.message_id)).not.toContain(edited);
    expect((await search(user, chat, 'crimson colour')).map((h) => h.message_id)[0]).toBe(edited);
    const del = await svc.request('DELETE', `/api/v1/character_messages/messages/${deleted}`, as(user));
    expect(del.status).toBe(200);
    expect((await search(user, chat, 'penguin hint')).map((h) => h.message_id)).not.toContain(deleted);

    // Replayed from the log, the index is the same rows.
    const check = await compareWithFreshRebuild(svc.databaseUrl);
    expect(check.differences).toEqual({});
  }, 60_000);

  test('forgetting a user removes her index entries, and her chats are not found again', async () => {
    const root = await svc.runtime.userStore.createUser('root-memory', true);
    const eve = await svc.runtime.userStore.createUser('eve-memory', false);
    const key = (k: string) => ({ key: k });
    const character = await svc.request('POST', '/api/v1/characters', { ...key(eve.apiKey), body: { name: 'Nox', first_mes: 'Hi.' } });
    const chat = (await svc.request('POST', '/api/v1/character_chats', { ...key(eve.apiKey), body: { character_id: character.body.id } }))
      .body.id;
    const posted = await svc.request('POST', `/api/v1/character_messages/chats/${chat}/messages`, {
      ...key(eve.apiKey),
      body: { sender: 'user', content: 'Zanzibar is where I hid the key.' },
    });
    expect(posted.status).toBe(201);
    const found = await svc.request('POST', `/api/v1/character_chats/${chat}/memory/search`, {
      ...key(eve.apiKey),
      body: { query: 'Where is the key hidden?' },
    });
    expect(found.body.results.map((r: { message_id: string }) => r.message_id)).toEqual([posted.body.id]);
    const rows = async () =>
      (
        await svc.runtime.database.db
          .withSchema('read')
          .selectFrom('memory_postings')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('chat_id', '=', chat)
          .executeTakeFirstOrThrow()
      ).n;
    expect(Number(await rows())).toBeGreaterThan(0);
    const forgot = await svc.request('DELETE', `/api/v1/admin/users/${eve.user.id}/data`, key(root.apiKey));
    expect(forgot.status).toBe(200);
    expect(Number(await rows())).toBe(0);
    const turns = await svc.runtime.database.db
      .withSchema('read')
      .selectFrom('memory_turns')
      .select('message_id')
      .where('chat_id', '=', chat)
      .execute();
    expect(turns).toEqual([]);
  });

  test("owners and bad input: another user's chat 403, a missing one 404, an empty query or a limit out of range 400", async () => {
    const user = await bearer('ada');
    const other = await bearer('mallory');
    const chat = await newChat(user);
    await post(user, chat, 'user', 'A secret about dragons.');
    const url = `/api/v1/character_chats/${chat}/memory/search`;
    expect((await svc.request('POST', url, { ...as(other), body: { query: 'dragons' } })).status).toBe(403);
    expect((await svc.request('POST', url, { ...as(other), body: { query: '' } })).status).toBe(403);
    const missing = '/api/v1/character_chats/01a20b51-8aef-70e2-bc70-d07f7c1061d9/memory/search';
    expect((await svc.request('POST', missing, { ...as(user), body: { query: 'dragons' } })).status).toBe(404);
    for (const body of [
      { query: '' },
      { query: 'x', limit: 0 },
      { query: 'x', limit: 101 },
      { query: 'x', limit: 2.5 },
      { limit: 3 },
      { query: 'x', extra: 1 },
    ]) {
      const res = await svc.request('POST', url, { ...as(user), body });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
    expect(await search(user, chat, 'of the and')).toEqual([]);
  });
});
