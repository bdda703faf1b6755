import { describe, expect, test } from '@jest/globals';
import { runsBySize } from '../runs-by-size.ts';

describe('runsBySize', () => {
  const length = (s: string) => s.length;

  test('cuts in order so that no run goes over the budget', () => {
    expect(runsBySize(['aa', 'bb', 'cc', 'd'], length, 4)).toEqual([
      ['aa', 'bb'],
      ['cc', 'd'],
    ]);
  });

  test('an item over the budget is a run of its own; nothing gives no runs', () => {
    expect(runsBySize(['a', 'bbbbbb', 'c'], length, 4)).toEqual([['a'], ['bbbbbb'], ['c']]);
    expect(runsBySize([], length, 4)).toEqual([]);
  });
});
