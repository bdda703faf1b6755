import { historyMessage, historyWindowMessages } from '../history-messages.ts';
import type { PromptHistoryMessage } from '../prompt-types.ts';
import { bot, earlyStages, promptInput, user } from './helpers/stage-input.ts';

describe('history messages', () => {
  const s = earlyStages(promptInput());
  const ctx = (namesMode: 'none' | 'content' | 'completion') => ({
    slots: s.slots,
    expand: s.macros.expand,
    profile: s.profile,
    userName: 'Ann',
    namesMode,
  });

  test('names in the content or as the completion name', () => {
    expect(historyMessage(ctx('content'), user('1', 'hi'), 'hi')).toEqual({ role: 'user', content: 'Ann: hi' });
    expect(historyMessage(ctx('completion'), bot('2', 'yo'), 'yo')).toEqual({ role: 'assistant', content: 'yo', name: 'Seraphina' });
  });

  test('oldest first, expanded, tool output as received, tool results without a call id left out, the new turn last and mandatory', () => {
    const history: PromptHistoryMessage[] = [
      user('1', '{{char}}?'),
      { id: '2', role: 'assistant', content: '', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { id: '3', role: 'tool', content: '{{user}}', tool_call_id: 't1' },
      { id: '4', role: 'tool', content: 'orphan' },
    ];
    const messages = historyWindowMessages(ctx('none'), history, { content: 'now', id: 'u' }, 'now');
    expect(messages.map((m) => [m.role, m.item().message.content, m.mandatory])).toEqual([
      ['user', 'Seraphina?', false],
      ['assistant', '', false],
      ['tool', '{{user}}', false],
      ['user', 'now', true],
    ]);
    expect(messages[1]?.toolCallIds).toEqual(['t1']);
    expect(messages[3]?.item().layout).toMatchObject({ section: 'user_turn', messageId: 'u' });
  });
});
