import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { MAX_CHATS_PER_USER: '5', MAX_MESSAGES_PER_CHAT: '10' } });
});
afterAll(async () => {
  await svc?.close();
});

const post = (chatId: string, content: string) =>
  svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body: { sender: 'user', content } });
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('caps hold under concurrency', () => {
  test('20 concurrent sends into a chat one below its message cap: exactly one succeeds, the rest are 403 limit_exceeded', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Capped', first_message: 'hello' } })).body;
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;
    for (let i = 0; i < 8; i++) expect((await post(chat.id, `m${i}`)).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(chat.id, `race ${i}`)));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 201)).toBe(1);
    expect(count(statuses, 403)).toBe(19);
    for (const r of results.filter((x) => x.status === 403)) {
      expect(r.body).toMatchObject({ code: 'limit_exceeded', detail: 'Message limit exceeded. Maximum 10 messages per chat.' });
    }
    const listed = (await svc.request('GET', `/api/v1/character_messages/chats/${chat.id}/messages?view=tree`)).body;
    expect(listed.total).toBe(10);
    // alternates count, and a deleted message frees its place; restoring it over the cap is refused
    const last = listed.items[listed.items.length - 1];
    expect(
      (await svc.request('PUT', `/api/v1/character_messages/messages/${last.id}?as_alternate=true`, { body: { content: 'alt' } })).status,
    ).toBe(403);
    expect((await svc.request('DELETE', `/api/v1/character_messages/messages/${last.id}`)).status).toBe(200);
    expect((await post(chat.id, 'fits again')).status).toBe(201);
    expect((await svc.request('POST', `/api/v1/character_messages/messages/${last.id}/restore`)).body.code).toBe('limit_exceeded');
    // an import larger than the cap is refused whole
    const lines = [
      '{"user_name":"U","character_name":"Capped","create_date":"2024-10-18@20h52m05s","chat_metadata":{}}',
      ...Array.from({ length: 11 }, (_, i) => JSON.stringify({ name: 'U', is_user: true, mes: `l${i}` })),
    ];
    const before = await svc.runtime.eventStore.headPosition();
    const imported = await svc.request('POST', '/api/v1/character_chats/import', {
      body: { character_id: character.id, content: lines.join('\n') },
    });
    expect(imported.status).toBe(403);
    expect(imported.body.code).toBe('limit_exceeded');
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
  });

  test('concurrent sends under the cap all succeed, each on the previous one (no fork of the conversation)', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Busy' } })).body;
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post(chat.id, `c${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const path = (await svc.request('GET', `/api/v1/character_messages/chats/${chat.id}/messages`)).body;
    expect(path.items).toHaveLength(10);
    expect(path.items.every((m: { alternate_count: number }) => m.alternate_count === 1)).toBe(true);
  });

  test('20 concurrent chat creates at the per-user cap give exactly the allowed number; delete frees a slot, restore takes one', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Popular' } })).body;
    const existing = (await svc.request('GET', '/api/v1/character_chats?limit=200')).body.total;
    const allowed = 5 - existing;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })),
    );
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 201)).toBe(allowed);
    expect(count(statuses, 403)).toBe(20 - allowed);
    const refused = results.find((r) => r.status === 403)!;
    expect(refused.body).toMatchObject({ code: 'limit_exceeded', detail: 'Chat limit exceeded. Maximum 5 concurrent chats allowed.' });
    expect((await svc.request('GET', '/api/v1/character_chats')).body.total).toBe(5);
    const victim = results.find((r) => r.status === 201)!.body;
    expect((await svc.request('DELETE', `/api/v1/character_chats/${victim.id}`)).status).toBe(200);
    const replacement = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } });
    expect(replacement.status).toBe(201);
    const restore = await svc.request('POST', `/api/v1/character_chats/${victim.id}/restore`);
    expect(restore.status).toBe(403);
    expect(restore.body.code).toBe('limit_exceeded');
    expect((await svc.request('DELETE', `/api/v1/character_chats/${replacement.body.id}`)).status).toBe(200);
    expect((await svc.request('POST', `/api/v1/character_chats/${victim.id}/restore`)).status).toBe(200);
    // a fork takes a slot too
    const m = (await post(victim.id, 'branch here')).body;
    const head = await svc.runtime.eventStore.headPosition();
    const fork = await svc.request('POST', `/api/v1/character_chats/${victim.id}/fork`, { body: { message_id: m.id } });
    expect(fork.status).toBe(403);
    expect(fork.body.code).toBe('limit_exceeded');
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
  });

  test('concurrent edits with the same expected_version: one wins, the others are 409', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Edited' } })).body;
    const chats = (await svc.request('GET', '/api/v1/character_chats?limit=200')).body.items;
    await svc.request('DELETE', `/api/v1/character_chats/${chats[0].id}`);
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;
    const m = (await post(chat.id, 'draft')).body;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        svc.request('PUT', `/api/v1/character_messages/messages/${m.id}?expected_version=1`, { body: { content: `edit ${i}` } }),
      ),
    );
    expect(
      count(
        results.map((r) => r.status),
        200,
      ),
    ).toBe(1);
    expect(
      count(
        results.map((r) => r.status),
        409,
      ),
    ).toBe(7);
    const renames = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        svc.request('PUT', `/api/v1/character_chats/${chat.id}?expected_version=${chat.version + 2}`, { body: { title: `t${i}` } }),
      ),
    );
    expect(
      count(
        renames.map((r) => r.status),
        200,
      ),
    ).toBe(1);
    expect(
      count(
        renames.map((r) => r.status),
        409,
      ),
    ).toBe(7);
  });

  test('concurrent selects, deletes, restores and forks on one chat stay consistent', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Contended', first_message: 'hi' } })).body;
    const chats = (await svc.request('GET', '/api/v1/character_chats?limit=200')).body.items;
    for (const c of chats) await svc.request('DELETE', `/api/v1/character_chats/${c.id}`);
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;
    const u = (await post(chat.id, 'question')).body;
    const alts: string[] = [];
    for (let i = 0; i < 4; i++)
      alts.push(
        (
          await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
            body: { sender: 'assistant', content: `answer ${i}`, parent_message_id: u.id },
          })
        ).body.id,
      );
    const selects = await Promise.all(alts.map((id) => svc.request('PUT', `/api/v1/character_messages/messages/${id}/select`)));
    expect(selects.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const path = (await svc.request('GET', `/api/v1/character_messages/chats/${chat.id}/messages`)).body.items;
    expect(path).toHaveLength(3);
    expect(alts).toContain(path[2].id);
    const deletes = await Promise.all(
      Array.from({ length: 6 }, () => svc.request('DELETE', `/api/v1/character_messages/messages/${alts[0]}`)),
    );
    expect(
      count(
        deletes.map((r) => r.status),
        200,
      ),
    ).toBe(1);
    expect(
      count(
        deletes.map((r) => r.status),
        404,
      ),
    ).toBe(5);
    const restores = await Promise.all(
      Array.from({ length: 6 }, () => svc.request('POST', `/api/v1/character_messages/messages/${alts[0]}/restore`)),
    );
    expect(restores.map((r) => r.status)).toEqual(Array(6).fill(200));
    const types = (await svc.runtime.eventStore.readStream(`chat-${chat.id}`)).map((e) => e.type);
    expect(types.filter((t) => t === 'MessageDeleted')).toHaveLength(1);
    expect(types.filter((t) => t === 'MessageRestored')).toHaveLength(1);
    const forks = await Promise.all(
      Array.from({ length: 3 }, () => svc.request('POST', `/api/v1/character_chats/${chat.id}/fork`, { body: { message_id: u.id } })),
    );
    expect(forks.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(forks.map((r) => r.body.id)).size).toBe(3);
    // the read model's conversation is the one the chat's events decide
    const view = (await svc.request('GET', `/api/v1/character_messages/chats/${chat.id}/messages`)).body.items;
    const selected = view[2];
    expect(selected.on_active_path).toBe(true);
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${selected.id}/alternates`)).body.items).toHaveLength(4);
  });
});
