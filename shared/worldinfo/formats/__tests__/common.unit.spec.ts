import { describe, expect, it } from '@jest/globals';
import { createEntry } from '../../entry.ts';
import { importEntries, topLevelBook, type ImportWarning } from '../common.ts';

describe('what every lorebook format imports the same way', () => {
  it('entries: each object through the format, anything else skipped with a warning naming its source position', () => {
    const warnings: ImportWarning[] = [];
    const seen: Array<[string, number]> = [];
    const entries = importEntries(
      [{ content: 'a' }, 'junk', null, { content: 'b' }],
      (source, index) => {
        seen.push([source.content as string, index]);
        return createEntry({ keys: ['k'], content: source.content as string });
      },
      warnings,
    );
    expect(entries.map((e) => e.content)).toEqual(['a', 'b']);
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(warnings).toEqual([
      { entryIndex: 1, code: 'invalid_entry', detail: 'entry 1 is not an object; skipped' },
      { entryIndex: 2, code: 'invalid_entry', detail: 'entry 2 is not an object; skipped' },
    ]);
  });

  it('a book from top-level fields: unknown and unusable fields kept in extra, then the entries’ warnings', () => {
    const warnings: ImportWarning[] = [];
    const entries = [createEntry({ keys: ['a'], content: 'x', uid: 1 }), createEntry({ keys: ['/(/'], content: 'y', uid: 1 })];
    const book = topLevelBook(
      { name: 'Lore', scan_depth: 'deep', token_budget: 300, custom: { kept: true }, entries: [] },
      entries,
      warnings,
      'Fallback',
      { 'entries@array': true },
    );
    expect(book).toMatchObject({
      name: 'Lore',
      description: '',
      token_budget: 300,
      extra: { custom: { kept: true }, scan_depth: 'deep', 'entries@array': true },
      absentFields: ['description', 'extensions'],
    });
    expect(book.scan_depth).toBeUndefined();
    expect(warnings.map((w) => w.code)).toEqual(['invalid_field', 'duplicate_uid', 'invalid_regex']);
    expect(topLevelBook({}, [], [], 'Fallback').name).toBe('Fallback');
  });
});
