import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';

/**
 * Memory search scores the turns of every branch and then keeps to the active path: when the best-scoring turns
 * all lie on other branches (more of them than the search first checks, 400), the turn of the active path is still
 * found, with its neighbour; a branch switch and a delete change what is found at once.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

async function post(chatId: string, sender: string, content: string, parent?: string): Promise<string> {
  const res = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
    body: { sender, content, ...(parent !== undefined ? { parent_message_id: parent } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function search(chatId: string, query: string): Promise<string[]> {
  const res = await svc.request('POST', `/api/v1/character_chats/${chatId}/memory/search`, { body: { query, limit: 5 } });
  expect(res.status).toBe(200);
  return res.body.results.map((r: { message_id: string }) => r.message_id);
}

describe('memory search over many branches', () => {
  test('the active turn is found below 420 better-scoring alternates of other branches', async () => {
    const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Vela', first_mes: 'Hi.' } });
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } })).body.id as string;
    const root = await post(chat, 'user', 'Tell me about the mountains you crossed.');
    const chosen = await post(
      chat,
      'assistant',
      'We walked for days past lakes and pine forests and villages and rivers until we reached a glacier at last.',
    );
    const alternates: string[] = [];
    for (let i = 0; i < 420; i++) alternates.push(await post(chat, 'assistant', `Glacier, glacier, the glacier ${i}.`, root));
    // The last alternate is active: it is found, `chosen` (another branch now) is not.
    let found = await search(chat, 'glacier');
    expect(found[0]).toBe(alternates[419]);
    expect(found).not.toContain(chosen);
    expect(found.filter((id) => alternates.slice(0, 419).includes(id))).toEqual([]);

    expect((await svc.request('PUT', `/api/v1/character_messages/messages/${chosen}/select`, {})).status).toBe(200);
    found = await search(chat, 'glacier');
    expect(found.slice(0, 2).sort()).toEqual([chosen, root].sort());
    expect(found).toHaveLength(2);

    expect((await svc.request('DELETE', `/api/v1/character_messages/messages/${chosen}`, {})).status).toBe(200);
    // The path moves to another alternate: that one and the root are found, never the deleted turn.
    found = await search(chat, 'glacier');
    expect(found).not.toContain(chosen);
    expect(found.filter((id) => alternates.includes(id))).toHaveLength(1);
    expect(found).toContain(root);

    const check = await compareWithFreshRebuild(svc.databaseUrl);
    expect(check.differences).toEqual({});
  }, 180_000);

  test('the second hop keeps to the active path, and the active path index exists', async () => {
    const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Iro', first_mes: 'Hi.' } });
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } })).body.id as string;
    await post(chat, 'user', 'Who gave you the lantern?');
    const gift = await post(chat, 'assistant', 'It was a gift from old Marisol, the lantern.');
    const asked = await post(chat, 'user', 'Where does she live now?');
    const other = await post(chat, 'assistant', 'At the market Marisol sells fish every morning.', asked);
    const active = await post(chat, 'assistant', 'By the harbour lives Marisol, in a blue house.', asked);
    // The first hop finds the gift; its name leads the second hop to the active answer, never to the other branch's.
    let found = await search(chat, 'lantern gift');
    expect(found[0]).toBe(gift);
    expect(found).toContain(active);
    expect(found).not.toContain(other);

    expect((await svc.request('PUT', `/api/v1/character_messages/messages/${other}/select`, {})).status).toBe(200);
    found = await search(chat, 'lantern gift');
    expect(found).toContain(other);
    expect(found).not.toContain(active);

    const client = new pg.Client({ connectionString: svc.databaseUrl });
    await client.connect();
    try {
      const index = await client.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'read' AND indexname = 'chat_messages_active_path'",
      );
      expect(index.rows[0]?.indexdef).toMatch(/\(chat_id, depth\) INCLUDE \(id, created_at\) WHERE \(on_path AND \(deleted_at IS NULL\)\)/);
    } finally {
      await client.end();
    }
  }, 60_000);
});
