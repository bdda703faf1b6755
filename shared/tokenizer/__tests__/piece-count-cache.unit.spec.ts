import { PieceCountCache } from '../bpe-merge.ts';
import { countTokens } from '../index.ts';

describe('PieceCountCache', () => {
  test('empties when it holds `limit` pieces', () => {
    const cache = new PieceCountCache(3, 1000);
    for (const piece of ['a', 'b', 'c']) cache.set(piece, 1);
    expect(cache.size).toBe(3);
    cache.set('d', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')).toBe(2);
  });

  test('empties when its pieces would exceed `maxChars` characters', () => {
    const cache = new PieceCountCache(1000, 10);
    cache.set('abcd', 1);
    cache.set('efgh', 1);
    expect(cache.chars).toBe(8);
    cache.set('ijk', 1);
    expect(cache.size).toBe(1);
    expect(cache.chars).toBe(3);
    expect(cache.get('abcd')).toBeUndefined();
  });

  test('does not keep a piece longer than its whole character budget', () => {
    const cache = new PieceCountCache(1000, 10);
    cache.set('short', 1);
    cache.set('x'.repeat(11), 3);
    expect(cache.get('x'.repeat(11))).toBeUndefined();
    expect(cache.get('short')).toBe(1);
  });

  test('setting a held piece again does not count its characters twice', () => {
    const cache = new PieceCountCache(10, 100);
    cache.set('word', 1);
    cache.set('word', 1);
    expect(cache.chars).toBe(4);
  });

  test('the default budget is 16 characters a piece', () => {
    expect(new PieceCountCache(200_000).maxChars).toBe(3_200_000);
  });
});

test('long distinct pieces (words of 4,000 letters) count the same alone, joined and again', () => {
  const words = Array.from({ length: 300 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}${'qz'.repeat(2000)}${i}`);
  const text = words.join(' ');
  const once = countTokens(text, 'openai-cl100k');
  expect(countTokens(text, 'openai-cl100k')).toBe(once);
  expect(words.reduce((sum, w, i) => sum + countTokens(i === 0 ? w : ` ${w}`, 'openai-cl100k'), 0)).toBe(once);
});
