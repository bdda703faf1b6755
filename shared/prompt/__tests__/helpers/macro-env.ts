import { MacroEvaluator, type MacroEnvironment, type MacroEvaluatorOptions } from '../../macros/index.ts';

export const FIXED_NOW = new Date('2025-01-06T15:07:09Z'); // a Monday

/** A sequence of values in [0, 1) for `random`, repeated. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

export function macroEnv(overrides: Partial<MacroEnvironment> = {}): MacroEnvironment {
  return {
    user: 'Ann',
    char: 'Seraphina',
    chatId: 'chat-1',
    messages: [],
    now: () => FIXED_NOW,
    timeZone: 'UTC',
    random: sequence(0),
    card: {
      description: 'A guardian of the forest.',
      personality: 'caring',
      scenario: 'A glade in Eldoria.',
      persona: 'A wandering herbalist.',
      mesExamples: '<START>\nAnn: Hi\nSeraphina: Hello',
      charPrompt: 'Be kind.',
      charJailbreak: 'Stay in character.',
      charVersion: '1.0.0',
    },
    ...overrides,
  };
}

export function evaluator(overrides: Partial<MacroEnvironment> = {}, options: MacroEvaluatorOptions = {}): MacroEvaluator {
  return new MacroEvaluator(macroEnv(overrides), options);
}

export function expand(text: string, overrides: Partial<MacroEnvironment> = {}): string {
  return evaluator(overrides).evaluate(text);
}
