/**
 * What a completion's job would refuse, refused before the job is queued: the request then answers its 4xx at once,
 * records no `CompletionFailed` (no analytics error) and spends no rate-limit point. The prompt's checks (character,
 * chat, turn and mode, named world books) and, for a turn to be stored, the chat's own decision on it (live, room
 * for the turn and the reply), without generating or appending anything.
 */
import type { Actor } from '../../shared/access/actor.ts';
import { preflightChatCommand, type ChatCommandDeps } from '../../commands/chats/chat-workflows.ts';
import { completionMessageId } from '../../shared/completions/completion-ids.ts';
import type { CharacterTarget } from '../../shared/completions/completion-job.ts';
import { turnToStored } from '../../shared/completions/completion-turn.ts';
import type { CharacterPrompts } from './character-prompt.ts';

export async function preflightCompletion(
  deps: { prompts: CharacterPrompts; chats: ChatCommandDeps },
  context: Actor,
  completionId: string,
  target: CharacterTarget,
): Promise<void> {
  const placement = await deps.prompts.check(target, context);
  if (!target.save || !target.chatId || target.mode === 'impersonate') return;
  // The same messages (ids included) the worker stores: a retry of a stored completion passes as it would there.
  const turn = placement.turn.map((m, i) => ({
    messageId: completionMessageId(completionId, `turn-${i}`),
    ...turnToStored(m),
    content: m.content,
  }));
  const reply = {
    messageId: completionMessageId(completionId, 'reply'),
    sender: 'assistant' as const,
    name: null,
    content: '',
    metadata: null,
    alternateOf: placement.replyAlternateOf,
  };
  await preflightChatCommand(deps.chats, context, target.chatId, {
    type: 'AppendCompletion',
    chatId: target.chatId,
    ...(placement.parentId !== undefined ? { parentId: placement.parentId } : {}),
    turn,
    reply,
    maxMessages: deps.chats.config.MAX_MESSAGES_PER_CHAT,
  });
}
