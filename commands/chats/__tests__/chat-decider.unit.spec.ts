import { describe, expect, test } from '@jest/globals';
import type { AppError } from '../../../shared/errors.ts';
import type { ChatEvent } from '../../../shared/events/chat-events.ts';
import { newId } from '../../../shared/ids.ts';
import { chatDecider, type ChatCommand, type ChatState, type SeedMessage } from '../chat-decider.ts';
import { activeLeaf, findNode, nodeAt } from '../../../shared/chats/message-tree.ts';
import { vectorToArray } from '../../../shared/chats/persistent-vector.ts';

const ctx = (userId = 'u1', isAdmin = false) => ({ userId, isAdmin, requestId: 'r', correlationId: 'c', causationId: 'c' });
const chatId = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const MAX = 100;

const fold = (events: ChatEvent[], from: ChatState = chatDecider.initialState()) => events.reduce(chatDecider.evolve, from);
const run = (state: ChatState, command: ChatCommand, context = ctx()) => {
  const events = chatDecider.decide(command, state, context);
  return { events, state: fold(events, state) };
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return [(err as AppError).status, (err as AppError).code];
  }
  return 'no error';
};
const seed = (content: string, extra: Partial<SeedMessage> = {}): SeedMessage => ({
  messageId: newId(),
  parentId: null,
  sender: 'assistant',
  name: null,
  content,
  image: null,
  metadata: null,
  sentAt: null,
  active: true,
  ...extra,
});
const create = (messages: SeedMessage[] = [], max = MAX) =>
  run(chatDecider.initialState(), {
    type: 'CreateChat',
    chatId,
    characterId: null,
    characterName: 'Sera',
    title: 't',
    settings: {},
    forkedFrom: null,
    importedFrom: null,
    messages,
    maxMessages: max,
  }).state;
const post = (state: ChatState, content: string, parentId?: string | null, context = ctx()) => {
  const messageId = newId();
  const result = run(
    state,
    {
      type: 'PostMessage',
      chatId,
      messageId,
      ...(parentId !== undefined ? { parentId } : {}),
      sender: 'user',
      name: null,
      content,
      image: null,
      metadata: null,
      maxMessages: MAX,
    },
    context,
  );
  return { ...result, id: messageId };
};
/** The shown conversation: ids on the walked path that are not deleted. */
const shown = (state: ChatState) =>
  vectorToArray(state.tree.path)
    .filter((o) => !nodeAt(state.tree, o).deleted)
    .map((o) => nodeAt(state.tree, o).id);

describe('chat decider', () => {
  test('greetings become root-level alternates; the chosen one is active', () => {
    const g = [seed('hello'), seed('alt 1'), seed('alt 2', { active: false })];
    const state = create(g);
    expect(shown(state)).toEqual([g[1]!.messageId]);
    expect(state.tree.roots).toHaveLength(3);
    expect(state.tree.live).toBe(3);
  });

  test('posting appends to the active leaf, with a path change of one message', () => {
    let state = create([seed('hi')]);
    const a = post(state, 'a');
    expect(a.events[0]).toMatchObject({ type: 'MessagePosted', data: { depth: 1, path: { from: 1, ids: [a.id] }, active: true } });
    state = a.state;
    const b = post(state, 'b');
    state = b.state;
    expect(shown(state)).toHaveLength(3);
    expect(nodeAt(state.tree, activeLeaf(state.tree)).id).toBe(b.id);
  });

  test('a reply under an earlier message branches and becomes the active path; select switches back', () => {
    let state = create([seed('hi')]);
    const a = post(state, 'a');
    const b = post(a.state, 'b');
    const c = post(b.state, 'c');
    state = c.state;
    // an alternate of b (sibling under a)
    const b2 = post(state, 'b2', a.id);
    expect(b2.events[0]!.data).toMatchObject({ path: { from: 2, ids: [b2.id] } });
    state = b2.state;
    expect(shown(state).slice(1)).toEqual([a.id, b2.id]);
    // select b again: the path continues with c
    const sel = run(state, { type: 'SelectMessage', chatId, messageId: b.id });
    expect(sel.events[0]!.data).toMatchObject({ path: { from: 2, ids: [b.id, c.id] } });
    state = sel.state;
    expect(shown(state).slice(1)).toEqual([a.id, b.id, c.id]);
    // selecting what is already active changes nothing
    expect(run(state, { type: 'SelectMessage', chatId, messageId: c.id }).events).toEqual([]);
    // a deep select in an inactive branch selects all the way up
    const d = post(state, 'd', b2.id);
    state = d.state;
    expect(shown(state).slice(1)).toEqual([a.id, b2.id, d.id]);
    const back = run(state, { type: 'SelectMessage', chatId, messageId: c.id });
    expect(back.events[0]!.data).toMatchObject({ path: { from: 2, ids: [b.id, c.id] } });
  });

  test('alternates on any message: the first message too', () => {
    const g = [seed('hello')];
    let state = create(g);
    const a = post(state, 'a');
    const alt = post(a.state, 'other greeting', null);
    state = alt.state;
    expect(shown(state)).toEqual([alt.id]);
    state = run(state, { type: 'SelectMessage', chatId, messageId: g[0]!.messageId }).state;
    expect(shown(state)).toEqual([g[0]!.messageId, a.id]);
  });

  test('deleting a middle message hides only it; deleting the active alternate shows its sibling; restore brings it back', () => {
    let state = create([seed('hi')]);
    const a = post(state, 'a');
    const b = post(a.state, 'b');
    const c = post(b.state, 'c');
    state = c.state;
    const del = run(state, { type: 'DeleteMessage', chatId, messageId: b.id, expectedVersion: 1 });
    expect(del.events[0]!.data).toMatchObject({ messageVersion: 2, path: null });
    state = del.state;
    expect(shown(state).slice(1)).toEqual([a.id, c.id]);
    expect(state.tree.live).toBe(3);
    // a new message continues after c
    const d = post(state, 'd');
    expect(d.events[0]!.data).toMatchObject({ parentId: c.id });
    // restore b
    const res = run(state, { type: 'RestoreMessage', chatId, messageId: b.id, maxMessages: MAX });
    expect(res.events[0]!.data).toMatchObject({ messageVersion: 3, path: null });
    state = res.state;
    expect(shown(state).slice(1)).toEqual([a.id, b.id, c.id]);
    // delete the active alternate: its sibling takes over
    const c2 = post(state, 'c2', b.id);
    state = c2.state;
    const delAlt = run(state, { type: 'DeleteMessage', chatId, messageId: c2.id });
    expect(delAlt.events[0]!.data).toMatchObject({ path: { from: 3, ids: [c.id] } });
    state = delAlt.state;
    expect(shown(state).slice(1)).toEqual([a.id, b.id, c.id]);
    // restoring the explicitly selected alternate makes it active again
    const back = run(state, { type: 'RestoreMessage', chatId, messageId: c2.id, maxMessages: MAX });
    expect(back.events[0]!.data).toMatchObject({ path: { from: 3, ids: [c2.id] } });
    // deleted messages are 404 for edit, select and delete
    for (const cmd of [
      { type: 'EditMessage', chatId, messageId: c2.id, content: 'x', maxMessages: MAX },
      { type: 'SelectMessage', chatId, messageId: c2.id },
      { type: 'DeleteMessage', chatId, messageId: c2.id },
    ] as ChatCommand[]) {
      expect(codeOf(() => chatDecider.decide(cmd, state, ctx()))).toEqual([404, 'not_found']);
    }
  });

  test('a message under a deleted branch cannot be selected', () => {
    let state = create([seed('hi')]);
    const a = post(state, 'a');
    const b = post(a.state, 'b');
    const c = post(b.state, 'c');
    const b2 = post(c.state, 'b2', a.id);
    state = run(b2.state, { type: 'DeleteMessage', chatId, messageId: b.id }).state;
    expect(codeOf(() => chatDecider.decide({ type: 'SelectMessage', chatId, messageId: c.id }, state, ctx()))).toEqual([
      409,
      'message_unreachable',
    ]);
  });

  test('edit with expected_version; as an alternate keeps the old text as a sibling', () => {
    let state = create([seed('hi')]);
    const a = post(state, 'a');
    state = a.state;
    expect(
      codeOf(() =>
        chatDecider.decide(
          { type: 'EditMessage', chatId, messageId: a.id, content: 'x', expectedVersion: 2, maxMessages: MAX },
          state,
          ctx(),
        ),
      ),
    ).toEqual([409, 'version_conflict']);
    const edit = run(state, { type: 'EditMessage', chatId, messageId: a.id, content: 'a!', expectedVersion: 1, maxMessages: MAX });
    expect(edit.events).toEqual([{ type: 'MessageEdited', data: { chatId, messageId: a.id, content: 'a!', messageVersion: 2 } }]);
    state = edit.state;
    const altId = newId();
    const alt = run(state, {
      type: 'EditMessage',
      chatId,
      messageId: a.id,
      content: 'a?',
      expectedVersion: 2,
      asAlternate: { messageId: altId },
      maxMessages: MAX,
    });
    expect(alt.events[0]).toMatchObject({
      type: 'MessagePosted',
      data: { messageId: altId, alternateOf: a.id, sender: 'user', parentId: nodeAt(state.tree, 0).id },
    });
    expect(shown(alt.state)).toEqual([nodeAt(state.tree, 0).id, altId]);
    expect(nodeAt(alt.state.tree, findNode(alt.state.tree, a.id)).version).toBe(2);
  });

  test('caps: the message limit counts live messages; restore and alternates count too', () => {
    let state = create([seed('hi')], 3);
    const a = run(state, {
      type: 'PostMessage',
      chatId,
      messageId: newId(),
      sender: 'user',
      name: null,
      content: 'a',
      image: null,
      metadata: null,
      maxMessages: 2,
    });
    state = a.state;
    expect(
      codeOf(() =>
        chatDecider.decide(
          {
            type: 'PostMessage',
            chatId,
            messageId: newId(),
            sender: 'user',
            name: null,
            content: 'b',
            image: null,
            metadata: null,
            maxMessages: 2,
          },
          state,
          ctx(),
        ),
      ),
    ).toEqual([403, 'limit_exceeded']);
    expect(codeOf(() => create([seed('1'), seed('2'), seed('3')], 2))).toEqual([403, 'limit_exceeded']);
  });

  test('ownership: another user is 403, a missing chat 404, a deleted chat 404; an admin may act', () => {
    const state = create([seed('hi')]);
    expect(codeOf(() => post(state, 'x', undefined, ctx('u2')))).toEqual([403, 'forbidden']);
    expect(codeOf(() => post(chatDecider.initialState(), 'x'))).toEqual([404, 'not_found']);
    expect(post(state, 'x', undefined, ctx('root', true)).events).toHaveLength(1);
    const deleted = run(state, { type: 'DeleteChat', chatId }).state;
    expect(codeOf(() => post(deleted, 'x'))).toEqual([404, 'not_found']);
    expect(codeOf(() => chatDecider.decide({ type: 'DeleteChat', chatId }, deleted, ctx()))).toEqual([404, 'not_found']);
    expect(codeOf(() => chatDecider.decide({ type: 'RestoreChat', chatId }, deleted, ctx('u2')))).toEqual([403, 'forbidden']);
    const restored = run(deleted, { type: 'RestoreChat', chatId });
    expect(restored.events).toHaveLength(1);
    expect(chatDecider.decide({ type: 'RestoreChat', chatId }, restored.state, ctx())).toEqual([]);
  });

  test('parent must be a live message of this chat', () => {
    const state = create([seed('hi')]);
    expect(codeOf(() => post(state, 'x', newId()))).toEqual([400, 'invalid_parent']);
  });

  test('update records only what changes; settings merge and null removes a key', () => {
    let state = create();
    const u = run(state, { type: 'UpdateChat', chatId, changes: { title: 't', settings: { user_name: 'Ann', author_note: 'n' } } });
    expect(u.events).toEqual([{ type: 'ChatUpdated', data: { chatId, changes: { settings: { user_name: 'Ann', author_note: 'n' } } } }]);
    state = u.state;
    const v = run(state, { type: 'UpdateChat', chatId, changes: { settings: { author_note: null }, rating: 4 } });
    expect(v.events[0]!.data).toEqual({ chatId, changes: { rating: 4, settings: { user_name: 'Ann' } } });
    expect(run(v.state, { type: 'UpdateChat', chatId, changes: { rating: 4 } }).events).toEqual([]);
  });

  test('snapshots stay immutable: two futures folded from one state do not see each other', () => {
    const base = post(create([seed('hi')]), 'a').state;
    const left = post(base, 'left');
    const right = post(base, 'right');
    expect(findNode(left.state.tree, right.id)).toBe(-1);
    expect(findNode(right.state.tree, left.id)).toBe(-1);
    expect(findNode(base.tree, left.id)).toBe(-1);
    expect(shown(left.state)).toHaveLength(3);
    expect(shown(right.state)).toHaveLength(3);
    expect(base.tree.live).toBe(2);
  });

  test('a long chat: 10,000 posts fold quickly and a post decides in constant time', () => {
    let state = create([seed('hi')], 20_000);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const events = chatDecider.decide(
        {
          type: 'PostMessage',
          chatId,
          messageId: newId(),
          sender: i % 2 ? 'assistant' : 'user',
          name: null,
          content: `m${i}`,
          image: null,
          metadata: null,
          maxMessages: 20_000,
        },
        state,
        ctx(),
      );
      state = fold(events, state);
    }
    const elapsed = performance.now() - t0;
    expect(state.tree.path.size).toBe(10_001);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe('chat decider: a chat created from a file', () => {
  const createFrom = (importedFrom: string | null, messages: SeedMessage[]) =>
    chatDecider.decide(
      {
        type: 'CreateChat',
        chatId,
        characterId: null,
        characterName: 'Sera',
        title: 't',
        settings: {},
        forkedFrom: null,
        importedFrom,
        messages,
        maxMessages: 10_000,
      },
      chatDecider.initialState(),
      ctx(),
    );
  // 1,500 lines of about 300 bytes each, every fifth line with an unselected swipe
  const lines = (): SeedMessage[] => {
    const seeds: SeedMessage[] = [];
    let parentId: string | null = null;
    for (let i = 0; i < 1_500; i++) {
      const shownLine = seed(`line ${i} ${'x'.repeat(250)}`, { parentId, sender: i % 2 ? 'assistant' : 'user' });
      seeds.push(shownLine);
      if (i % 5 === 0) seeds.push(seed(`swipe ${i}`, { parentId, active: false }));
      parentId = shownLine.messageId;
    }
    return seeds;
  };

  test('stores its messages as MessagesImported batches within the chunk size, and folds to the same chat as one post each', () => {
    const messages = lines();
    const bulk = createFrom('sillytavern-jsonl', messages);
    expect(bulk[0]!.type).toBe('ChatCreated');
    const batches = bulk.slice(1);
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.every((e) => e.type === 'MessagesImported')).toBe(true);
    let next = 0;
    for (const e of batches) {
      if (e.type !== 'MessagesImported') throw new Error('not a batch');
      expect(e.data).toMatchObject({ chatId, first: next, total: messages.length });
      expect(Buffer.byteLength(JSON.stringify(e.data.messages))).toBeLessThan(140 * 1024);
      next += e.data.messages.length;
    }
    expect(next).toBe(messages.length);

    const oneByOne = createFrom(null, messages);
    expect(oneByOne.slice(1).every((e) => e.type === 'MessagePosted')).toBe(true);
    const a = fold(bulk);
    const b = fold(oneByOne);
    expect(shown(a)).toEqual(shown(b));
    expect(shown(a)).toHaveLength(1_500);
    expect(a.tree.live).toBe(messages.length);
    expect(vectorToArray(a.tree.nodes).map((n) => [n.id, n.parent, n.depth, n.deleted, n.selected])).toEqual(
      vectorToArray(b.tree.nodes).map((n) => [n.id, n.parent, n.depth, n.deleted, n.selected]),
    );
  });

  test('the message cap and bad parents are refused before anything is stored', () => {
    const many = Array.from({ length: 6 }, lines).flat(); // 10,800 messages, over the cap of 10,000
    expect(codeOf(() => createFrom('sillytavern-jsonl', many))).toEqual([403, 'limit_exceeded']);
    expect(codeOf(() => createFrom('sillytavern-jsonl', [seed('a', { parentId: newId() })]))).toEqual([400, 'invalid_parent']);
  });
});
