import { describe, expect, test } from '@jest/globals';
import { createStateCache } from '../state-cache.ts';

describe('state cache', () => {
  test('keeps the most recently used entries within the entry bound', () => {
    const cache = createStateCache(3, 1_000);
    for (const id of ['a', 'b', 'c']) cache.set(id, { id }, 1);
    expect(cache.get('a')).toEqual({ state: { id: 'a' }, revision: 1 }); // a is now the most recent
    cache.set('d', { id: 'd' }, 1);
    expect(cache.size()).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
  });

  test('is bounded by the events folded into its states, not only by their number', () => {
    const cache = createStateCache(100, 1_000);
    cache.set('short', {}, 10);
    cache.set('long-1', {}, 600);
    cache.set('long-2', {}, 600); // 1,210 events: the least recently used go until it fits
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('long-1')).toBeUndefined();
    expect(cache.get('long-2')).toBeDefined();
    cache.set('long-2', {}, 700); // a newer state of the same stream replaces the older one
    cache.set('small', {}, 5);
    expect(cache.size()).toBe(2);
    cache.delete('long-2');
    cache.set('other', {}, 900);
    expect(cache.size()).toBe(2);
  });

  test('one state larger than the bound is still kept (the stream in use)', () => {
    const cache = createStateCache(10, 100);
    cache.set('huge', {}, 5_000);
    expect(cache.get('huge')).toBeDefined();
    cache.set('next', {}, 1);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('next')).toBeDefined();
  });

  test('an older revision never replaces a newer one', () => {
    const cache = createStateCache();
    cache.set('s', { v: 2 }, 2);
    cache.set('s', { v: 1 }, 1);
    expect(cache.get('s')).toEqual({ state: { v: 2 }, revision: 2 });
  });
});
