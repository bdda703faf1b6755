/** The request checked and its defaults resolved: generation mode, prompt texts, tokenizer. */
import { getTokenizer, tokenizerForModel, type TokenCounter, type TokenizerName } from '../tokenizer/index.ts';
import {
  DEFAULT_CONTINUE_NUDGE,
  DEFAULT_IMPERSONATION_PROMPT,
  DEFAULT_MAIN_PROMPT,
  DEFAULT_NEW_CHAT_PROMPT,
  DEFAULT_NEW_EXAMPLE_CHAT_PROMPT,
  DEFAULT_PERSONALITY_FORMAT,
  DEFAULT_POST_HISTORY_INSTRUCTIONS,
  DEFAULT_SCENARIO_FORMAT,
  DEFAULT_WORLD_INFO_FORMAT,
} from './prompt-defaults.ts';
import { PromptInputError } from './prompt-errors.ts';
import type { GenerationMode, PromptInput, PromptTexts } from './prompt-types.ts';

export function resolveTexts(texts: PromptTexts = {}): Required<PromptTexts> {
  return {
    main: texts.main ?? DEFAULT_MAIN_PROMPT,
    postHistoryInstructions: texts.postHistoryInstructions ?? DEFAULT_POST_HISTORY_INSTRUCTIONS,
    preferCharacterPrompt: texts.preferCharacterPrompt ?? true,
    preferCharacterInstructions: texts.preferCharacterInstructions ?? true,
    impersonation: texts.impersonation ?? DEFAULT_IMPERSONATION_PROMPT,
    continueNudge: texts.continueNudge ?? DEFAULT_CONTINUE_NUDGE,
    newChat: texts.newChat ?? DEFAULT_NEW_CHAT_PROMPT,
    newExampleChat: texts.newExampleChat ?? DEFAULT_NEW_EXAMPLE_CHAT_PROMPT,
    personalityFormat: texts.personalityFormat ?? DEFAULT_PERSONALITY_FORMAT,
    scenarioFormat: texts.scenarioFormat ?? DEFAULT_SCENARIO_FORMAT,
    worldInfoFormat: texts.worldInfoFormat ?? DEFAULT_WORLD_INFO_FORMAT,
    groupNudge: texts.groupNudge ?? '',
  };
}

export function resolveCounter(tokenizer: TokenizerName | TokenCounter | undefined, model: string): TokenCounter {
  if (typeof tokenizer === 'object') return tokenizer;
  return getTokenizer(tokenizer ?? tokenizerForModel(model));
}

export function validatePromptInput(input: PromptInput, mode: GenerationMode): void {
  const { contextSize, replyReserve } = input.model;
  if (!Number.isInteger(contextSize) || contextSize <= 0) throw new PromptInputError('the context size must be a positive integer');
  if (!Number.isInteger(replyReserve) || replyReserve < 0 || replyReserve >= contextSize) {
    throw new PromptInputError('the reply reserve must be a non-negative integer smaller than the context size');
  }
  if (mode !== 'normal' && input.userTurn) throw new PromptInputError(`a new user message cannot be sent in ${mode} mode`);
  if (mode === 'continue' && !input.history.some((m) => m.role !== 'tool')) {
    throw new PromptInputError('continue needs a message to continue');
  }
}
