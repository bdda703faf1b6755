import { describe, expect, it } from '@jest/globals';
import { CHAT_EVENTS, chatRow, chatRowChanges, runTimes, messageRow, planRun } from '../chats-fold.ts';
import { chatCreated, messagePosted } from './chat-event-fixtures.ts';
import { streamOf } from './recorded-events.ts';
import type { EventData } from '../../shared/events/event-types.ts';

const CHAT = '0190a000-0000-7000-8000-0000000000a1';
const PARENT = '0190a000-0000-7000-8000-0000000000a0';
const id = (n: number) => `0190a000-0000-7000-8000-2000000000${String(n).padStart(2, '0')}`;
const at = (day: number) => `2026-02-${String(day).padStart(2, '0')}T10:00:00.000Z`;

describe('chats fold (no database)', () => {
  it('declares the events it handles', () => {
    expect([...CHAT_EVENTS].sort()).toEqual(
      [
        'ChatCreated',
        'ChatUpdated',
        'ChatDeleted',
        'ChatRestored',
        'MessagePosted',
        'MessagesImported',
        'MessageEdited',
        'MessageDeleted',
        'MessageRestored',
        'MessageSelected',
        'MessagePinned',
        'ChatErased',
        'ChatVariablesChanged',
        'WorldInfoTimedEffectsChanged',
      ].sort(),
    );
  });

  it('a new chat row: fork origin, root, JSON settings, zero messages', () => {
    const chat = streamOf(`chat-${CHAT}`);
    const row = chatRow(
      chat(
        'ChatCreated',
        chatCreated(CHAT, { settings: { user_name: 'Ann' }, forkedFrom: { chatId: PARENT, messageId: id(9), rootChatId: PARENT } }),
        at(1),
      ),
    );
    expect(row).toMatchObject({
      id: CHAT,
      owner_id: 'owner-1',
      version: 1,
      settings: '{"user_name":"Ann"}',
      parent_chat_id: PARENT,
      forked_from_message_id: id(9),
      root_chat_id: PARENT,
      message_count: 0,
      state: 'in-progress',
      deleted_at: null,
    });
    expect(chatRow(chat('ChatCreated', chatCreated(id(1)))).root_chat_id).toBe(id(1));
  });

  it("an imported chat keeps its own state and dates; a creation run ends at the chat's own last change", () => {
    const chat = streamOf(`chat-${CHAT}`);
    const created = chat(
      'ChatCreated',
      chatCreated(CHAT, { state: 'resolved', createdAt: '2025-03-01T09:59:30.000Z', lastModified: '2025-03-01T10:01:00.250Z' }),
      at(5),
    );
    expect(chatRow(created)).toMatchObject({
      state: 'resolved',
      created_at: new Date('2025-03-01T09:59:30.000Z'),
      updated_at: new Date('2025-03-01T10:01:00.250Z'),
      last_activity_at: new Date('2025-03-01T10:01:00.250Z'),
    });
    const post = chat('MessagePosted', messagePosted(CHAT, id(1)), at(5));
    expect(runTimes(created, post)).toEqual({
      updated_at: new Date('2025-03-01T10:01:00.250Z'),
      last_activity_at: new Date('2025-03-01T10:01:00.250Z'),
    });
    const plain = streamOf(`chat-${id(2)}`)('ChatCreated', chatCreated(id(2)), at(5));
    expect(runTimes(plain, post)).toEqual({ updated_at: post.createdAt, last_activity_at: post.createdAt });
    expect(runTimes(null, post)).toEqual({ updated_at: post.createdAt, last_activity_at: post.createdAt });
    expect(chatRow(plain).state).toBe('in-progress');
  });

  it('what each later event changes on the chat row', () => {
    const chat = streamOf(`chat-${CHAT}`);
    chat('ChatCreated', chatCreated(CHAT));
    const posted = chatRowChanges(chat('MessagePosted', messagePosted(CHAT, id(1)), at(2)));
    expect(posted).toEqual({
      columns: { version: 2, updated_at: new Date(at(2)), last_activity_at: new Date(at(2)) },
      messageCountDelta: 1,
    });
    expect(
      chatRowChanges(chat('MessageDeleted', { chatId: CHAT, messageId: id(1), messageVersion: 2, path: null }, at(3))).messageCountDelta,
    ).toBe(-1);
    expect(
      chatRowChanges(chat('ChatUpdated', { chatId: CHAT, changes: { title: 'New', settings: { scenario: 'x' } } }, at(4))).columns,
    ).toEqual({ version: 4, updated_at: new Date(at(4)), title: 'New', settings: '{"scenario":"x"}' });
    const variables = chatRowChanges(
      chat('ChatVariablesChanged', {
        chatId: CHAT,
        changes: [
          { name: 'a', op: 'set', value: '1' },
          { name: 'a', op: 'inc', value: '2' },
          { name: 'b', op: 'set', value: 'x' },
        ],
      }),
    );
    expect(variables).toEqual({ columns: { version: 5 }, messageCountDelta: 0, variablesSet: { a: '2', b: 'x' } });
    expect(chatRowChanges(chat('ChatDeleted', { chatId: CHAT }, at(6))).columns).toEqual({
      version: 6,
      updated_at: new Date(at(6)),
      deleted_at: new Date(at(6)),
    });
    expect(chatRowChanges(chat('ChatRestored', { chatId: CHAT }, at(7))).columns).toEqual({
      version: 7,
      updated_at: new Date(at(7)),
      deleted_at: null,
    });
    const state = { sticky: {}, cooldown: {} };
    expect(
      chatRowChanges(
        chat('WorldInfoTimedEffectsChanged', { chatId: CHAT, effects: [{ type: 'match_recorded', entryKey: 'k', startsAt: 1 }], state }),
      ).columns,
    ).toEqual({ version: 8, world_info_timed_state: JSON.stringify(state) });
  });

  it('a message row is on the path as told, with its import time when it has one', () => {
    const chat = streamOf(`chat-${CHAT}`);
    const event = chat(
      'MessagePosted',
      messagePosted(CHAT, id(1), { parentId: PARENT, depth: 3, sentAt: '2020-01-01T00:00:00.000Z', metadata: { a: 1 } }),
      at(2),
    );
    expect(messageRow(event, true)).toMatchObject({
      id: id(1),
      chat_id: CHAT,
      seq: 1,
      parent_id: PARENT,
      sibling_group: PARENT,
      depth: 3,
      on_path: true,
      metadata: '{"a":1}',
      created_at: '2020-01-01T00:00:00.000Z',
      updated_at: new Date(at(2)),
    });
  });

  it('a run of posts folds its path changes in memory: the latest path wins, older messages it names come on', () => {
    const chat = streamOf(`chat-${CHAT}`);
    chat('ChatCreated', chatCreated(CHAT));
    // an existing chat: id(0) at depth 0 is already stored; two replies, then an alternate of the second selected
    const run = [
      chat('MessagePosted', messagePosted(CHAT, id(1), { parentId: id(0), depth: 1, path: { from: 1, ids: [id(1)] } })),
      chat('MessagePosted', messagePosted(CHAT, id(2), { parentId: id(1), depth: 2, path: { from: 2, ids: [id(2)] } })),
      chat('MessagePosted', messagePosted(CHAT, id(3), { parentId: id(0), depth: 1, path: { from: 0, ids: [id(0), id(3)] } })),
    ];
    const plan = planRun(run);
    expect(plan.created).toBeNull();
    expect(plan.rows.map((r) => [r.id, r.on_path])).toEqual([
      [id(1), false],
      [id(2), false],
      [id(3), true],
    ]);
    expect(plan.existingOn).toEqual([id(0)]);
    expect(plan.minFrom).toBe(0);
  });

  it('a new chat with its messages needs no path-off update (nothing of it is stored yet)', () => {
    const chat = streamOf(`chat-${CHAT}`);
    const plan = planRun([
      chat('ChatCreated', chatCreated(CHAT)),
      chat('MessagePosted', messagePosted(CHAT, id(1), { path: { from: 0, ids: [id(1)] } })),
    ]);
    expect(plan.created?.data.chatId).toBe(CHAT);
    expect(plan.additions).toHaveLength(1);
    expect(plan.messages).toBe(1);
    expect(plan.rows.map((r) => r.on_path)).toEqual([true]);
    expect(plan.minFrom).toBeNull();
  });
  it('an imported chat: each batch adds its messages in file order, before any later post, swipes off the path', () => {
    const chat = streamOf(`chat-${CHAT}`);
    const item = (n: number, o: Partial<EventData<'MessagePosted'>>) => {
      const { chatId: _chatId, ...rest } = messagePosted(CHAT, id(n), o);
      return rest;
    };
    const created = chat('ChatCreated', chatCreated(CHAT, { importedFrom: 'sillytavern-jsonl' }));
    const first = chat('MessagesImported', {
      chatId: CHAT,
      first: 0,
      total: 4,
      messages: [
        item(1, { depth: 0, path: { from: 0, ids: [id(1)] } }),
        item(2, { parentId: id(1), depth: 1, path: { from: 1, ids: [id(2)] } }),
      ],
    });
    // a swipe of id(2) not selected (no path change), then the next line under id(2)
    const second = chat('MessagesImported', {
      chatId: CHAT,
      first: 2,
      total: 4,
      messages: [
        item(3, { parentId: id(1), depth: 1, active: false, path: null }),
        item(4, { parentId: id(2), depth: 2, path: { from: 2, ids: [id(4)] } }),
      ],
    });
    const plan = planRun([created, first, second]);
    expect(plan.messages).toBe(4);
    expect(plan.additions).toEqual([first, second]);
    expect(plan.rows.map((r) => [r.id, r.seq, r.on_path])).toEqual([
      [id(1), -4, true],
      [id(2), -3, true],
      [id(3), -2, false],
      [id(4), -1, true],
    ]);
    expect(plan.minFrom).toBeNull();
    // below every revision (a later post's order), so a post after the import comes after it; the row counts messages
    expect(Math.max(...plan.rows.map((r) => r.seq as number))).toBeLessThan(created.revision);
    expect(chatRowChanges(second)).toMatchObject({ messageCountDelta: 2, columns: { version: second.revision } });
  });
});
