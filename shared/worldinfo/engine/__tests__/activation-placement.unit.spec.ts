import { buildInjections, toActivatedEntry } from '../activation-placement.ts';
import type { ActivatedEntry } from '../types.ts';
import { book, stageRun } from './helpers/stage-run.ts';

describe('activation placement', () => {
  test('position, depth and role from the entry, overridden by decorators', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['k'], content: 'A', position: 4, depth: 2, role: 1 },
          { uid: 1, keys: ['k'], content: '@@reverse_depth 1\nB' },
          { uid: 2, keys: ['k'], content: 'C', position: 7, outletName: 'lore' },
        ]),
      ],
      [],
    );
    const entry = (gid: number) => toActivatedEntry(run.books, { gid, content: 'x', tokens: 1, reason: 'constant', pass: 1, seq: gid }, 5);
    expect(entry(0)).toMatchObject({ entryKey: 'b.0', position: 'at_depth', depth: 2, role: 'user' });
    expect(entry(1)).toMatchObject({ position: 'at_depth', depth: 4 });
    expect(entry(2)).toMatchObject({ position: 'outlet', outletName: 'lore' });
  });

  test('injections by position, ascending order, equal orders in reverse activation order', () => {
    const a = (content: string, order: number, position: ActivatedEntry['position'], extra: Partial<ActivatedEntry> = {}) =>
      ({ content, order, position, depth: 4, role: 'system', ...extra }) as ActivatedEntry;
    const wi = buildInjections([
      a('first', 100, 'before'),
      a('second', 100, 'before'),
      a('low', 10, 'before'),
      a('deep', 1, 'at_depth', { depth: 1 }),
      a('out', 1, 'outlet', { outletName: 'o' }),
      a('empty', 1, 'after', { content: '' }),
    ]);
    expect(wi.before).toBe('low\nsecond\nfirst');
    expect(wi.after).toBe('');
    expect(wi.atDepth).toEqual([{ depth: 1, role: 'system', content: 'deep' }]);
    expect(wi.outlets).toEqual({ o: 'out' });
  });
});
