import { planContinue } from '../continue-mode.ts';
import { historyWindowMessages } from '../history-messages.ts';
import { fitPromptToBudget, tokensPerSection, type PromptParts } from '../prompt-budget.ts';
import { PromptBudgetExceededError } from '../prompt-errors.ts';
import { bot, earlyStages, promptInput, user } from './helpers/stage-input.ts';

describe('prompt budget', () => {
  const s = earlyStages(promptInput());
  const parts = (examplesMode: PromptParts['examplesMode'], mode: 'normal' | 'continue' = 'normal', prefill?: boolean): PromptParts => {
    const windowMessages = historyWindowMessages(
      { slots: s.slots, expand: s.macros.expand, profile: s.profile, userName: 'Ann', namesMode: 'none' },
      [user('1', 'one two three'), bot('2', 'four five six')],
      undefined,
      null,
    );
    return {
      head: s.slots.system('main', 'main prompt'),
      exampleBlocks: () => [[s.slots.slot('examples', { role: 'user', content: 'example example' })]],
      examplesMode,
      newChat: [],
      windowMessages,
      injections: [],
      continuePlan: planContinue(mode, windowMessages, prefill, s.slots, s.macros.expand, s.texts),
      tail: [],
    };
  };
  // Tokens: main 3 + 1 + 2 = 6, each history message 3 + 1 + 3 = 7, the example 3 + 1 + 2 = 6, reply priming 3.
  const sections = (budget: number, p: PromptParts) => fitPromptToBudget(p, budget).slots.map((x) => x.layout.section);

  test('history before examples when examples only fit; examples first when pinned', () => {
    expect(sections(3 + 6 + 14 + 6, parts('fit'))).toEqual(['main', 'examples', 'history', 'history']);
    expect(sections(3 + 6 + 14 + 5, parts('fit'))).toEqual(['main', 'history', 'history']);
    expect(sections(3 + 6 + 6 + 7 + 6, parts('pinned'))).toEqual(['main', 'examples', 'history']);
  });

  test('mandatory parts over the budget are refused; the continued message can move to the end as prefill', () => {
    expect(() => fitPromptToBudget(parts('fit'), 8)).toThrow(PromptBudgetExceededError);
    const fitted = fitPromptToBudget(parts('none', 'continue', true), 100);
    expect(fitted.slots.map((x) => x.layout.section)).toEqual(['main', 'history', 'continue_prefill']);
    expect(tokensPerSection(fitted.slots)).toMatchObject({ main: 6, history: 7, continue_prefill: 7, examples: 0 });
  });
});
