import { describe, expect, it } from '@jest/globals';
import { createSeededRandom } from '../../worldinfo/index.ts';
import { getTokenizer, recountJoined, TOKENIZER_FAMILIES } from '../index.ts';

/** Pieces whose joins merge, split or change the dummy prefix: spaces, newlines, digits, scripts, specials. */
const PIECES = [
  'fire',
  ' ice',
  'the old  castle',
  '\n',
  'Дракон котлета.',
  '12345',
  ' 678',
  '  ',
  '\n\n',
  'café!',
  '日本語のテキスト',
  "it's",
  ' ',
  '...',
  '\t x',
  '<|endoftext|>',
  '',
];

describe('the count of a growing text (SillyTavern counts the world-info budget this way)', () => {
  it.each(TOKENIZER_FAMILIES)('%s: every measure and append equals counting the whole text', (family) => {
    const counter = getTokenizer(family);
    const random = createSeededRandom(7);
    const wrong: string[] = [];
    for (let trial = 0; trial < 150; trial++) {
      const joined = counter.startJoined!();
      let text = '';
      for (let k = 0; k < 8; k++) {
        const piece = PIECES[Math.floor(random() * PIECES.length)]! + (random() < 0.5 ? '\n' : '');
        if (joined.measure(piece) !== counter.count(text + piece)) wrong.push(JSON.stringify(text + piece));
        text += piece;
        if (joined.append(piece) !== counter.count(text)) wrong.push(JSON.stringify(text));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('llama: joined and one by one differ (the dummy prefix goes before the first text only)', () => {
    const llama = getTokenizer('llama');
    const joined = llama.startJoined!();
    joined.append('café\n');
    // alone `café\n` is 3 tokens; after a newline it has no dummy prefix and takes 4
    expect(joined.append('café\n')).toBe(7);
    expect(llama.count('café\n')).toBe(3);
  });

  it('a counter without an incremental count is asked for the whole text each time', () => {
    const asked: string[] = [];
    const joined = recountJoined({ count: (t) => (asked.push(t), t.length) });
    expect(joined.append('ab')).toBe(2);
    expect(joined.measure('c')).toBe(3);
    expect(joined.append('cd')).toBe(4);
    expect(asked).toEqual(['ab', 'abc', 'abcd']);
  });
});
