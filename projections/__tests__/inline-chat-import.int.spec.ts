import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { chatDecider, chatStream, type SeedMessage } from '../../commands/chats/chat-decider.ts';
import { toNewEvents } from '../../commands/command-handler.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { ChatEvent } from '../../shared/events/chat-events.ts';
import { newId } from '../../shared/ids.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference, waitForProjectionsAtHead } from '../../test/read-model-check.ts';
import { chatImportInline } from '../inline-chat-import.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';

/**
 * An imported chat's rows written by its appends' own statements (projections/inline-chat-import.ts): readable with
 * the projector stopped, the projector's later pass changes nothing, a part on a chat row that is behind falls back
 * to the projector, and a rebuild from the log equals what the inline writes and the projector left.
 */
let svc: TestService;
let characterId: string;
const actor: Actor = {
  userId: 'local',
  isAdmin: false,
  requestId: 'inline-import',
  correlationId: 'inline-import',
  causationId: 'inline-import',
};
const read = () => svc.runtime.database.db.withSchema('read');
const rowsOf = async (chatId: string) => ({
  chat: await read().selectFrom('chats').selectAll().where('id', '=', chatId).executeTakeFirst(),
  messages: await read().selectFrom('chat_messages').selectAll().where('chat_id', '=', chatId).orderBy('seq').execute(),
});

function sillyTavernJsonl(lines: number): string {
  const out = [JSON.stringify({ user_name: 'You', character_name: 'Inline', create_date: '2024-01-01@12h00m00s', chat_metadata: {} })];
  for (let i = 0; i < lines; i++)
    out.push(
      JSON.stringify({
        name: i % 2 ? 'You' : 'Inline',
        is_user: i % 2 === 1,
        send_date: '2024-01-01T12:00:00.000Z',
        mes: `line ${i}: ${'a long evening by the harbour, with gulls and rain. '.repeat(6)}`,
        // a swipe chosen after its first alternate on every 40th line: paths that turn rows off and on again
        ...(i % 40 === 7 ? { swipes: [`first ${i}`, `second ${i}`, `third ${i}`], swipe_id: 1 } : {}),
      }),
    );
  return out.join('\n');
}

/** A chat's events as the decider makes them, its one batch of messages cut into two batches at `cut`. */
function twoParts(chatId: string, messages: SeedMessage[], cut: number): { first: ChatEvent[]; second: ChatEvent[] } {
  const [created, batch] = chatDecider.decide(
    {
      type: 'CreateChat',
      chatId,
      characterId,
      characterName: 'Inline',
      title: 'parts',
      settings: {},
      forkedFrom: null,
      importedFrom: 'sillytavern-jsonl',
      messages,
      maxMessages: 1000,
    },
    chatDecider.initialState(),
    actor,
  );
  if (batch?.type !== 'MessagesImported') throw new Error('expected one batch');
  const all = batch.data.messages;
  const part = (first: number, items: typeof all): ChatEvent => ({
    type: 'MessagesImported',
    data: { chatId, first, total: all.length, messages: items },
  });
  return { first: [created!, part(0, all.slice(0, cut))], second: [part(cut, all.slice(cut))] };
}

/** A, B under A; then C under A selected (B goes off), D under C, E under B selected (B comes back on, C and D off). */
function swipedAcrossParts(): SeedMessage[] {
  const seed = (parentId: string | null, content: string): SeedMessage => ({
    messageId: newId(),
    parentId,
    sender: 'user',
    name: null,
    content,
    image: null,
    metadata: null,
    sentAt: null,
    active: true,
  });
  const a = seed(null, 'A');
  const b = seed(a.messageId, 'B');
  const c = seed(a.messageId, 'C');
  const d = seed(c.messageId, 'D');
  const e = seed(b.messageId, 'E');
  return [a, b, c, d, e];
}

beforeAll(async () => {
  svc = await startTestService({ env: { MAX_MESSAGES_PER_CHAT: '20000' } });
  characterId = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Inline', first_message: 'hello' } })).body.id;
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

describe('an imported chat projected by its own appends', () => {
  test('is answered and readable while the projector is stopped, in several appends, and the projector later changes nothing', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    await svc.runtime.runner!.stop();
    let chatId: string;
    try {
      const res = await svc.request('POST', '/api/v1/character_chats/import', {
        body: { character_id: characterId, content: sillyTavernJsonl(4_000) },
      });
      expect(res.status).toBe(201);
      chatId = res.body.id;
      expect(res.body.message_count).toBe(4_000 + 2 * 100);
      const { rows } = await svc.runtime.database.pool.query(
        'SELECT count(DISTINCT transaction_id)::int AS appends FROM es.events WHERE stream_id = $1',
        [chatStream(chatId)],
      );
      expect(rows[0].appends).toBeGreaterThan(1);
      const page = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?order=desc&limit=1`);
      expect(page.body.total).toBe(4_000);
      expect(page.body.items[0].content).toContain('line 3999:');
      // the 8th line shows its chosen swipe (the line's text), the second of three alternates
      const shown = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=8`);
      expect(shown.body.items[7]).toMatchObject({ alternate_count: 3, alternate_index: 1 });
      expect(shown.body.items[7].content).toMatch(/^line 7:/);
    } finally {
      await svc.runtime.runner!.start();
    }
    const inline = await rowsOf(chatId);
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    expect(await rowsOf(chatId)).toEqual(inline);
  }, 120_000);

  test('a later part turns rows of an earlier part off and on again, as the projector would', async () => {
    const chatId = newId();
    const messages = swipedAcrossParts();
    const { first, second } = twoParts(chatId, messages, 2);
    const store = svc.runtime.eventStore;
    const work = chatImportInline('read');
    const one = await store.appendInline!(chatStream(chatId), toNewEvents(first, actor, 'local'), 'no_stream', work);
    expect(one.inline).toEqual({ chatId });
    const two = await store.appendInline!(chatStream(chatId), toNewEvents(second, actor, 'local'), one.revision, work);
    expect(two.inline).toEqual({ chatId });
    const { chat, messages: rows } = await rowsOf(chatId);
    expect(chat).toMatchObject({ version: 3, message_count: 5 });
    expect(rows.map((r) => [r.content, r.on_path, r.seq])).toEqual([
      ['A', true, -5],
      ['B', true, -4],
      ['C', false, -3],
      ['D', false, -2],
      ['E', true, -1],
    ]);
  });

  test('a part on a chat row that is behind writes nothing; the projector applies both parts', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    const chatId = newId();
    const { first, second } = twoParts(chatId, swipedAcrossParts(), 3);
    const store = svc.runtime.eventStore;
    await svc.runtime.runner!.stop();
    try {
      const one = await store.append(chatStream(chatId), toNewEvents(first, actor, 'local'), 'no_stream');
      const two = await store.appendInline!(
        chatStream(chatId),
        toNewEvents(second, actor, 'local'),
        one.revision,
        chatImportInline('read'),
      );
      expect(two.inline).toBeUndefined();
      expect((await rowsOf(chatId)).chat).toBeUndefined();
    } finally {
      await svc.runtime.runner!.start();
    }
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    const { chat, messages } = await rowsOf(chatId);
    expect(chat).toMatchObject({ version: 3, message_count: 5 });
    expect(messages.map((r) => r.on_path)).toEqual([true, true, false, false, true]);
  });

  test('a rebuild from the log equals the read models the inline imports and the projector left', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_import_check' });
    try {
      for (const table of ['chats', 'chat_messages', 'memory_turns', 'memory_chats', 'audit_events'] as const)
        expect([table, await tableDifference(db, 'read', 'read_import_check', table)]).toEqual([table, 0]);
    } finally {
      await sql`DROP SCHEMA read_import_check CASCADE`.execute(db);
    }
  }, 120_000);
});
