import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const MISSING = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';

async function character(body: Record<string, unknown> = {}) {
  const res = await svc.request('POST', '/api/v1/characters', {
    body: {
      name: `Seraphina ${Math.random()}`,
      first_message: 'Hello {{user}}, I am {{char}}.',
      alternate_greetings: ['Welcome back.', 'You are safe now.'],
      ...body,
    },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
}

async function chat(body: Record<string, unknown> = {}) {
  const c = await character();
  const res = await svc.request('POST', '/api/v1/character_chats/', { body: { character_id: c.id, ...body } });
  expect(res.status).toBe(201);
  return { chat: res.body, character: c };
}

const messagesOf = async (chatId: string, query = '') =>
  (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages${query}`)).body;
const post = async (chatId: string, body: Record<string, unknown>) =>
  svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body });

describe('chat sessions over HTTP', () => {
  test('create opens with the greeting, names filled in, alternate greetings as its alternates', async () => {
    const c = await character();
    const res = await svc.request('POST', '/api/v1/character_chats/', { body: { character_id: c.id, settings: { user_name: 'Ann' } } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/character_chats/${res.body.id}`);
    expect(res.body).toMatchObject({
      character_id: c.id,
      character_name: c.name,
      owner_id: 'local',
      message_count: 3,
      version: 4,
      root_chat_id: res.body.id,
      deleted_at: null,
      settings: { user_name: 'Ann' },
    });
    expect(res.body.title).toMatch(new RegExp(`^${c.name} Chat \\(\\d{8}_\\d{6} UTC\\)$`));
    const list = await messagesOf(res.body.id);
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      sender: 'assistant',
      content: `Hello Ann, I am ${c.name}.`,
      alternate_count: 3,
      alternate_index: 0,
      parent_message_id: null,
      on_active_path: true,
    });
    const tree = await messagesOf(res.body.id, '?view=tree');
    expect(tree.items.map((m: { content: string }) => m.content)).toEqual([
      `Hello Ann, I am ${c.name}.`,
      'Welcome back.',
      'You are safe now.',
    ]);
    // greeting_index picks another greeting as the shown one
    const second = await svc.request('POST', '/api/v1/character_chats', {
      body: { character_id: c.id, greeting_index: 2, title: 'Second' },
    });
    expect(second.body.title).toBe('Second');
    expect((await messagesOf(second.body.id)).items[0]).toMatchObject({ content: 'You are safe now.', alternate_index: 2 });
    expect((await svc.request('POST', '/api/v1/character_chats', { body: { character_id: c.id, greeting_index: 3 } })).body.code).toBe(
      'greeting_index_out_of_range',
    );
  });

  test('a character without greetings gives an empty chat; a missing character is 404', async () => {
    const c = await character({ first_message: '', alternate_greetings: [] });
    const res = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: c.id } });
    expect(res.body.message_count).toBe(0);
    expect((await messagesOf(res.body.id)).items).toEqual([]);
    expect((await svc.request('POST', '/api/v1/character_chats', { body: { character_id: MISSING } })).status).toBe(404);
  });

  test('get, list newest activity first with a character filter, pagination', async () => {
    const a = await chat({ title: 'A' });
    const b = await chat({ title: 'B' });
    const got = await svc.request('GET', `/api/v1/character_chats/${a.chat.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe(`W/"${got.body.version}"`);
    // activity on A brings it to the top
    await post(a.chat.id, { sender: 'user', content: 'hi' });
    const list = (await svc.request('GET', '/api/v1/character_chats?limit=200')).body;
    expect(list.items[0].id).toBe(a.chat.id);
    expect(list.items[1].id).toBe(b.chat.id);
    const filtered = (await svc.request('GET', `/api/v1/character_chats?character_id=${b.character.id}`)).body;
    expect(filtered.items.map((x: { id: string }) => x.id)).toEqual([b.chat.id]);
    const page = (await svc.request('GET', '/api/v1/character_chats?limit=1&offset=1')).body;
    expect(page).toMatchObject({ limit: 1, offset: 1, has_more: true, next_offset: 2 });
    expect(page.items[0].id).toBe(b.chat.id);
  });

  test('update with expected_version: rename and settings merge; stale is 409 and changes nothing', async () => {
    const { chat: c } = await chat();
    const ok = await svc.request('PUT', `/api/v1/character_chats/${c.id}?expected_version=${c.version}`, {
      body: { title: 'Renamed', rating: 5, settings: { user_name: 'Bob', author_note: 'Keep it short.', world_book_ids: [MISSING] } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      title: 'Renamed',
      rating: 5,
      version: c.version + 1,
      settings: { user_name: 'Bob', author_note: 'Keep it short.', world_book_ids: [MISSING] },
    });
    const stale = await svc.request('PUT', `/api/v1/character_chats/${c.id}?expected_version=${c.version}`, { body: { title: 'Lost' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: c.version + 1, expected_version: c.version });
    const cleared = await svc.request('PUT', `/api/v1/character_chats/${c.id}`, { body: { settings: { author_note: null } } });
    expect(cleared.body.settings).toEqual({ user_name: 'Bob', world_book_ids: [MISSING] });
    expect((await svc.request('GET', `/api/v1/character_chats/${c.id}`)).body.title).toBe('Renamed');
    for (const bad of [
      { rating: 6 },
      { title: '' },
      { unknown: 1 },
      { settings: { author_note: 'x'.repeat(20_001) } },
      { state: 'done' },
    ]) {
      expect((await svc.request('PUT', `/api/v1/character_chats/${c.id}`, { body: bad })).status).toBe(400);
    }
  });

  test('delete is soft and restorable; a deleted chat and its messages read as 404', async () => {
    const { chat: c } = await chat();
    const first = (await messagesOf(c.id)).items[0];
    expect((await svc.request('DELETE', `/api/v1/character_chats/${c.id}?expected_version=1`)).status).toBe(409);
    const del = await svc.request('DELETE', `/api/v1/character_chats/${c.id}?expected_version=${c.version}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: c.id, version: c.version + 1, deleted: true });
    expect((await svc.request('GET', `/api/v1/character_chats/${c.id}`)).status).toBe(404);
    expect((await svc.request('GET', `/api/v1/character_messages/chats/${c.id}/messages`)).status).toBe(404);
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${first.id}`)).status).toBe(404);
    expect((await post(c.id, { sender: 'user', content: 'x' })).status).toBe(404);
    expect((await svc.request('DELETE', `/api/v1/character_chats/${c.id}`)).status).toBe(404);
    const deletedList = (await svc.request('GET', '/api/v1/character_chats?deleted_only=true')).body;
    expect(deletedList.items.map((x: { id: string }) => x.id)).toContain(c.id);
    const restored = await svc.request('POST', `/api/v1/character_chats/${c.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ deleted_at: null, version: c.version + 2, message_count: 3 });
    expect((await svc.request('POST', `/api/v1/character_chats/${c.id}/restore`)).body.version).toBe(c.version + 2);
    expect((await messagesOf(c.id)).items[0].id).toBe(first.id);
    const events = await svc.runtime.eventStore.readStream(`chat-${c.id}`);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['ChatDeleted', 'ChatRestored']);
  });

  test('fork from any message: the conversation up to it with its alternates, remembering the origin', async () => {
    const { chat: c } = await chat();
    const greeting = (await messagesOf(c.id)).items[0];
    const u1 = (await post(c.id, { sender: 'user', content: 'one' })).body;
    const a1 = (await post(c.id, { sender: 'assistant', content: 'reply one' })).body;
    const a1b = (await post(c.id, { sender: 'assistant', content: 'reply one, again', parent_message_id: u1.id })).body;
    await svc.request('PUT', `/api/v1/character_messages/messages/${a1.id}/select`);
    await post(c.id, { sender: 'user', content: 'two' });
    const fork = await svc.request('POST', `/api/v1/character_chats/${c.id}/fork`, { body: { message_id: a1.id } });
    expect(fork.status).toBe(201);
    expect(fork.body).toMatchObject({
      parent_chat_id: c.id,
      forked_from_message_id: a1.id,
      root_chat_id: c.id,
      title: `${c.title} (branch)`,
      character_id: c.character_id,
    });
    const forked = await messagesOf(fork.body.id);
    expect(forked.items.map((m: { content: string }) => m.content)).toEqual([greeting.content, 'one', 'reply one']);
    expect(forked.items[2]).toMatchObject({ alternate_count: 2, alternate_index: 0 });
    expect(forked.items[0]).toMatchObject({ alternate_count: 3 });
    expect(forked.items.every((m: { id: string }) => ![greeting.id, u1.id, a1.id].includes(m.id))).toBe(true);
    // a fork of the fork keeps the first chat as its root
    const again = await svc.request('POST', `/api/v1/character_chats/${fork.body.id}/fork`, {
      body: { message_id: forked.items[1].id, title: 'Checkpoint' },
    });
    expect(again.body).toMatchObject({ parent_chat_id: fork.body.id, root_chat_id: c.id, title: 'Checkpoint', message_count: 4 });
    expect((await svc.request('POST', `/api/v1/character_chats/${c.id}/fork`, { body: { message_id: MISSING } })).status).toBe(404);
    expect(a1b.alternate_index).toBe(1);
  });

  test('the chat and message routes are in the OpenAPI document, generated from their schemas', async () => {
    const paths = (await svc.request('GET', '/openapi.json', { key: null })).body.paths;
    expect(paths['/api/v1/character_chats/{chat_id}'].put.parameters.map((p: { name: string }) => p.name)).toEqual([
      'chat_id',
      'expected_version',
    ]);
    const post = paths['/api/v1/character_messages/chats/{chat_id}/messages'].post;
    expect(Object.keys(post.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['sender', 'content', 'parent_message_id', 'image_base64', 'image_mime_type']),
    );
    expect(paths['/api/v1/character_messages/chats/{chat_id}/messages'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'chat_id',
      'view',
      'order',
      'limit',
      'cursor',
      'include_deleted',
    ]);
    expect(paths['/api/v1/character_messages/messages/{message_id}/select'].put).toBeTruthy();
  });

  test('bad input is a 400 problem and stores nothing', async () => {
    const { chat: c } = await chat();
    const before = await svc.runtime.eventStore.headPosition();
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/character_chats', { character_id: 'nope' }],
      ['POST', '/api/v1/character_chats', { character_id: c.character_id, greeting_index: -1 }],
      ['POST', '/api/v1/character_chats', { character_id: c.character_id, settings: { user_name: '' } }],
      ['POST', '/api/v1/character_chats', { character_id: c.character_id, settings: { nope: 1 } }],
      ['GET', '/api/v1/character_chats/not-a-uuid', undefined],
      ['GET', '/api/v1/character_chats?limit=0', undefined],
      ['GET', '/api/v1/character_chats?character_id=x', undefined],
      ['POST', `/api/v1/character_chats/${c.id}/fork`, {}],
      ['POST', `/api/v1/character_messages/chats/${c.id}/messages`, { sender: 'robot', content: 'x' }],
      ['POST', `/api/v1/character_messages/chats/${c.id}/messages`, { content: 'no sender' }],
      ['POST', `/api/v1/character_messages/chats/${c.id}/messages`, { sender: 'user', content: '   ' }],
      ['POST', `/api/v1/character_messages/chats/${c.id}/messages`, { sender: 'user', content: 'x', parent_message_id: MISSING }],
      ['POST', `/api/v1/character_messages/chats/${c.id}/messages`, { sender: 'user', content: 'x'.repeat(1_000_001) }],
      ['GET', `/api/v1/character_messages/chats/${c.id}/messages?view=graph`, undefined],
      ['GET', `/api/v1/character_messages/chats/${c.id}/messages?cursor=garbage`, undefined],
      ['GET', `/api/v1/character_messages/chats/${c.id}/messages/search`, undefined],
      ['GET', `/api/v1/character_chats/${c.id}/export?format=pdf`, undefined],
      ['DELETE', `/api/v1/character_chats/${c.id}?expected_version=0`, undefined],
      ['POST', `/api/v1/character_chats/${c.id}/restore?expected_version=abc`, undefined],
      ['POST', '/api/v1/character_chats/import', { character_id: c.character_id }],
      ['POST', '/api/v1/character_chats/import', { character_id: c.character_id, content: '{}', format: 'agnai' }],
      ['GET', '/api/v1/character_messages/messages/not-a-uuid', undefined],
      ['DELETE', `/api/v1/character_messages/messages/${MISSING}?expected_version=-1`, undefined],
      ['POST', `/api/v1/character_messages/messages/${MISSING}/restore?expected_version=x`, undefined],
      ['PUT', '/api/v1/character_messages/messages/not-a-uuid/select', undefined],
      ['GET', '/api/v1/character_messages/messages/not-a-uuid/alternates', undefined],
      ['GET', '/api/v1/character_messages/messages/not-a-uuid/image', undefined],
      ['PUT', `/api/v1/character_messages/messages/${MISSING}?as_alternate=maybe`, { content: 'x' }],
    ];
    for (const [method, url, body] of cases) {
      const res = await svc.request(method, url, body === undefined ? {} : { body });
      expect({ method, url, status: res.status }).toEqual({ method, url, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(typeof res.body.code).toBe('string');
    }
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
  });
});

describe('messages over HTTP', () => {
  test('post appends to the active path; get, list with alternates; read your writes', async () => {
    const { chat: c } = await chat();
    for (let i = 0; i < 30; i++) {
      const res = await post(c.id, { sender: i % 2 ? 'assistant' : 'user', content: `message ${i}` });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/api/v1/character_messages/messages/${res.body.id}`);
      const got = await svc.request('GET', `/api/v1/character_messages/messages/${res.body.id}`);
      expect(got.body).toMatchObject({
        content: `message ${i}`,
        version: 1,
        on_active_path: true,
        alternate_count: 1,
        chat_id: c.id,
        depth: i + 1,
      });
    }
    const list = await messagesOf(c.id);
    expect(list).toMatchObject({ total: 31, has_more: false, view: 'path', order: 'asc' });
    expect(list.items).toHaveLength(31);
    expect((await svc.request('GET', `/api/v1/character_chats/${c.id}`)).body.message_count).toBe(33);
    // `role` is accepted for the original system's clients
    expect((await post(c.id, { role: 'system', content: 'narration' })).body.sender).toBe('system');
  });

  test('cursor pagination over the path (latest first) and the tree', async () => {
    const { chat: c } = await chat();
    for (let i = 0; i < 12; i++) await post(c.id, { sender: 'user', content: `m${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ content: string }>; next_cursor: string | null } = await messagesOf(
        c.id,
        `?order=desc&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items.map((m) => m.content));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 3)).toEqual(['m11', 'm10', 'm9']);
    expect(seen).toHaveLength(13);
    const tree: string[] = [];
    cursor = null;
    do {
      const page: { items: Array<{ content: string }>; next_cursor: string | null; total: number } = await messagesOf(
        c.id,
        `?view=tree&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.total).toBe(15);
      tree.push(...page.items.map((m) => m.content));
      cursor = page.next_cursor;
    } while (cursor);
    expect(tree).toHaveLength(15);
    expect(tree.slice(3)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    // a cursor of one listing does not fit another
    const desc = await messagesOf(c.id, '?order=desc&limit=2');
    expect(
      (await svc.request('GET', `/api/v1/character_messages/chats/${c.id}/messages?view=tree&cursor=${desc.next_cursor}`)).body.code,
    ).toBe('invalid_cursor');
  });

  test('path pages skip deleted messages, however many sit in a row', async () => {
    const { chat: c } = await chat();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await post(c.id, { sender: 'user', content: `p${i}` })).body.id);
    // delete p5..p34: a long run of hidden messages in the middle
    for (const id of ids.slice(5, 35)) expect((await svc.request('DELETE', `/api/v1/character_messages/messages/${id}`)).status).toBe(200);
    const collect = async (order: string, limit: number) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Array<{ content: string }>; next_cursor: string | null; total: number } = await messagesOf(
          c.id,
          `?order=${order}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.total).toBe(11);
        seen.push(...page.items.map((m) => m.content));
        cursor = page.next_cursor;
      } while (cursor);
      return seen;
    };
    const expected = ['p0', 'p1', 'p2', 'p3', 'p4', 'p35', 'p36', 'p37', 'p38', 'p39'];
    expect(await collect('asc', 3)).toEqual([expect.any(String), ...expected]);
    expect(await collect('desc', 4)).toEqual([...[...expected].reverse(), expect.any(String)]);
    expect(await collect('desc', 200)).toHaveLength(11);
  });

  test('alternates on any message: post under an earlier parent, select swaps the branch, listing shows count and position', async () => {
    const { chat: c } = await chat();
    const u1 = (await post(c.id, { sender: 'user', content: 'u1' })).body;
    const a1 = (await post(c.id, { sender: 'assistant', content: 'a1' })).body;
    const u2 = (await post(c.id, { sender: 'user', content: 'u2' })).body;
    await post(c.id, { sender: 'assistant', content: 'a2' });
    // swipe the middle reply: a new alternate of a1
    const a1b = await post(c.id, { sender: 'assistant', content: 'a1 (b)', parent_message_id: u1.id });
    expect(a1b.body).toMatchObject({ alternate_count: 2, alternate_index: 1, on_active_path: true, parent_message_id: u1.id });
    let path = (await messagesOf(c.id)).items.map((m: { content: string }) => m.content);
    expect(path.slice(1)).toEqual(['u1', 'a1 (b)']);
    // select the old one: the conversation continues through it again
    const sel = await svc.request('PUT', `/api/v1/character_messages/messages/${a1.id}/select`);
    expect(sel.status).toBe(200);
    expect(sel.body).toMatchObject({ id: a1.id, on_active_path: true, alternate_index: 0, alternate_count: 2 });
    path = (await messagesOf(c.id)).items.map((m: { content: string }) => m.content);
    expect(path.slice(1)).toEqual(['u1', 'a1', 'u2', 'a2']);
    const alternates = (await svc.request('GET', `/api/v1/character_messages/messages/${a1.id}/alternates`)).body;
    expect(alternates.items.map((m: { content: string }) => m.content)).toEqual(['a1', 'a1 (b)']);
    expect(alternates.selected_index).toBe(0);
    // the greeting too: swipe to another greeting, the rest of the conversation follows it no more
    const greetings = (await messagesOf(c.id, '?view=tree')).items.filter(
      (m: { parent_message_id: string | null }) => m.parent_message_id === null,
    );
    await svc.request('PUT', `/api/v1/character_messages/messages/${greetings[1].id}/select`);
    expect((await messagesOf(c.id)).items.map((m: { content: string }) => m.content)).toEqual(['Welcome back.']);
    await svc.request('PUT', `/api/v1/character_messages/messages/${greetings[0].id}/select`);
    expect((await messagesOf(c.id)).items).toHaveLength(5);
    // a new message at the end continues the selected branch
    const next = (await post(c.id, { sender: 'user', content: 'u3' })).body;
    expect(next.parent_message_id).toBe((await messagesOf(c.id, '?order=desc&limit=2')).items[1].id);
    expect(u2.id).toBeTruthy();
  });

  test('edit with expected_version, as an alternate, 409 on stale; delete and restore', async () => {
    const { chat: c } = await chat();
    const m = (await post(c.id, { sender: 'assistant', content: 'first draft' })).body;
    const stale = await svc.request('PUT', `/api/v1/character_messages/messages/${m.id}?expected_version=2`, { body: { content: 'x' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: 1, expected_version: 2 });
    const edited = await svc.request('PUT', `/api/v1/character_messages/messages/${m.id}?expected_version=1`, {
      body: { content: 'second draft' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: m.id, content: 'second draft', version: 2 });
    const alt = await svc.request('PUT', `/api/v1/character_messages/messages/${m.id}?expected_version=2&as_alternate=true`, {
      body: { content: 'third draft' },
    });
    expect(alt.status).toBe(201);
    expect(alt.body).toMatchObject({
      content: 'third draft',
      alternate_of: m.id,
      alternate_index: 1,
      alternate_count: 2,
      on_active_path: true,
      sender: 'assistant',
      version: 1,
    });
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${m.id}`)).body).toMatchObject({
      content: 'second draft',
      version: 2,
      on_active_path: false,
    });
    // delete the shown alternate: the other one shows again; restore
    expect((await svc.request('DELETE', `/api/v1/character_messages/messages/${alt.body.id}?expected_version=5`)).status).toBe(409);
    const del = await svc.request('DELETE', `/api/v1/character_messages/messages/${alt.body.id}?expected_version=1`);
    expect(del.body).toEqual({ id: alt.body.id, version: 2, deleted: true });
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${alt.body.id}`)).status).toBe(404);
    expect(
      (await svc.request('GET', `/api/v1/character_messages/messages/${alt.body.id}?include_deleted=true`)).body.deleted_at,
    ).not.toBeNull();
    expect((await messagesOf(c.id)).items.map((x: { content: string }) => x.content).slice(-1)).toEqual(['second draft']);
    expect((await svc.request('PUT', `/api/v1/character_messages/messages/${alt.body.id}`, { body: { content: 'x' } })).status).toBe(404);
    const restored = await svc.request('POST', `/api/v1/character_messages/messages/${alt.body.id}/restore`);
    expect(restored.body).toMatchObject({ version: 3, deleted_at: null, on_active_path: true });
    // the message's history is in its chat's events; nothing was overwritten
    const types = (await svc.runtime.eventStore.readStream(`chat-${c.id}`)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('Message')).slice(-5)).toEqual([
      'MessagePosted',
      'MessageEdited',
      'MessagePosted',
      'MessageDeleted',
      'MessageRestored',
    ]);
    for (const bad of [{}, { content: '' }, { content: 'x', extra: 1 }]) {
      expect((await svc.request('PUT', `/api/v1/character_messages/messages/${m.id}`, { body: bad })).status).toBe(400);
    }
    expect((await svc.request('PUT', `/api/v1/character_messages/messages/${MISSING}`, { body: { content: 'x' } })).status).toBe(404);
  });

  test('deleting a message in the middle hides only that message', async () => {
    const { chat: c } = await chat();
    await post(c.id, { sender: 'user', content: 'a' });
    const b = (await post(c.id, { sender: 'assistant', content: 'b' })).body;
    await post(c.id, { sender: 'user', content: 'c' });
    await svc.request('DELETE', `/api/v1/character_messages/messages/${b.id}`);
    expect((await messagesOf(c.id)).items.map((x: { content: string }) => x.content).slice(1)).toEqual(['a', 'c']);
    expect((await svc.request('GET', `/api/v1/character_chats/${c.id}`)).body.message_count).toBe(5);
  });

  test('full-text search: ranked, highlighted, escaped, across branches, paginated', async () => {
    const { chat: c } = await chat();
    await post(c.id, { sender: 'user', content: 'The dragon sleeps under the mountain.' });
    await post(c.id, { sender: 'assistant', content: 'Dragons, dragons everywhere! <script>the dragon</script> roars.' });
    await post(c.id, { sender: 'user', content: 'Nothing to see here.' });
    const res = await svc.request('GET', `/api/v1/character_messages/chats/${c.id}/messages/search?q=dragon`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0].content).toContain('Dragons, dragons');
    expect(res.body.items[0].rank).toBeGreaterThan(res.body.items[1].rank);
    expect(res.body.items[0].snippet).toContain('<mark>Dragons</mark>');
    expect(res.body.items[0].snippet).toContain('&lt;script&gt;');
    expect(res.body.items[0].snippet).not.toContain('<script>');
    const page = await svc.request('GET', `/api/v1/character_messages/chats/${c.id}/messages/search?query=dragon&limit=1`);
    expect(page.body).toMatchObject({ has_more: true, next_offset: 1 });
    expect((await svc.request('GET', `/api/v1/character_messages/chats/${c.id}/messages/search?q=unicorn`)).body.items).toEqual([]);
  });

  test('images: stored by hash, served with the type sniffed from the bytes; a bad payload is 400 and stores nothing', async () => {
    const { chat: c } = await chat();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of a tiny png')]);
    const res = await post(c.id, { sender: 'user', content: '', image_base64: `data:image/png;base64,${png.toString('base64')}` });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      has_image: true,
      image: { media_type: 'image/png', size: png.length, url: `/api/v1/character_messages/messages/${res.body.id}/image` },
    });
    const img = await fetch(`${svc.url}${res.body.image.url}`, { headers: { 'X-API-KEY': 'test-api-key-0123456789abcdef' } });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await img.arrayBuffer()).equals(png)).toBe(true);
    const etag = img.headers.get('etag')!;
    expect(
      (await fetch(`${svc.url}${res.body.image.url}`, { headers: { 'X-API-KEY': 'test-api-key-0123456789abcdef', 'If-None-Match': etag } }))
        .status,
    ).toBe(304);
    const events = await svc.runtime.eventStore.readStream(`chat-${c.id}`);
    expect(JSON.stringify(events[events.length - 1]!.data)).not.toContain(png.toString('base64'));
    for (const [type, bytes] of [
      ['image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])],
      ['image/gif', Buffer.from('GIF89a....')],
      ['image/webp', Buffer.concat([Buffer.from('RIFF'), Buffer.from([0, 0, 0, 0]), Buffer.from('WEBPVP8 ')])],
    ] as const) {
      const r = await post(c.id, { sender: 'user', content: 'pic', image_base64: bytes.toString('base64') });
      expect(r.body.image.media_type).toBe(type);
    }
    const { rows: before } = await svc.runtime.database.pool.query('SELECT count(*)::int AS n FROM blobs.blobs');
    const head = await svc.runtime.eventStore.headPosition();
    const bad: Array<[Record<string, unknown>, number, string]> = [
      [{ image_base64: Buffer.from('just text, not an image').toString('base64') }, 400, 'unsupported_image_type'],
      [{ image_base64: '!!!not base64!!!' }, 400, 'invalid_image'],
      [{ image_base64: 'data:image/png;base64,' }, 400, 'invalid_image'],
      [{ image_base64: png.toString('base64'), image_mime_type: 'image/jpeg' }, 400, 'image_type_mismatch'],
    ];
    for (const [body, status, code] of bad) {
      const r = await post(c.id, { sender: 'user', content: 'x', ...body });
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
    }
    const { rows: after } = await svc.runtime.database.pool.query('SELECT count(*)::int AS n FROM blobs.blobs');
    expect(after[0].n).toBe(before[0].n);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    // a message without an image has no image route
    const plain = (await post(c.id, { sender: 'user', content: 'no picture' })).body;
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${plain.id}/image`)).status).toBe(404);
  });

  test('an image over the limit is refused before anything is stored', async () => {
    const small = await startTestService({ env: { MESSAGE_IMAGE_MAX_BYTES: '1000' } });
    try {
      const c = await small.request('POST', '/api/v1/characters', { body: { name: 'Tiny' } });
      const ch = await small.request('POST', '/api/v1/character_chats', { body: { character_id: c.body.id } });
      const big = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1200)]);
      const head = await small.runtime.eventStore.headPosition();
      const r = await small.request('POST', `/api/v1/character_messages/chats/${ch.body.id}/messages`, {
        body: { sender: 'user', image_base64: big.toString('base64') },
      });
      expect(r.status).toBe(413);
      expect(r.body.code).toBe('image_too_large');
      expect(await small.runtime.eventStore.headPosition()).toBe(head);
      const { rows } = await small.runtime.database.pool.query('SELECT count(*)::int AS n FROM blobs.blobs');
      expect(rows[0].n).toBe(0);
    } finally {
      await small.close();
    }
  });

  test('a 5 MB image goes through (the route accepts a body that large)', async () => {
    const { chat: c } = await chat();
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5 * 1_048_576 - 4, 7)]);
    const r = await post(c.id, { sender: 'user', image_base64: big.toString('base64') });
    expect(r.status).toBe(201);
    expect(r.body.image).toMatchObject({ media_type: 'image/jpeg', size: 5 * 1_048_576 });
    const over = Buffer.concat([big, Buffer.alloc(1)]);
    expect((await post(c.id, { sender: 'user', image_base64: over.toString('base64') })).status).toBe(413);
  });
});
