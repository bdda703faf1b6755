/**
 * The chat history as prompt messages, oldest first, then the new user turn: names per the `names` option,
 * tool calls copied, tool output sent as received (it is data, not a template); tool results without a call id
 * are left out. Each message is tokenized only if the history window looks at it.
 */
import type { CharacterProfile } from './character-profile.ts';
import type { WindowMessage } from './history-window.ts';
import type { PromptMacros } from './prompt-macros.ts';
import type { Slot, SlotFactory } from './prompt-slots.ts';
import type { PromptHistoryMessage, PromptInput, PromptMessage, PromptOptions } from './prompt-types.ts';
import { sanitizeName, speakerName } from './speaker-names.ts';

export interface HistoryContext {
  slots: SlotFactory;
  expand: PromptMacros['expand'];
  profile: CharacterProfile;
  userName: string;
  namesMode: NonNullable<PromptOptions['names']>;
}

export function historyMessage(ctx: Omit<HistoryContext, 'slots' | 'expand'>, m: PromptHistoryMessage, content: string): PromptMessage {
  if (m.role === 'tool') return { role: 'tool', content, tool_call_id: m.tool_call_id ?? '' };
  const speaker = speakerName(m, ctx.profile, ctx.userName);
  const text = ctx.namesMode === 'content' && m.role !== 'system' ? `${speaker}: ${content}` : content;
  const name = ctx.namesMode === 'completion' ? sanitizeName(speaker) : undefined;
  if (m.role === 'assistant') {
    return {
      role: 'assistant',
      content: text,
      ...(name ? { name } : {}),
      ...(m.tool_calls && m.tool_calls.length > 0 ? { tool_calls: m.tool_calls.map((c) => ({ ...c, function: { ...c.function } })) } : {}),
    };
  }
  return { role: m.role, content: text, ...(name ? { name } : {}) };
}

export function historyWindowMessages(
  ctx: HistoryContext,
  history: readonly PromptHistoryMessage[],
  userTurn: PromptInput['userTurn'],
  userTurnText: string | null,
): WindowMessage<() => Slot>[] {
  const { slots, expand } = ctx;
  const usableHistory = history.filter((m) => m.role !== 'tool' || m.tool_call_id !== undefined);
  const messages: WindowMessage<() => Slot>[] = usableHistory.map((m) => {
    const content = m.role === 'tool' ? m.content : expand(m.content);
    const item = slots.lazy('history', historyMessage(ctx, m, content), m.id !== undefined ? { messageId: m.id } : {});
    return {
      item,
      tokens: () => item().layout.tokens,
      mandatory: false,
      role: m.role,
      ...(m.tool_calls ? { toolCallIds: m.tool_calls.map((c) => c.id) } : {}),
      ...(m.tool_call_id !== undefined ? { toolCallId: m.tool_call_id } : {}),
    };
  });
  if (userTurnText !== null && userTurn) {
    const turn: PromptHistoryMessage = { role: 'user', content: userTurnText, ...(userTurn.name ? { name: userTurn.name } : {}) };
    const item = slots.lazy(
      'user_turn',
      historyMessage(ctx, turn, userTurnText),
      userTurn.id !== undefined ? { messageId: userTurn.id } : {},
    );
    messages.push({ item, tokens: () => item().layout.tokens, mandatory: true, role: 'user' });
  }
  return messages;
}
