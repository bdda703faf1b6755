/**
 * The token budget (context size minus the reply reserve): the mandatory parts first (system parts, injections,
 * the new user turn or the continued message, closing prompts, reply priming), then the history window and the
 * example blocks in what is left (examples first when pinned, after the history when they only fit).
 */
import type { ContinuePlan } from './continue-mode.ts';
import { fitHistory, type WindowInjection, type WindowMessage } from './history-window.ts';
import { PromptBudgetExceededError } from './prompt-errors.ts';
import { fitExampleBlocks, type ExamplesMode } from './prompt-examples.ts';
import { slotTokens, type Slot } from './prompt-slots.ts';
import type { PromptSection } from './prompt-types.ts';
import { REPLY_PRIMING_TOKENS } from './token-accounting.ts';

const SECTIONS: readonly PromptSection[] = [
  'main',
  'authors_note',
  'world_info_before',
  'persona',
  'description',
  'personality',
  'scenario',
  'world_info_after',
  'examples',
  'new_chat',
  'history',
  'injection',
  'user_turn',
  'continue_nudge',
  'group_nudge',
  'post_history',
  'impersonation',
  'continue_prefill',
];

export interface PromptParts {
  head: Slot[];
  /** Made once the mandatory parts are known to fit. */
  exampleBlocks: () => Slot[][];
  examplesMode: ExamplesMode;
  newChat: Slot[];
  windowMessages: WindowMessage<() => Slot>[];
  injections: WindowInjection<() => Slot>[];
  continuePlan: ContinuePlan;
  tail: Slot[];
}

export interface FittedPrompt {
  /** The prompt's messages in order. */
  slots: Slot[];
  exampleBlocks: number;
  keptExampleBlocks: number;
  droppedHistoryMessages: number;
}

export function fitPromptToBudget(parts: PromptParts, budget: number): FittedPrompt {
  const { head, newChat, injections, windowMessages, tail, examplesMode } = parts;
  const { continued, prefill, nudge } = parts.continuePlan;
  const mandatory =
    REPLY_PRIMING_TOKENS +
    slotTokens(head) +
    slotTokens(newChat) +
    slotTokens(injections.map((i) => i.item())) +
    windowMessages.filter((m) => m.mandatory).reduce((total, m) => total + m.tokens(), 0) +
    slotTokens(nudge) +
    slotTokens(tail);
  if (mandatory > budget) throw new PromptBudgetExceededError(mandatory, budget);
  let available = budget - mandatory;

  const exampleBlocks = parts.exampleBlocks();
  const keptExamples: Slot[][] = [];
  const fitExamples = () => {
    const fitted = fitExampleBlocks(exampleBlocks, available);
    keptExamples.push(...fitted.kept);
    available -= fitted.tokens;
  };
  if (examplesMode === 'pinned') fitExamples();
  const window = fitHistory(windowMessages, injections, available);
  available -= window.tokens;
  if (examplesMode === 'fit') fitExamples();

  let historySlots = window.items.map((item) => item());
  let prefillSlots: Slot[] = [];
  if (prefill && continued) {
    const target = continued.item();
    historySlots = historySlots.filter((s) => s !== target);
    prefillSlots = [{ message: target.message, layout: { ...target.layout, section: 'continue_prefill' } }];
  }
  return {
    slots: [...head, ...keptExamples.flat(), ...newChat, ...historySlots, ...nudge, ...tail, ...prefillSlots],
    exampleBlocks: exampleBlocks.length,
    keptExampleBlocks: keptExamples.length,
    droppedHistoryMessages: window.droppedMessages,
  };
}

export function tokensPerSection(slots: readonly Slot[]): Record<PromptSection, number> {
  const perSection = Object.fromEntries(SECTIONS.map((s) => [s, 0])) as Record<PromptSection, number>;
  for (const s of slots) perSection[s.layout.section] += s.layout.tokens;
  return perSection;
}
