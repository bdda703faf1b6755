import { RunBooks, tierOf } from '../run-books.ts';
import { book } from './helpers/stage-run.ts';

describe('run books: global entry ids and SillyTavern entry order', () => {
  test('entries of all books get consecutive ids; keys resolve to them', () => {
    const books = new RunBooks(
      [
        book(
          [
            { uid: 7, keys: ['a'], content: 'A' },
            { uid: 9, keys: ['b'], content: 'B' },
          ],
          'one',
        ),
        book([{ uid: 1, keys: ['c'], content: 'C' }], 'two'),
      ],
      'character-first',
      undefined,
    );
    expect(books.total).toBe(3);
    expect([0, 1, 2].map((g) => books.entryKey(g))).toEqual(['one.7', 'one.9', 'two.1']);
    expect(books.gidByKey('two.1')).toBe(2);
    expect(books.gidByKey('one.8')).toBeUndefined();
    expect(books.bookNumber(2)).toBe(1);
  });

  test('a book id given twice is refused', () => {
    expect(() => new RunBooks([book([], 'x'), book([], 'x')], 'evenly', undefined)).toThrow(/given twice/);
  });

  test('order: chat before persona before character (character-first), then order descending, then book rank', () => {
    const books = new RunBooks(
      [
        book([{ uid: 0, keys: ['a'], content: 'G', order: 500 }], 'global', 'global'),
        book(
          [
            { uid: 0, keys: ['a'], content: 'C1', order: 100 },
            { uid: 1, keys: ['a'], content: 'C2', order: 300 },
          ],
          'char',
          'character',
        ),
        book([{ uid: 0, keys: ['a'], content: 'T', order: 1 }], 'chat', 'chat'),
      ],
      'character-first',
      undefined,
    );
    const order = [0, 1, 2, 3].sort(books.compare).map((g) => books.prep(g).entry.content);
    expect(order).toEqual(['T', 'C2', 'C1', 'G']);
  });

  test('tiers per insertion strategy', () => {
    expect(tierOf('global', 'global-first')).toBe(2);
    expect(tierOf('character', 'global-first')).toBe(3);
    expect(tierOf('global', 'evenly')).toBe(tierOf('character', 'evenly'));
  });
});
