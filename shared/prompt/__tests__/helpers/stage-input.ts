/** A small prompt request and the real early stages, for tests of one assembly stage at a time. */
import type { TokenCounter } from '../../../tokenizer/index.ts';
import { expandCardFields, resolvePersona } from '../../card-fields.ts';
import { characterProfile } from '../../character-profile.ts';
import { resolveTexts } from '../../prompt-input.ts';
import { createPromptMacros } from '../../prompt-macros.ts';
import { SlotFactory } from '../../prompt-slots.ts';
import type { PromptHistoryMessage, PromptInput } from '../../prompt-types.ts';

/** One token per word. */
export const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };
export const user = (id: string, content: string): PromptHistoryMessage => ({ id, role: 'user', content });
export const bot = (id: string, content: string): PromptHistoryMessage => ({ id, role: 'assistant', content });

export function promptInput(overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    character: { name: 'Seraphina', description: 'A guardian.' },
    persona: { name: 'Ann' },
    history: [],
    chat: { chatId: 'c' },
    model: { name: 'test', tokenizer: words, contextSize: 10_000, replyReserve: 100 },
    prompts: { main: 'Main.', newChat: '' },
    random: () => 0,
    clock: () => new Date('2025-01-06T12:00:00Z'),
    ...overrides,
  };
}

export function earlyStages(input: PromptInput) {
  const mode = input.mode ?? 'normal';
  const profile = characterProfile(input.character);
  const texts = resolveTexts(input.prompts);
  const persona = resolvePersona(input.persona);
  const macros = createPromptMacros(input, mode, { profile, now: new Date('2025-01-06T12:00:00Z'), random: () => 0 });
  const fields = expandCardFields(macros, profile, persona, texts, input.chat.scenarioOverride);
  return { mode, profile, texts, persona, macros, slots: new SlotFactory(words), ...fields };
}
