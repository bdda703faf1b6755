import { describe, expect, test } from '@jest/globals';
import { createEntry, importSillyTavern } from '../../worldinfo/index.ts';
import { computeBookStatistics } from '../book-statistics.ts';
import { entryChangesFromApi, entryFieldsSchema, entryToApi } from '../entry-api-fields.ts';

describe('entry API fields', () => {
  test('snake_case names, the original aliases and names for position, role and logic', () => {
    const parsed = entryFieldsSchema.parse({
      keywords: ['k'],
      secondary_keys: ['s'],
      content: 'c',
      regex_match: true,
      whole_word_match: false,
      position: 'an_bottom',
      role: 'user',
      selective_logic: 'not_all',
      character_filter: { is_exclude: true, names: ['Alice'] },
      outlet_name: 'o',
      extensions: { 'my/ext': { kept: [1] } },
    });
    expect(entryChangesFromApi(parsed)).toEqual({
      keys: ['k'],
      secondaryKeys: ['s'],
      content: 'c',
      useRegex: true,
      matchWholeWords: false,
      position: 3,
      role: 1,
      selectiveLogic: 1,
      characterFilter: { isExclude: true, names: ['Alice'] },
      outletName: 'o',
      extensions: { 'my/ext': { kept: [1] } },
    });
    expect(entryFieldsSchema.safeParse({ keyz: ['x'] }).success).toBe(false);
    expect(entryFieldsSchema.safeParse({ keys: ['a'], keywords: ['b'] }).success).toBe(false);
    expect(entryFieldsSchema.safeParse({ position: 'before_char' }).success).toBe(true);
  });

  test('model → API → model is the identity on every field an entry has', () => {
    const entry = createEntry({
      keys: ['a'],
      content: 'b',
      characterFilter: { isExclude: false, names: [], tags: ['t'] },
      extensions: { x: 1 },
      extra: { unknown: true },
      delayUntilRecursion: 2,
    });
    const api = entryToApi(entry);
    expect(api).toMatchObject({
      keys: ['a'],
      secondary_keys: [],
      delay_until_recursion: 2,
      character_filter: { is_exclude: false, tags: ['t'] },
      extra: { unknown: true },
    });
    expect(entryChangesFromApi(entryFieldsSchema.parse(api))).toEqual(entry);
  });

  test('statistics: counts, tokens per position, activations', () => {
    const { book } = importSillyTavern({
      entries: {
        0: { uid: 0, key: ['a'], content: 'alpha beta', position: 0 },
        1: { uid: 1, key: ['/b/i'], content: '@@position after\ngamma', constant: true },
        2: { uid: 2, key: ['c'], keysecondary: ['d'], selective: true, content: 'delta', disable: true, position: 4 },
      },
    });
    const entries = book.entries.map((entry, i) => ({ entryId: `e${i}`, entry }));
    const at = new Date('2026-01-01T00:00:00Z');
    const stats = computeBookStatistics(entries, new Map([['e1', { count: 3, lastActivatedAt: at }]]), 'approximate');
    expect(stats).toMatchObject({
      total_entries: 3,
      enabled_entries: 2,
      disabled_entries: 1,
      constant_entries: 1,
      selective_entries: 1,
      regex_entries: 1,
      total_keys: 4,
      total_activations: 3,
    });
    expect(Object.keys(stats.tokens_by_position).sort()).toEqual(['after', 'at_depth', 'before']);
    expect(stats.tokens_by_position.at_depth).toMatchObject({ entries: 1, enabled_entries: 0, enabled_tokens: 0 });
    expect(stats.entries[1]).toMatchObject({ entry_id: 'e1', position: 'after', activation_count: 3, last_activated_at: at.toISOString() });
    expect(stats.total_tokens).toBe(stats.entries.reduce((n, e) => n + e.tokens, 0));
  });
});
