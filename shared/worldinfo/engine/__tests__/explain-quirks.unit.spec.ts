import { describe, expect, it } from '@jest/globals';
import { recountJoined, type TokenCounter } from '../../../tokenizer/index.ts';
import type { WorldInfoEntry } from '../../entry.ts';
import { runWorldInfo } from '../engine.ts';
import type { CompatibilityMode } from '../types.ts';

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Counts token counting calls: one per entry that reaches the budget, per mode run (the pass's joined count,
 * `startJoined`, is not counted here). */
function countingCounter(): TokenCounter & { calls: number } {
  const counter = {
    family: 'approximate' as const,
    calls: 0,
    count(text: string) {
      counter.calls++;
      return words(text);
    },
    startJoined: () => recountJoined({ count: words }),
  };
  return counter;
}

const entries = [
  { uid: 0, keys: ['кот'], content: 'Cat lore.' },
  { uid: 1, keys: ['dragon'], content: 'Dragon lore.' },
] as WorldInfoEntry[];

const run = (text: string, compatibility: CompatibilityMode, counter: TokenCounter) =>
  runWorldInfo({
    books: [{ id: 'b', name: 'B', source: 'character', entries }],
    messages: [{ name: 'User', content: text, role: 'user' }],
    characterName: 'C',
    settings: { compatibility, recursive: false },
    tokenizer: counter,
  });

describe('the difference explained', () => {
  it('a run that meets no quirk runs once and names none', () => {
    const counter = countingCounter();
    const result = run('a dragon and a кот', 'sillytavern', counter);
    expect(result.activated.map((a) => a.entryKey)).toEqual(['b.0', 'b.1']);
    expect(counter.calls).toBe(2);
    expect(result.diagnostics.every((d) => d.quirk === undefined)).toBe(true);
    expect(result.compatibility).toBe('sillytavern');
  });

  it('a run that meets one runs the other mode too, and only the entry decided differently is marked', () => {
    const counter = countingCounter();
    const st = run('a dragon and a котлета', 'sillytavern', counter);
    expect(st.activated.map((a) => a.entryKey)).toEqual(['b.0', 'b.1']);
    // The other mode's run reuses the entries' token counts (counted once per book version), so no new count.
    expect(counter.calls).toBe(2);
    expect(st.diagnostics[0]).toMatchObject({
      status: 'activated',
      quirk: 'non_ascii_word_boundary',
      other_mode: 'corrected',
      other_outcome: 'not_activated',
      other_reason: 'no_match',
    });
    expect(st.diagnostics[1]?.quirk).toBeUndefined();

    const corrected = run('a dragon and a котлета', 'corrected', countingCounter());
    expect(corrected.activated.map((a) => a.entryKey)).toEqual(['b.1']);
    expect(corrected.diagnostics[0]).toMatchObject({
      status: 'skipped',
      quirk: 'non_ascii_word_boundary',
      other_mode: 'sillytavern',
      other_outcome: 'activated',
    });
  });

  it('an entry the quirk displaces (here from the budget) is named with it too', () => {
    const book = [
      { uid: 0, keys: ['кот'], order: 200, content: 'c c c' },
      { uid: 1, keys: ['dragon'], order: 100, content: 'd d d' },
    ] as WorldInfoEntry[];
    const scan = (compatibility: CompatibilityMode) =>
      runWorldInfo({
        books: [{ id: 'b', name: 'B', source: 'character', entries: book }],
        messages: [{ name: 'User', content: 'a dragon and a котлета', role: 'user' }],
        characterName: 'C',
        settings: { compatibility, recursive: false, contextSize: 10, budgetPercent: 50 },
        tokenizer: countingCounter(),
      });
    const st = scan('sillytavern');
    expect(st.activated.map((a) => a.entryKey)).toEqual(['b.0']);
    expect(st.diagnostics[1]).toMatchObject({ reason: 'budget', quirk: 'non_ascii_word_boundary', other_outcome: 'activated' });
    const corrected = scan('corrected');
    expect(corrected.activated.map((a) => a.entryKey)).toEqual(['b.1']);
    expect(corrected.diagnostics[1]).toMatchObject({
      status: 'activated',
      quirk: 'non_ascii_word_boundary',
      other_outcome: 'not_activated',
    });
  });
});
