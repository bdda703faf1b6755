import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference } from '../../test/read-model-check.ts';
import { chatDictionariesProjection } from '../chat-dictionaries-projection.ts';
import { chatDictionaryAttachmentsProjection } from '../chat-dictionary-attachments-projection.ts';
import { purgeUserFromReadModels } from '../forget-user.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BASE = '/api/v1/chat/dictionaries';
const OWN = [chatDictionariesProjection, chatDictionaryAttachmentsProjection];

const tableDiff = (a: string, b: string, table: string) => tableDifference(svc.runtime.database.db, a, b, table);

/** Every kind of dictionary and attachment event. */
async function seed() {
  const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Projected', first_message: 'Hi.' } })).body.id;
  const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character } })).body.id;
  for (let i = 0; i < 4; i++) {
    const d = (await svc.request('POST', BASE, { body: { name: `P${i}`, tags: ['t'], entries: [{ pattern: `a${i}`, replacement: 'b' }] } }))
      .body;
    const e = (await svc.request('POST', `${BASE}/${d.id}/entries`, { body: { pattern: 'x', replacement: 'y', group: 'g' } })).body;
    await svc.request('PUT', `${BASE}/${d.id}`, { body: { description: `d${i}`, is_active: i % 2 === 0 } });
    await svc.request('PUT', `${BASE}/entries/${e.id}`, { body: { replacement: 'z', timed_effects: { sticky: 2 } } });
    const entries = (await svc.request('GET', `${BASE}/${d.id}/entries`)).body.entries.map((x: { id: string }) => x.id);
    await svc.request('PUT', `${BASE}/${d.id}/entries/reorder`, { body: { entry_ids: [...entries].reverse() } });
    if (i === 1) await svc.request('DELETE', `${BASE}/entries/${e.id}`);
    if (i === 2) {
      await svc.request('DELETE', `${BASE}/${d.id}`);
      await svc.request('POST', `${BASE}/${d.id}/restore`);
    }
    await svc.request('POST', `/api/v1/characters/${character}/chat-dictionaries`, { body: { dictionary_id: d.id, priority: i } });
    await svc.request('POST', `/api/v1/character_chats/${chat}/chat-dictionaries`, { body: { dictionary_id: d.id, apply_to: 'both' } });
    if (i === 3) await svc.request('DELETE', `/api/v1/character_chats/${chat}/chat-dictionaries/${d.id}`);
  }
}

describe('chat dictionary read models', () => {
  test('a rebuild equals the live read models row for row, and redelivery changes nothing', async () => {
    await seed();
    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_check' });
    for (const p of OWN) for (const table of p.tables) expect(await tableDiff('read', 'read_check', table)).toBe(0);
    expect(
      Number(
        (
          await db
            .withSchema('read')
            .selectFrom('chat_dictionary_entries')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(7);

    const events = await svc.runtime.eventStore.readAll({ maxCount: 100_000 });
    await db.transaction().execute(async (trx) => {
      for (const e of events) for (const p of OWN) if (p.handles.has(e.type)) await p.apply(trx.withSchema('read'), e);
    });
    for (const p of OWN) for (const table of p.tables) expect(await tableDiff('read', 'read_check', table)).toBe(0);
    await sql`DROP SCHEMA read_check CASCADE`.execute(db);
  });

  test("forgetting a user purges their dictionaries, entries, attachments and chats' timed state, and nothing of others", async () => {
    const db = svc.runtime.database.db.withSchema('read');
    const owner = (await db.selectFrom('chat_dictionaries').select('owner_id').executeTakeFirstOrThrow()).owner_id;
    const chat = await db.selectFrom('chats').select('id').where('owner_id', '=', owner).executeTakeFirstOrThrow();
    const now = new Date();
    await db
      .insertInto('chat_dictionary_timed_state')
      .values({ chat_id: chat.id, revision: 99, chat_length: 3, state: JSON.stringify({ sticky: {}, cooldown: {} }), updated_at: now })
      .execute();
    const other = '0190b5a8-0000-7000-8000-00000000beef';
    await db
      .insertInto('chat_dictionaries')
      .values({
        id: other,
        owner_id: 'u-keep',
        version: 1,
        name: 'kept',
        description: '',
        category: null,
        tags: '[]',
        included_dictionary_ids: '[]',
        default_token_budget: null,
        is_active: true,
        entry_count: 0,
        source: '{}',
        created_at: now,
        updated_at: now,
        deleted_at: null,
      } as never)
      .execute();
    const deleted = await purgeUserFromReadModels(svc.runtime.database.db, 'read', projections, owner);
    expect(deleted).toMatchObject({ chat_dictionaries: 4, chat_dictionary_entries: 7, chat_dictionary_timed_state: 1 });
    expect(deleted.chat_dictionary_attachments).toBeGreaterThanOrEqual(7);
    for (const table of ['chat_dictionary_entries', 'chat_dictionary_attachments', 'chat_dictionary_timed_state'] as const) {
      expect(await db.selectFrom(table).selectAll().execute()).toEqual([]);
    }
    expect((await db.selectFrom('chat_dictionaries').select('id').execute()).map((r) => r.id)).toEqual([other]);
  });
});
