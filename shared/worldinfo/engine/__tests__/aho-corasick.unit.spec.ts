import fc from 'fast-check';
import { AhoCorasick } from '../aho-corasick.ts';
import { foldString } from '../text.ts';

function naiveOccurrences(patterns: string[], text: string): string[] {
  const out: string[] = [];
  patterns.forEach((p, id) => {
    if (p.length === 0) return;
    for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) out.push(`${id}@${i + p.length}`);
  });
  return out.sort();
}

function acOccurrences(patterns: string[], text: string): string[] {
  const ac = new AhoCorasick(patterns);
  const out: string[] = [];
  ac.scan(text, (id, end) => out.push(`${id}@${end}`));
  return out.sort();
}

describe('AhoCorasick', () => {
  test('finds every occurrence of every pattern, overlapping ones included', () => {
    const patterns = ['he', 'she', 'his', 'hers', 'h', 'e', 'ushers', 'she'];
    expect(acOccurrences(patterns, 'ushers and his shelter')).toEqual(naiveOccurrences(patterns, 'ushers and his shelter'));
  });

  test('reports occurrences in order of their end offset', () => {
    const ac = new AhoCorasick(['ab', 'b', 'abc', 'c']);
    const ends: number[] = [];
    ac.scan('xabcab', (_id, end) => ends.push(end));
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
  });

  test('matches case-insensitively against folded patterns, and scans a range', () => {
    const ac = new AhoCorasick([foldString('Ménagerie'), foldString('DRAGON')]);
    const hits: Array<[number, number]> = [];
    ac.scan('The MÉNAGERIE of the Dragon', (id, end) => hits.push([id, end]));
    expect(hits).toEqual([
      [0, 13],
      [1, 27],
    ]);
    const ranged: number[] = [];
    ac.scan('The MÉNAGERIE of the Dragon', (id) => ranged.push(id), 14);
    expect(ranged).toEqual([1]);
  });

  test('empty pattern lists and empty patterns are harmless', () => {
    expect(acOccurrences([], 'abc')).toEqual([]);
    expect(acOccurrences(['', 'b'], 'abc')).toEqual(['1@2']);
  });

  test('agrees with a naive search on random patterns and texts (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', 'd', ' ', 'é', '日');
    const word = fc.array(alphabet, { minLength: 0, maxLength: 5 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 30 }),
        fc.array(alphabet, { maxLength: 200 }).map((a) => a.join('')),
        (patterns, text) => {
          expect(acOccurrences(patterns, text)).toEqual(naiveOccurrences(patterns, text));
        },
      ),
      { numRuns: 300 },
    );
  });
});
