import { SlotFactory } from '../prompt-slots.ts';
import { collectExamples, exampleBlockSlots, fitExampleBlocks } from '../prompt-examples.ts';
import { words } from './helpers/stage-input.ts';

const speakers = { user: 'Ann', character: ['Sera'] };
const card = '<START>\nAnn: hi\nSera: hello\n<START>\nAnn: bye';

describe('example dialogues', () => {
  test("the card's blocks with the lorebook's before / after entries around them", () => {
    const blocks = collectExamples(
      'fit',
      card,
      { examplesBefore: ['<START>\nSera: first'], examplesAfter: ['<START>\nAnn: last'] },
      (t) => t,
      speakers,
    );
    expect(blocks.map((b) => b.map((m) => `${'name' in m ? m.name : ''}:${m.content}`))).toEqual([
      ['example_assistant:first'],
      ['example_user:hi', 'example_assistant:hello'],
      ['example_user:bye'],
      ['example_user:last'],
    ]);
    expect(collectExamples('none', card, undefined, (t) => t, speakers)).toEqual([]);
  });

  test('blocks are kept in order while they fit; the first that does not fit ends them', () => {
    const slots = exampleBlockSlots(
      new SlotFactory(words),
      collectExamples('fit', card, undefined, (t) => t, speakers),
      '[Example Chat]',
    );
    expect(slots.map((b) => b.map((s) => s.layout.exampleBlock))).toEqual([
      [0, 0, 0],
      [1, 1],
    ]);
    const first = slots[0]?.reduce((t, s) => t + s.layout.tokens, 0) ?? 0;
    expect(fitExampleBlocks(slots, first)).toEqual({ kept: [slots[0]], tokens: first });
    expect(fitExampleBlocks(slots, first - 1).kept).toEqual([]);
  });

  test('a blank header is left out', () => {
    const slots = exampleBlockSlots(new SlotFactory(words), [[{ role: 'user', content: 'x' }]], ' ');
    expect(slots[0]?.map((s) => s.message.content)).toEqual(['x']);
  });
});
