import { readFileSync } from 'node:fs';
import path from 'node:path';
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
const PROCESS = `${BASE}/process-context`;

async function bookWith(name: string, entries: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  const book = (await svc.request('POST', BASE, { body: { name, ...extra } })).body;
  const ids: string[] = [];
  for (const e of entries) {
    const res = await svc.request('POST', `${BASE}/${book.id}/entries`, { body: e });
    expect(res.status).toBe(201);
    ids.push(res.body.entry_id);
  }
  const version = (await svc.request('GET', `${BASE}/${book.id}?include_entries=false`)).body.version as number;
  return { id: book.id as string, ids, version };
}

const byComment = (res: { body: any }, comment: string) => res.body.diagnostics.find((d: { comment?: string }) => d.comment === comment);

describe('process-context', () => {
  test('a diagnostic per entry says why it fired or why not', async () => {
    const book = await bookWith('Reasons', [
      { comment: 'constant', keys: [], content: 'Always here.', constant: true },
      { comment: 'key', keys: ['dragon'], content: 'Dragons are old.' },
      {
        comment: 'secondary',
        keys: ['dragon'],
        secondary_keys: ['ice'],
        selective: true,
        selective_logic: 'AND_ANY',
        content: 'Ice dragons.',
      },
      {
        comment: 'not-any',
        keys: ['dragon'],
        secondary_keys: ['sleeping'],
        selective: true,
        selective_logic: 'NOT_ANY',
        content: 'Awake dragons.',
      },
      { comment: 'no keys', keys: [], content: 'Never.' },
      { comment: 'disabled', keys: ['dragon'], content: 'Off.', enabled: false },
      { comment: 'probability', keys: ['dragon'], content: 'Rare.', probability: 0, use_probability: true },
      { comment: 'delayed', keys: ['dragon'], content: 'Later.', delay: 5 },
      { comment: 'cooled', keys: ['dragon'], content: 'Cooling.', uid: 50, cooldown: 3 },
      { comment: 'sticky', keys: ['unicorn'], content: 'Sticky.', uid: 51, sticky: 3 },
      { comment: 'recursed', keys: ['old'], content: 'Old things.' },
      { comment: 'nothing', keys: ['griffin'], content: 'Griffins.' },
    ]);
    const res = await svc.request('POST', PROCESS, {
      body: {
        text: 'A dragon sleeping in the cave.',
        world_book_ids: [book.id],
        seed: 7,
        timed_state: { cooldown: { [`${book.id}.50`]: 10 }, sticky: { [`${book.id}.51`]: 10 } },
        chat_length: 2,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.diagnostics).toHaveLength(12);
    expect(byComment(res, 'constant')).toMatchObject({ status: 'activated', reason: 'constant', entry_id: book.ids[0] });
    expect(byComment(res, 'key')).toMatchObject({
      status: 'activated',
      reason: 'key_match',
      pass: 1,
      scan_state: 'initial',
      match: {
        key: 'dragon',
        list: 'primary',
        source: 'message',
        message_index: 0,
        depth: 0,
        matched_text: 'dragon',
        offset: 'User: A '.length,
      },
    });
    expect(byComment(res, 'secondary')).toMatchObject({
      status: 'skipped',
      reason: 'secondary_logic',
      secondary: { logic: 'AND_ANY', matched: [], missing: ['ice'] },
    });
    expect(byComment(res, 'not-any')).toMatchObject({
      status: 'skipped',
      reason: 'secondary_logic',
      secondary: { logic: 'NOT_ANY', matched: ['sleeping'] },
    });
    expect(byComment(res, 'no keys')).toMatchObject({ status: 'skipped', reason: 'no_keys' });
    expect(byComment(res, 'disabled')).toMatchObject({ status: 'skipped', reason: 'disabled' });
    expect(byComment(res, 'probability')).toMatchObject({ status: 'skipped', reason: 'probability', probability: { chance: 0 } });
    expect(byComment(res, 'delayed')).toMatchObject({ status: 'skipped', reason: 'delay' });
    expect(byComment(res, 'cooled')).toMatchObject({ status: 'skipped', reason: 'cooldown' });
    expect(byComment(res, 'sticky')).toMatchObject({ status: 'activated', reason: 'sticky' });
    expect(byComment(res, 'recursed')).toMatchObject({
      status: 'activated',
      reason: 'key_match',
      scan_state: 'recursion',
      match: { key: 'old', source: 'recursion' },
    });
    expect(byComment(res, 'recursed').pass).toBeGreaterThan(1);
    expect(byComment(res, 'nothing')).toMatchObject({ status: 'skipped', reason: 'no_match' });
    expect(res.body.entries_matched).toBe(res.body.activated.length);
    expect(res.body.entry_ids).toEqual(res.body.activated.map((a: { entry_id: string }) => a.entry_id));
    expect(res.body.activated.find((a: { comment?: string }) => a.comment === 'key')).toMatchObject({
      world_book_name: 'Reasons',
      position: 'before',
      content: 'Dragons are old.',
      tokens: expect.any(Number),
    });
    expect(res.body.recorded).toBe(false);

    const relevant = await svc.request('POST', PROCESS, {
      body: { text: 'A dragon.', world_book_ids: [book.id], diagnostics: 'relevant' },
    });
    expect(relevant.body.diagnostics.some((d: { reason: string }) => d.reason === 'no_match')).toBe(false);
    expect(relevant.body.diagnostics.length).toBeGreaterThan(0);
    expect(
      (await svc.request('POST', PROCESS, { body: { text: 'A dragon.', world_book_ids: [book.id], diagnostics: 'none' } })).body
        .diagnostics,
    ).toEqual([]);
  });

  test('positions, groups and the token budget', async () => {
    const book = await bookWith('Layout', [
      { comment: 'depth', keys: ['ship'], content: 'At depth.', position: 'at_depth', depth: 2, role: 'user' },
      { comment: 'after', keys: ['ship'], content: 'After.', position: 'after' },
      { comment: 'an', keys: ['ship'], content: 'AN top.', position: 'an_top' },
      { comment: 'outlet', keys: ['ship'], content: 'Outlet.', position: 'outlet', outlet_name: 'harbour' },
      { comment: 'winner', keys: ['ship'], content: 'Winner.', group: 'g', group_override: true, order: 200 },
      { comment: 'loser', keys: ['ship'], content: 'Loser.', group: 'g', order: 100 },
    ]);
    const res = await svc.request('POST', PROCESS, {
      body: { messages: [{ role: 'assistant', content: 'The ship sails.' }], world_book_ids: [book.id], recursive_scanning: false },
    });
    expect(res.status).toBe(200);
    expect(res.body.injections).toMatchObject({
      after: 'After.',
      an_top: ['AN top.'],
      at_depth: [{ depth: 2, role: 'user', content: 'At depth.' }],
      outlets: { harbour: 'Outlet.' },
    });
    expect(res.body.injections.before).toBe('Winner.');
    expect(byComment(res, 'loser')).toMatchObject({
      status: 'skipped',
      reason: 'inclusion_group',
      group: { name: 'g', method: 'override' },
    });
    expect(byComment(res, 'depth').match).toMatchObject({ source: 'message', matched_text: 'ship' });

    const long = await bookWith('Budget', [
      { comment: 'big', keys: ['ship'], content: 'word '.repeat(200), order: 200 },
      { comment: 'small', keys: ['ship'], content: 'Tiny.', order: 100 },
    ]);
    const tight = await svc.request('POST', PROCESS, { body: { text: 'ship', world_book_ids: [long.id], token_budget: 50 } });
    expect(tight.body.token_budget).toBe(50);
    expect(tight.body.budget_overflowed).toBe(true);
    expect(byComment(tight, 'big')).toMatchObject({ status: 'skipped', reason: 'budget' });
    const roomy = await svc.request('POST', PROCESS, {
      body: { text: 'ship', world_book_ids: [long.id], settings: { context_size: 8000, budget_percent: 50 } },
    });
    expect(roomy.body.token_budget).toBe(4000);
    expect(byComment(roomy, 'big')).toMatchObject({ status: 'activated' });
  });

  test('settings are validated; bad input is a 400 and appends nothing', async () => {
    const book = await bookWith('Settings', [{ keys: ['x'], content: 'x' }]);
    const head = await svc.runtime.eventStore.headPosition();
    const bad: unknown[] = [
      {},
      { world_book_ids: [book.id] },
      { text: 'x', settings: { scan_depth: -1 } },
      { text: 'x', settings: { budget_percent: 0 } },
      { text: 'x', settings: { bogus: true } },
      { text: 'x', settings: { insertion_strategy: 'random' } },
      { text: 'x', token_budget: 100, settings: { context_size: 1000 } },
      { text: 'x', scan_depth: 3, settings: { scan_depth: 4 } },
      { text: 'x', recursive_scanning: true, settings: { recursive: false } },
      { text: 'x', world_book_ids: ['not-a-uuid'] },
      { text: 'x', messages: [{ role: 'robot', content: 'x' }] },
      { text: 'x', record: true, unknown_field: 1 },
    ];
    for (const body of bad) {
      const res = await svc.request('POST', PROCESS, { body });
      expect({ body, status: res.status, type: res.headers.get('content-type') }).toEqual({
        body,
        status: 400,
        type: 'application/problem+json; charset=utf-8',
      });
    }
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    // the original's names are accepted
    const ok = await svc.request('POST', PROCESS, {
      body: { text: 'x', world_book_ids: [book.id], scan_depth: 3, token_budget: 500, recursive_scanning: false },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.token_budget).toBe(500);
  });

  test('record: true appends activations that statistics count; the book version does not move', async () => {
    const book = await bookWith('Counted', [
      { comment: 'a', keys: ['apple'], content: 'Apples are red.' },
      { comment: 'b', keys: ['banana'], content: 'Bananas are yellow.', position: 'after' },
      { comment: 'c', keys: ['cherry'], content: 'Cherries.', enabled: false },
    ]);
    const before = await svc.request('GET', `${BASE}/${book.id}/statistics`);
    expect(before.body).toMatchObject({
      world_book_id: book.id,
      total_entries: 3,
      enabled_entries: 2,
      disabled_entries: 1,
      constant_entries: 0,
      total_activations: 0,
      tokenizer: 'cl100k',
    });
    expect(before.body.tokens_by_position.before).toMatchObject({ entries: 2, enabled_entries: 1 });
    expect(before.body.tokens_by_position.after).toMatchObject({ entries: 1, enabled_entries: 1 });
    expect(before.body.tokens_by_position.before.tokens).toBeGreaterThan(before.body.tokens_by_position.before.enabled_tokens);
    expect(before.body.total_tokens).toBe(before.body.entries.reduce((n: number, e: { tokens: number }) => n + e.tokens, 0));

    const run = async (text: string) =>
      (await svc.request('POST', PROCESS, { body: { text, world_book_ids: [book.id], record: true } })).body;
    expect((await run('an apple')).recorded).toBe(true);
    expect((await run('an apple and a banana')).recorded).toBe(true);
    expect((await run('nothing')).recorded).toBe(false);
    const after = await svc.request('GET', `${BASE}/${book.id}/statistics?tokenizer=approximate`);
    const count = (id: string) => after.body.entries.find((e: { entry_id: string }) => e.entry_id === id).activation_count;
    expect([count(book.ids[0]!), count(book.ids[1]!), count(book.ids[2]!)]).toEqual([2, 1, 0]);
    expect(after.body).toMatchObject({ total_activations: 3, tokenizer: 'approximate', version: book.version });
    const events = await svc.runtime.eventStore.readStream(`worldbookactivations-${book.id}`);
    expect(events.map((e) => e.type)).toEqual(['WorldInfoActivationsRecorded', 'WorldInfoActivationsRecorded']);
    expect(events[1]!.data.worldBookEntries).toEqual([
      { worldBookId: book.id, entryId: book.ids[0], entryKey: `${book.id}.0` },
      { worldBookId: book.id, entryId: book.ids[1], entryKey: `${book.id}.1` },
    ]);
  });

  test("chat_id: the chat's messages (active path), its character's books and its own books", async () => {
    const png = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
    const character = (await svc.upload('/api/v1/characters/import', { bytes: png, filename: 'Seraphina.png', type: 'image/png' })).body;
    const cardBookId = character.import.world_book.id as string;
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;
    expect(
      (
        await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
          body: { sender: 'user', content: 'Is a shadowfang near?' },
        })
      ).status,
    ).toBe(201);

    const res = await svc.request('POST', PROCESS, { body: { chat_id: chat.id, include_global: false } });
    expect(res.status).toBe(200);
    expect(res.body.books).toEqual([expect.objectContaining({ id: cardBookId, source: 'character' })]);
    const shadow = res.body.diagnostics.find((d: { uid: number }) => d.uid === 1);
    expect(shadow).toMatchObject({ status: 'activated', match: { key: 'shadowfang', source: 'message', depth: 0 } });
    expect(res.body.chat_length).toBe(2);

    const chatBook = await bookWith('Chat lore', [{ keys: ['lantern'], content: 'The lantern never goes out.' }]);
    const updated = await svc.request('PUT', `/api/v1/character_chats/${chat.id}`, {
      body: { settings: { world_book_ids: [chatBook.id] } },
    });
    expect(updated.status).toBe(200);
    const withChatBook = await svc.request('POST', PROCESS, {
      body: { chat_id: chat.id, text: 'I lift the lantern.', include_global: false },
    });
    expect(withChatBook.body.books.map((b: { id: string; source: string }) => [b.id, b.source])).toEqual([
      [cardBookId, 'character'],
      [chatBook.id, 'chat'],
    ]);
    expect(withChatBook.body.injections.before).toContain('The lantern never goes out.');
    expect(withChatBook.body.chat_length).toBe(3);

    // a global book the chat also lists is loaded once, as global
    await svc.request('PUT', `${BASE}/${chatBook.id}`, { body: { is_global: true } });
    const global = await svc.request('POST', PROCESS, { body: { chat_id: chat.id, text: 'lantern' } });
    expect(global.body.books.filter((b: { id: string }) => b.id === chatBook.id)).toEqual([expect.objectContaining({ source: 'global' })]);
  });
});
