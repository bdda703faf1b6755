import { describe, expect, it } from '@jest/globals';
import { createEntry } from '../../worldinfo/entry.ts';
import { chunkEntries } from '../entry-chunks.ts';

const record = (i: number, size = 100) => ({
  entryId: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  entry: createEntry({ keys: [`k${i}`], content: 'c'.repeat(size) }),
});
const bytes = (chunk: unknown[]) => chunk.reduce<number>((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);

describe('entry chunks', () => {
  it('no entries: one empty chunk (the book event still carries its metadata)', () => {
    expect(chunkEntries([])).toEqual([[]]);
  });

  it('keeps order and cuts before the budget is exceeded', () => {
    const entries = Array.from({ length: 50 }, (_, i) => record(i, 500));
    const chunks = chunkEntries(entries, 5_000);
    expect(chunks.flat()).toEqual(entries);
    for (const chunk of chunks) expect(bytes(chunk)).toBeLessThanOrEqual(5_000);
    expect(chunks.length).toBeGreaterThan(5);
  });

  it('an entry over the budget is a chunk of its own', () => {
    const entries = [record(1), record(2, 10_000), record(3)];
    expect(chunkEntries(entries, 5_000).map((c) => c.length)).toEqual([1, 1, 1]);
  });
});
