import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { chatDecider, chatStream } from '../../commands/chats/chat-decider.ts';
import { nodeAt } from '../../shared/chats/message-tree.ts';
import { vectorToArray } from '../../shared/chats/persistent-vector.ts';
import { loadState } from '../../commands/command-handler.ts';
import { migrateReadModels } from '../../infra/db/migrate.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference } from '../../test/read-model-check.ts';
import { chatsProjection } from '../chats-projection.ts';
import { applyBatch, withUpcast } from '../projection-runner.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
  await seed();
});
afterAll(async () => {
  await svc?.close();
});

const post = async (chatId: string, body: Record<string, unknown>) =>
  (await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body })).body;

/** Chats with every kind of event: greetings, posts, alternates, selects, edits, deletes, restores, settings, forks, imports. */
async function seed() {
  const character = (
    await svc.request('POST', '/api/v1/characters', { body: { name: 'Projected', first_message: 'hi', alternate_greetings: ['hey'] } })
  ).body;
  for (let n = 0; n < 3; n++) {
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await post(chat.id, { sender: i % 2 ? 'assistant' : 'user', content: `chat ${n} message ${i}` })).id);
    const alt = await post(chat.id, { sender: 'assistant', content: 'alternate', parent_message_id: ids[4] });
    await post(chat.id, { sender: 'user', content: 'on the alternate branch' });
    await svc.request('PUT', `/api/v1/character_messages/messages/${ids[5]}/select`);
    await svc.request('PUT', `/api/v1/character_messages/messages/${ids[7]}`, { body: { content: 'edited' } });
    await svc.request('PUT', `/api/v1/character_messages/messages/${ids[9]}?as_alternate=true`, {
      body: { content: 'edited as alternate' },
    });
    await svc.request('DELETE', `/api/v1/character_messages/messages/${ids[2]}`);
    await svc.request('DELETE', `/api/v1/character_messages/messages/${alt.id}`);
    await svc.request('POST', `/api/v1/character_messages/messages/${alt.id}/restore`);
    await svc.request('PUT', `/api/v1/character_chats/${chat.id}`, { body: { title: `Chat ${n}`, settings: { author_note: 'n' } } });
    await svc.request('POST', `/api/v1/character_chats/${chat.id}/fork`, { body: { message_id: ids[6] } });
    if (n === 1) {
      await svc.request('DELETE', `/api/v1/character_chats/${chat.id}`);
      await svc.request('POST', `/api/v1/character_chats/${chat.id}/restore`);
    }
  }
  const file = [
    '{"user_name":"U","character_name":"P","create_date":"2024-10-18@20h52m05s","chat_metadata":{}}',
    ...Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        name: 'P',
        is_user: i % 2 === 0,
        mes: `imported ${i}`,
        swipes: i % 5 === 1 ? [`imported ${i}`, 'other'] : undefined,
        swipe_id: 0,
      }),
    ),
  ];
  await svc.request('POST', '/api/v1/character_chats/import', { body: { character_id: character.id, content: file.join('\n') } });
}

const tableDiff = (a: string, b: string, table: string) => tableDifference(svc.runtime.database.db, a, b, table);

const chatEvents = async () =>
  (await svc.runtime.eventStore.readAll({ maxCount: 100_000 })).filter((e) => chatsProjection.handles.has(e.type)).map(withUpcast);
const snapshot = async (schema: string) => ({
  chats: await svc.runtime.database.db.withSchema(schema).selectFrom('chats').selectAll().orderBy('id').execute(),
  messages: await svc.runtime.database.db.withSchema(schema).selectFrom('chat_messages').selectAll().orderBy('id').execute(),
});

describe('chats projection', () => {
  test('the live read model matches what the path events say', async () => {
    const rows = await svc.runtime.database.db
      .withSchema('read')
      .selectFrom('chat_messages')
      .select(['chat_id', 'depth'])
      .where('on_path', '=', true)
      .execute();
    const perChat = new Map<string, number[]>();
    for (const r of rows) perChat.set(r.chat_id, [...(perChat.get(r.chat_id) ?? []), r.depth]);
    // one message per depth on each chat's path, with no gaps
    for (const depths of perChat.values()) expect(depths.sort((a, b) => a - b)).toEqual(depths.map((_, i) => i));
    expect(perChat.size).toBe(7);
    // and it is the path the decider walks
    for (const chatId of perChat.keys()) {
      const { state } = await loadState(svc.runtime.eventStore, chatStream(chatId), chatDecider);
      const decided = vectorToArray(state.tree.path).map((o) => nodeAt(state.tree, o).id);
      const read = await svc.runtime.database.db
        .withSchema('read')
        .selectFrom('chat_messages')
        .select('id')
        .where('chat_id', '=', chatId)
        .where('on_path', '=', true)
        .orderBy('depth')
        .execute();
      expect(read.map((r) => r.id)).toEqual(decided);
    }
  });

  test('a rebuild into a fresh schema equals the live read model row for row', async () => {
    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_chats_check' });
    expect(await tableDiff('read', 'read_chats_check', 'chats')).toBe(0);
    expect(await tableDiff('read', 'read_chats_check', 'chat_messages')).toBe(0);
    await sql`DROP SCHEMA read_chats_check CASCADE`.execute(db);
  });

  test('redelivering applied events changes nothing', async () => {
    const { db } = svc.runtime.database;
    const before = await snapshot('read');
    const all = await svc.runtime.eventStore.readAll({ maxCount: 100_000 });
    expect((await applyBatch(db, 'read', chatsProjection, all)).applied).toBe(0);
    // even applied directly, past the checkpoint, one by one and batched: the revision guards hold
    const events = await chatEvents();
    await db.transaction().execute(async (trx) => {
      for (const e of events) await chatsProjection.apply(trx.withSchema('read'), e);
      await chatsProjection.applyMany!(trx.withSchema('read'), events);
    });
    expect(await snapshot('read')).toEqual(before);
  });

  test('the batched fast path leaves exactly the rows that applying one by one does', async () => {
    const { db } = svc.runtime.database;
    await migrateReadModels(db, 'read_one');
    await migrateReadModels(db, 'read_many');
    const events = await chatEvents();
    await db.transaction().execute(async (trx) => {
      for (const e of events) await chatsProjection.apply(trx.withSchema('read_one'), e);
    });
    // uneven chunks, so runs of one chat's messages straddle two calls
    for (let i = 0; i < events.length; i += 13) await chatsProjection.applyMany!(db.withSchema('read_many'), events.slice(i, i + 13));
    expect(await tableDiff('read_one', 'read_many', 'chats')).toBe(0);
    expect(await tableDiff('read_one', 'read_many', 'chat_messages')).toBe(0);
    expect(await tableDiff('read', 'read_many', 'chat_messages')).toBe(0);
    await sql`DROP SCHEMA read_one CASCADE`.execute(db);
    await sql`DROP SCHEMA read_many CASCADE`.execute(db);
  });
});
