/**
 * Example dialogues: the card's blocks with the lorebook's "examples before" / "after" entries around them,
 * parsed into messages; each block costs its header ("[Example Chat]") and its messages, and blocks are kept in
 * order while they fit (the first that does not fit ends the examples).
 */
import type { WorldInfoInjections } from '../worldinfo/index.ts';
import { parseExampleBlock, splitExampleBlocks, type ExampleSpeakers } from './example-dialogue.ts';
import type { SlotFactory, Slot } from './prompt-slots.ts';
import { slotTokens } from './prompt-slots.ts';
import type { PromptMessage, PromptOptions } from './prompt-types.ts';

export type ExamplesMode = NonNullable<PromptOptions['examples']>;

export function collectExamples(
  mode: ExamplesMode,
  cardExamples: string,
  worldInfo: Pick<WorldInfoInjections, 'examplesBefore' | 'examplesAfter'> | undefined,
  fieldText: (raw: string) => string,
  speakers: ExampleSpeakers,
): PromptMessage[][] {
  const blocks: string[] = mode === 'none' ? [] : splitExampleBlocks(cardExamples);
  if (mode !== 'none' && worldInfo) {
    for (const content of worldInfo.examplesBefore) blocks.unshift(...splitExampleBlocks(fieldText(content)));
    for (const content of worldInfo.examplesAfter) blocks.push(...splitExampleBlocks(fieldText(content)));
  }
  return blocks.map((block) => parseExampleBlock(block, speakers)).filter((block) => block.length > 0);
}

export function exampleBlockSlots(slots: SlotFactory, blocks: readonly PromptMessage[][], header: string): Slot[][] {
  return blocks.map((block, index) => [
    ...(header.trim() === '' ? [] : [slots.slot('examples', { role: 'system', content: header }, { exampleBlock: index })]),
    ...block.map((message) => slots.slot('examples', message, { exampleBlock: index })),
  ]);
}

/** The leading blocks that fit in `available` tokens. */
export function fitExampleBlocks(blocks: readonly Slot[][], available: number): { kept: Slot[][]; tokens: number } {
  const kept: Slot[][] = [];
  let tokens = 0;
  for (const block of blocks) {
    const cost = slotTokens(block);
    if (cost > available - tokens) break;
    kept.push(block);
    tokens += cost;
  }
  return { kept, tokens };
}
