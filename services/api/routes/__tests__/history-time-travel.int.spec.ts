import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BOOKS = '/api/v1/characters/world-books';
const withoutMarker = (body: Record<string, unknown>) => {
  const { as_of_version: _marker, ...rest } = body;
  return rest;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every page of a history, following next_cursor. */
async function allPages(url: string, limit: number): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await svc.request('GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('history did not end');
}

describe('history and time travel, from the events', () => {
  test('character: as_of every version equals the GET answered at that version; history says who, when and what', async () => {
    const snapshots: Record<number, any> = {};
    const created = await svc.request('POST', '/api/v1/characters', { body: { name: 'Chronos', description: 'first', tags: ['time'] } });
    const id = created.body.id as string;
    const snap = async () => {
      const res = await svc.request('GET', `/api/v1/characters/${id}?include_card=true`);
      snapshots[res.body.version] = res.body;
      return res.body;
    };
    await snap();
    await sleep(5);
    const between = new Date().toISOString();
    await sleep(5);
    await svc.request('PUT', `/api/v1/characters/${id}`, { body: { description: 'second', personality: 'patient' } });
    await snap();
    await svc.request('PUT', `/api/v1/characters/${id}`, { body: { card_data: { nickname: 'Chron' }, tags: ['time', 'myth'] } });
    await snap();
    await svc.request('DELETE', `/api/v1/characters/${id}`);
    await svc.request('POST', `/api/v1/characters/${id}/restore`);
    const current = await snap();
    expect(current.version).toBe(5);

    for (const [version, body] of Object.entries(snapshots)) {
      const past = await svc.request('GET', `/api/v1/characters/${id}?as_of=${version}&include_card=true`);
      expect(past.status).toBe(200);
      expect(past.body.as_of_version).toBe(Number(version));
      expect(past.headers.get('etag')).toBe(`W/"${version}"`);
      expect(withoutMarker(past.body)).toEqual(body);
    }
    // Deleted at version 4: the past shows it deleted, although the live character is not.
    const deleted = (await svc.request('GET', `/api/v1/characters/${id}?as_of=4`)).body;
    expect(deleted.deleted_at).not.toBeNull();
    // A moment between versions 1 and 2 is version 1; the older as_of_version spelling still works.
    const atTime = await svc.request('GET', `/api/v1/characters/${id}?as_of=${encodeURIComponent(between)}`);
    expect(atTime.status).toBe(200);
    expect(withoutMarker(atTime.body)).toEqual(withoutMarker({ ...snapshots[1], card: undefined }));
    expect(atTime.body.as_of_version).toBe(1);
    expect((await svc.request('GET', `/api/v1/characters/${id}?as_of_version=2`)).body).toMatchObject({
      description: 'second',
      as_of_version: 2,
    });

    // Refusals: beyond the current version, before creation, in the future, not a version or a time.
    expect((await svc.request('GET', `/api/v1/characters/${id}?as_of=6`)).status).toBe(404);
    expect((await svc.request('GET', `/api/v1/characters/${id}?as_of=2001-01-01T00:00:00Z`)).status).toBe(404);
    const future = await svc.request('GET', `/api/v1/characters/${id}?as_of=2999-01-01T00:00:00Z`);
    expect([future.status, future.body.code]).toEqual([400, 'as_of_in_future']);
    for (const bad of ['0', 'yesterday', '2026-13-45T99:00:00Z', '-1']) {
      const res = await svc.request('GET', `/api/v1/characters/${id}?as_of=${encodeURIComponent(bad)}`);
      expect([bad, res.status]).toEqual([bad, 400]);
    }
    expect((await svc.request('GET', `/api/v1/characters/${id}?as_of=1&as_of_version=2`)).status).toBe(400);
    expect((await svc.request('GET', `/api/v1/characters/0190a000-0000-7000-8000-000000000000?as_of=1`)).status).toBe(404);

    const history = await svc.request('GET', `/api/v1/characters/${id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.current_version).toBe(5);
    expect(history.body.items.map((i: any) => [i.version, i.event_type, i.user_id])).toEqual([
      [1, 'CharacterCreated', 'local'],
      [2, 'CharacterUpdated', 'local'],
      [3, 'CharacterUpdated', 'local'],
      [4, 'CharacterDeleted', 'local'],
      [5, 'CharacterRestored', 'local'],
    ]);
    expect(history.body.items[0].summary).toBe('created character "Chronos"');
    expect(history.body.items[1].summary).toBe('changed description, personality');
    expect([...history.body.items[2].changed_fields].sort()).toEqual(['nickname', 'tags']);
    expect(history.body.items.every((i: any) => typeof i.at === 'string' && i.request_id && i.event_id && i.position)).toBe(true);
    // Pages in both orders give the same events.
    expect((await allPages(`/api/v1/characters/${id}/history`, 2)).map((i) => i.version)).toEqual([1, 2, 3, 4, 5]);
    expect((await allPages(`/api/v1/characters/${id}/history?order=desc`, 2)).map((i) => i.version)).toEqual([5, 4, 3, 2, 1]);
    const wrongCursor = (await svc.request('GET', `/api/v1/characters/${id}/history?limit=2`)).body.next_cursor;
    expect((await svc.request('GET', `/api/v1/characters/${id}/history?order=desc&cursor=${wrongCursor}`)).status).toBe(400);
    // The older /versions view is the same history.
    const versions = (await svc.request('GET', `/api/v1/characters/${id}/versions`)).body.items;
    expect(versions.map((v: any) => [v.version, v.event_type, v.changed_fields, v.summary])).toEqual(
      history.body.items.map((i: any) => [i.version, i.event_type, i.changed_fields, i.summary]),
    );
  });

  test('world book and its entries: as_of equals the GET of each version; entry history is cut from the book stream', async () => {
    const snapshots: Record<number, any> = {};
    const book = (await svc.request('POST', BOOKS, { body: { name: 'Atlas', description: 'maps' } })).body;
    const snap = async () => {
      const res = await svc.request('GET', `${BOOKS}/${book.id}`);
      snapshots[res.body.version] = res.body;
    };
    await snap();
    const dragon = (
      await svc.request('POST', `${BOOKS}/${book.id}/entries`, {
        body: { keys: ['dragon'], content: 'Dragons nest in the north.', comment: 'Dragons' },
      })
    ).body;
    await snap();
    const castle = (await svc.request('POST', `${BOOKS}/${book.id}/entries`, { body: { keys: ['castle'], content: 'A castle.' } })).body;
    await snap();
    await svc.request('PUT', `${BOOKS}/${book.id}`, { body: { name: 'Atlas Major', is_global: true } });
    await snap();
    await svc.request('PUT', `${BOOKS}/${book.id}/entries/${dragon.entry_id}`, {
      body: { content: 'Dragons nest in the east.', priority: 7 },
    });
    await snap();
    await svc.request('POST', `${BOOKS}/entries/bulk`, { body: { entry_ids: [castle.entry_id], operation: 'disable' } });
    await snap();
    await svc.request('DELETE', `${BOOKS}/${book.id}/entries/${castle.entry_id}`);
    await snap();
    expect(Object.keys(snapshots).map(Number)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    for (const [version, body] of Object.entries(snapshots)) {
      const past = await svc.request('GET', `${BOOKS}/${book.id}?as_of=${version}`);
      expect(past.status).toBe(200);
      expect(withoutMarker(past.body)).toEqual(body);
    }
    const bookOnly = (await svc.request('GET', `${BOOKS}/${book.id}?as_of=3&include_entries=false`)).body;
    expect(bookOnly.entries).toBeUndefined();
    expect(bookOnly).toMatchObject({ name: 'Atlas', entry_count: 2, as_of_version: 3 });
    expect((await svc.request('GET', `${BOOKS}/${book.id}?as_of=8`)).status).toBe(404);

    const history = (await svc.request('GET', `${BOOKS}/${book.id}/history`)).body;
    expect(history.items.map((i: any) => i.event_type)).toEqual([
      'WorldBookCreated',
      'WorldBookEntryAdded',
      'WorldBookEntryAdded',
      'WorldBookUpdated',
      'WorldBookEntryUpdated',
      'WorldBookEntriesBulkChanged',
      'WorldBookEntryDeleted',
    ]);
    expect(history.items[3]).toMatchObject({ summary: 'changed name, is_global' });
    expect(history.items[3].changed_fields.sort()).toEqual(['is_global', 'name']);
    expect(history.items[1].changed_fields).toEqual(['entries']);

    const dragonHistory = (await svc.request('GET', `${BOOKS}/${book.id}/entries/${dragon.entry_id}/history`)).body;
    expect(dragonHistory.items.map((i: any) => [i.version, i.event_type])).toEqual([
      [2, 'WorldBookEntryAdded'],
      [5, 'WorldBookEntryUpdated'],
    ]);
    expect(dragonHistory.items[0].summary).toContain('"Dragons"');
    expect(dragonHistory.items[1].changed_fields.sort()).toEqual(['content', 'priority']);
    const castleHistory = (await svc.request('GET', `${BOOKS}/${book.id}/entries/${castle.entry_id}/history`)).body;
    expect(castleHistory.items.map((i: any) => i.event_type)).toEqual([
      'WorldBookEntryAdded',
      'WorldBookEntriesBulkChanged',
      'WorldBookEntryDeleted',
    ]);
    expect(castleHistory.items[1].changed_fields).toEqual(['enabled']);
    // A deleted entry keeps its history; an entry that never was in this book has none.
    expect((await svc.request('GET', `${BOOKS}/${book.id}/entries/0190a000-0000-7000-8000-000000000001/history`)).status).toBe(404);
  });

  test("a card's book re-imported over itself: as_of still equals each version's GET (entries kept, added, removed)", async () => {
    const entry = (id: number, key: string, content: string) => ({
      id,
      keys: [key],
      content,
      enabled: true,
      insertion_order: 10 + id,
      extensions: {},
    });
    const card = (entries: unknown[], description: string) =>
      new TextEncoder().encode(
        JSON.stringify({
          spec: 'chara_card_v2',
          spec_version: '2.0',
          data: {
            name: 'Cartographer',
            description,
            first_mes: 'Hello.',
            character_book: { name: 'Cartographer lore', entries, extensions: {} },
          },
        }),
      );
    const first = await svc.upload('/api/v1/characters/import', {
      bytes: card([entry(0, 'map', 'Maps.'), entry(1, 'sea', 'The sea.')], 'v1'),
      filename: 'c.json',
      type: 'application/json',
    });
    expect(first.status).toBe(201);
    const bookId = first.body.import.world_book.id as string;
    const characterId = first.body.id as string;
    const books: Record<number, any> = {};
    const characters: Record<number, any> = {};
    const snap = async () => {
      const b = (await svc.request('GET', `${BOOKS}/${bookId}`)).body;
      books[b.version] = b;
      const c = (await svc.request('GET', `/api/v1/characters/${characterId}?include_card=true`)).body;
      characters[c.version] = c;
    };
    await snap();
    await sleep(5);
    const again = await svc.upload('/api/v1/characters/import?on_conflict=overwrite', {
      bytes: card([entry(0, 'map', 'Maps, redrawn.'), entry(1, 'sea', 'The sea.'), entry(2, 'star', 'Stars.')], 'v2'),
      filename: 'c.json',
      type: 'application/json',
    });
    expect(again.status).toBe(200);
    await snap();
    await svc.request('POST', `${BOOKS}/${bookId}/entries`, { body: { keys: ['compass'], content: 'A compass.' } });
    await snap();
    await sleep(5);
    const third = await svc.upload('/api/v1/characters/import?on_conflict=overwrite', {
      bytes: card([entry(0, 'map', 'Maps, redrawn.'), entry(2, 'star', 'Stars.')], 'v3'),
      filename: 'c.json',
      type: 'application/json',
    });
    expect(third.status).toBe(200);
    await snap();
    expect(Object.keys(books).length).toBeGreaterThanOrEqual(3);
    for (const [version, body] of Object.entries(books))
      expect(withoutMarker((await svc.request('GET', `${BOOKS}/${bookId}?as_of=${version}`)).body)).toEqual(body);
    for (const [version, body] of Object.entries(characters))
      expect(
        withoutMarker((await svc.request('GET', `/api/v1/characters/${characterId}?as_of=${version}&include_card=true`)).body),
      ).toEqual(body);
    const history = (await svc.request('GET', `${BOOKS}/${bookId}/history`)).body.items;
    expect(history.map((i: any) => i.event_type)).toEqual([
      'WorldBookCreated',
      'WorldBookContentReplaced',
      'WorldBookEntryAdded',
      'WorldBookContentReplaced',
    ]);
    // The sea entry: created with the book, removed by the last re-import (which does not name it).
    const sea = books[1].entries.find((e: any) => e.content === 'The sea.').entry_id;
    const seaHistory = (await svc.request('GET', `${BOOKS}/${bookId}/entries/${sea}/history`)).body.items;
    expect(seaHistory.map((i: any) => [i.event_type, i.version])).toEqual([
      ['WorldBookCreated', 1],
      ['WorldBookContentReplaced', 2],
      ['WorldBookContentReplaced', 4],
    ]);
  });

  test('chat and messages: as_of equals the GET of each version; a message history follows its edits and alternates', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Talker', first_message: 'Hello!' } })).body;
    const snapshots: Record<number, any> = {};
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id, title: 'Small talk' } })).body;
    const snap = async () => {
      const res = await svc.request('GET', `/api/v1/character_chats/${chat.id}`);
      snapshots[res.body.version] = res.body;
    };
    await snap();
    const posted = (
      await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
        body: { sender: 'user', content: 'How are you?' },
      })
    ).body;
    await snap();
    const edited = await svc.request('PUT', `/api/v1/character_messages/messages/${posted.id}`, {
      body: { content: 'How are you today?' },
    });
    expect(edited.status).toBe(200);
    await snap();
    const alternate = await svc.request('PUT', `/api/v1/character_messages/messages/${posted.id}?as_alternate=true`, {
      body: { content: 'Are you well?' },
    });
    expect(alternate.status).toBe(201);
    await snap();
    await svc.request('PUT', `/api/v1/character_chats/${chat.id}`, { body: { title: 'Renamed talk', rating: 5 } });
    await snap();
    await svc.request('DELETE', `/api/v1/character_messages/messages/${alternate.body.id}`);
    await snap();
    for (const [version, body] of Object.entries(snapshots)) {
      const past = await svc.request('GET', `/api/v1/character_chats/${chat.id}?as_of=${version}`);
      expect(past.status).toBe(200);
      expect(withoutMarker(past.body)).toEqual(body);
    }

    const chatHistory = (await svc.request('GET', `/api/v1/character_chats/${chat.id}/history`)).body;
    expect(chatHistory.items.map((i: any) => i.event_type)).toEqual([
      'ChatCreated',
      'MessagePosted',
      'MessagePosted',
      'MessageEdited',
      'MessagePosted',
      'ChatUpdated',
      'MessageDeleted',
    ]);
    expect(chatHistory.items[5]).toMatchObject({ summary: 'changed title, rating', changed_fields: ['title', 'rating'] });
    const messageHistory = (await svc.request('GET', `/api/v1/character_messages/messages/${posted.id}/history`)).body;
    expect(messageHistory.items.map((i: any) => i.event_type)).toEqual(['MessagePosted', 'MessageEdited', 'MessagePosted']);
    expect(messageHistory.items[0].summary).toBe('posted (user): "How are you?"');
    expect(messageHistory.items[2].summary).toBe('added an alternate (user): "Are you well?"');
    const alternateHistory = (await svc.request('GET', `/api/v1/character_messages/messages/${alternate.body.id}/history`)).body;
    expect(alternateHistory.items.map((i: any) => i.event_type)).toEqual(['MessagePosted', 'MessageDeleted']);
    expect((await svc.request('GET', `/api/v1/character_messages/messages/0190a000-0000-7000-8000-000000000002/history`)).status).toBe(404);
  });

  test('the audit projection holds every event of the log, in log order', async () => {
    await svc.request('POST', '/api/v1/characters', { body: { name: 'Audited' } });
    const log = await svc.runtime.eventStore.readAll({ maxCount: 100_000 });
    const audit = await svc.request('GET', `/api/v1/audit/events?order=asc&limit=500`);
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: any) => e.event_id)).toEqual(log.slice(0, 500).map((e) => e.id));
    expect(audit.body.items.every((e: any) => e.user_id === 'local')).toBe(true);
  });
});
