/**
 * The macro evaluator of one assembly and the new user turn, expanded first as when it is sent (before it is
 * part of the chat); the turn then counts among the messages macros see.
 */
import type { CharacterProfile } from './character-profile.ts';
import { MacroEvaluator, type MacroEnvironment, type MacroMessage } from './macros/index.ts';
import type { GenerationMode, PromptHistoryMessage, PromptInput } from './prompt-types.ts';

export type ExpandOptions = Parameters<MacroEvaluator['evaluate']>[1];

export interface PromptMacros {
  evaluator: MacroEvaluator;
  expand: (text: string, extra?: ExpandOptions) => string;
  /** The new user turn, expanded; null when there is none (or the mode sends none). */
  userTurnText: string | null;
}

export interface MacroSetup {
  profile: CharacterProfile;
  now: Date;
  random: () => number;
}

const toMacroMessage = (m: PromptHistoryMessage): MacroMessage => ({
  role: m.role === 'tool' ? 'system' : m.role,
  content: m.content,
  sentAt: m.sentAt,
});

export function createPromptMacros(input: PromptInput, mode: GenerationMode, setup: MacroSetup): PromptMacros {
  const options = input.options ?? {};
  const historyForMacros = input.history.filter((m) => m.role !== 'tool').map(toMacroMessage);
  const env: MacroEnvironment = {
    user: input.persona.name,
    char: setup.profile.displayName,
    model: input.model.name,
    maxPrompt: input.model.contextSize,
    chatId: input.chat.chatId,
    ...(input.chat.groupMembers !== undefined ? { group: input.chat.groupMembers } : {}),
    messages: historyForMacros,
    now: () => setup.now,
    timeZone: options.timeZone ?? 'UTC',
    random: setup.random,
  };
  const evaluator = new MacroEvaluator(env, {
    variables: input.chat.variables,
    ...(options.maxMacroOutput !== undefined ? { maxOutputLength: options.maxMacroOutput } : {}),
  });
  const expand = (text: string, extra: ExpandOptions = {}) => evaluator.evaluate(text, extra);

  const userTurnText = mode === 'normal' && input.userTurn ? expand(input.userTurn.content) : null;
  if (userTurnText !== null && input.userTurn) {
    env.messages = [...historyForMacros, { role: 'user', content: userTurnText, sentAt: setup.now }];
  }
  return { evaluator, expand, userTurnText };
}
