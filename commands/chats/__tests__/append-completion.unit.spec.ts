import { describe, expect, test } from '@jest/globals';
import type { AppError } from '../../../shared/errors.ts';
import type { ChatEvent } from '../../../shared/events/chat-events.ts';
import { completionMessageId } from '../../../shared/completions/completion-ids.ts';
import { newId } from '../../../shared/ids.ts';
import { chatDecider, type ChatCommand, type ChatState } from '../chat-decider.ts';
import { nodeAt } from '../../../shared/chats/message-tree.ts';
import { vectorToArray } from '../../../shared/chats/persistent-vector.ts';

const ctx = { userId: 'u1', isAdmin: false, requestId: 'r', correlationId: 'c', causationId: 'c' };
const chatId = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const fold = (events: ChatEvent[], from: ChatState) => events.reduce(chatDecider.evolve, from);
const shown = (state: ChatState) => vectorToArray(state.tree.path).map((o) => nodeAt(state.tree, o).id);

const greeting = newId();
const created = fold(
  chatDecider.decide(
    {
      type: 'CreateChat',
      chatId,
      characterId: null,
      characterName: 'Sera',
      title: 't',
      settings: {},
      forkedFrom: null,
      importedFrom: null,
      messages: [
        {
          messageId: greeting,
          parentId: null,
          sender: 'assistant',
          name: null,
          content: 'hi',
          image: null,
          metadata: null,
          sentAt: null,
          active: true,
        },
      ],
      maxMessages: 10,
    },
    chatDecider.initialState(),
    ctx,
  ),
  chatDecider.initialState(),
);

const append = (
  completionId: string,
  extra: Partial<Extract<ChatCommand, { type: 'AppendCompletion' }>> = {},
): Extract<ChatCommand, { type: 'AppendCompletion' }> => ({
  type: 'AppendCompletion',
  chatId,
  turn: [{ messageId: completionMessageId(completionId, 'turn-0'), sender: 'user', name: null, content: 'hello', metadata: null }],
  reply: {
    messageId: completionMessageId(completionId, 'reply'),
    sender: 'assistant',
    name: null,
    content: 'welcome',
    metadata: { model: 'm' },
    alternateOf: null,
  },
  maxMessages: 10,
  ...extra,
});

describe('AppendCompletion', () => {
  test('the turn and the reply in one decision, chained after the active path', () => {
    const events = chatDecider.decide(append('chatcmpl-a'), created, ctx);
    expect(events.map((e) => e.type)).toEqual(['MessagePosted', 'MessagePosted']);
    const state = fold(events, created);
    expect(shown(state)).toEqual([greeting, completionMessageId('chatcmpl-a', 'turn-0'), completionMessageId('chatcmpl-a', 'reply')]);
    expect((events[1]!.data as { metadata: unknown }).metadata).toEqual({ model: 'm' });
  });

  test('a second run of the same completion changes nothing', () => {
    const state = fold(chatDecider.decide(append('chatcmpl-a'), created, ctx), created);
    expect(chatDecider.decide(append('chatcmpl-a'), state, ctx)).toEqual([]);
  });

  test("the prompt's variable writes and timed effects follow the messages in the same decision, once", () => {
    const promptState = {
      variableChanges: [{ name: 'mood', op: 'set' as const, operand: 'calm', value: 'calm' }],
      timedEffects: {
        effects: [{ type: 'sticky_started' as const, entryKey: 'b.0', startsAt: 2, endsAt: 6, protected: false, entryHash: 'h' }],
        state: { sticky: { 'b.0': { startsAt: 2, endsAt: 6, protected: false, entryHash: 'h' } }, cooldown: {} },
      },
    };
    const events = chatDecider.decide(append('chatcmpl-s', { promptState }), created, ctx);
    expect(events.map((e) => e.type)).toEqual(['MessagePosted', 'MessagePosted', 'ChatVariablesChanged', 'WorldInfoTimedEffectsChanged']);
    expect(events[3]!.data).toEqual({ chatId, ...promptState.timedEffects });
    const state = fold(events, created);
    expect(chatDecider.decide(append('chatcmpl-s', { promptState }), state, ctx)).toEqual([]);
    // Nothing to record: no extra events.
    expect(
      chatDecider.decide(append('chatcmpl-t', { promptState: { variableChanges: [], timedEffects: null } }), state, ctx).map((e) => e.type),
    ).toEqual(['MessagePosted', 'MessagePosted']);
  });

  test('a regenerated reply is an alternate under the same parent and becomes the shown one', () => {
    const state = fold(chatDecider.decide(append('chatcmpl-a'), created, ctx), created);
    const userId = completionMessageId('chatcmpl-a', 'turn-0');
    const events = chatDecider.decide(append('chatcmpl-b', { turn: [], parentId: userId }), state, ctx);
    const next = fold(events, state);
    expect(shown(next)).toEqual([greeting, userId, completionMessageId('chatcmpl-b', 'reply')]);
  });

  test('over the message cap: refused whole', () => {
    try {
      chatDecider.decide(append('chatcmpl-a', { maxMessages: 2 }), created, ctx);
      throw new Error('no error');
    } catch (err) {
      expect((err as AppError).code).toBe('limit_exceeded');
    }
  });

  test("another user's chat: 403", () => {
    expect(() => chatDecider.decide(append('chatcmpl-a'), created, { ...ctx, userId: 'u2' })).toThrow(/another user/);
  });
});
