import { applyTimedEffectEvents } from '../../worldinfo/engine/timed-effects.ts';
import type { TimedEffectsState } from '../../worldinfo/engine/types.ts';
import { DEFAULT_ENTRY, processText, type DictionaryEntry, type EngineDictionary, type ProcessOptions } from '../index.ts';

let seq = 0;
const entry = (pattern: string, replacement: string, fields: Partial<DictionaryEntry> = {}) => ({
  entryId: `e${++seq}-${pattern}`,
  entry: { ...DEFAULT_ENTRY, timed_effects: { ...DEFAULT_ENTRY.timed_effects }, pattern, replacement, ...fields },
});
const dict = (id: string, entries: EngineDictionary['entries'], extra: Partial<EngineDictionary> = {}): EngineDictionary => ({
  id,
  name: id,
  entries,
  ...extra,
});
const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
/** A random source that hands out the given values in order (and fails the test when it runs out). */
const rolls = (...values: number[]) => {
  const queue = [...values];
  return () => {
    const v = queue.shift();
    if (v === undefined) throw new Error('random source exhausted');
    return v;
  };
};
const noRandom = () => {
  throw new Error('no roll expected');
};
const run = (text: string, dictionaries: EngineDictionary[], extra: Partial<ProcessOptions> = {}) =>
  processText({ text, dictionaries, countTokens: words, random: noRandom, ...extra });

describe('ordering', () => {
  test('entries run by priority ascending, ties in insertion order, and see what earlier entries wrote', () => {
    const a = entry('cat', 'dog', { priority: 2 });
    const b = entry('dog', 'wolf', { priority: 1 });
    // b first (priority 1): "cat" has no dog yet; then a turns cat into dog; the next pass turns it into wolf.
    const r = run('cat', [dict('d', [a, b])], { maxIterations: 1 });
    expect(r.processedText).toBe('dog');
    const r2 = run('cat', [dict('d', [a, b])]);
    expect(r2.processedText).toBe('wolf');
    expect(r2.iterations).toBe(2);
    expect(r2.entriesUsed).toEqual([a.entryId, b.entryId]);
  });

  test("the original's cascade in one pass: Z (token→Z) then A (Z→A) turns token into A with 2 replacements", () => {
    const z = entry('token', 'Z', { priority: 0 });
    const aa = entry('Z', 'A', { priority: 1 });
    const r = run('token', [dict('d', [z, aa])]);
    expect(r).toMatchObject({ processedText: 'A', replacements: 2, iterations: 1 });
  });

  test('dictionaries run in the given order', () => {
    const first = dict('one', [entry('x', 'y')]);
    const second = dict('two', [entry('y', 'z')]);
    expect(run('x', [first, second], { maxIterations: 1 }).processedText).toBe('z');
    expect(run('x', [second, first], { maxIterations: 1 }).processedText).toBe('y');
  });

  test('disabled entries and other groups are explained, not applied', () => {
    const off = entry('a', 'b', { enabled: false });
    const other = entry('a', 'c', { group: 'g2' });
    const mine = entry('a', 'd', { group: 'g1' });
    const r = run('a', [dict('d', [off, other, mine])], { group: 'g1' });
    expect(r.processedText).toBe('d');
    expect(r.explanations.map((x) => x.outcome)).toEqual(['disabled', 'other_group', 'applied']);
  });
});

describe('cascading passes', () => {
  test('a growing replacement stops at max_iterations', () => {
    const grow = entry('a', 'aa');
    const r = run('a', [dict('d', [grow])], { maxIterations: 3 });
    expect(r.processedText).toBe('aaaaaaaa');
    expect(r.iterations).toBe(3);
    expect(r.explanations[0]!.passes).toEqual([1, 2, 3]);
  });

  test('max_replacements caps an entry over the whole run', () => {
    const once = entry('a', 'b', { max_replacements: 2 });
    const r = run('a a a a', [dict('d', [once])]);
    expect(r.processedText).toBe('b b a a');
    expect(r.replacements).toBe(2);
  });

  test('regex replacements expand groups ($1 and \\1) and match case-insensitively when asked', () => {
    const swap = entry('(\\w+)@(\\w+)', '$2 at \\1', { type: 'regex' });
    const shout = entry('hello', 'HI', { case_sensitive: false });
    const r = run('Hello bob@home', [dict('d', [swap, shout])]);
    expect(r.processedText).toBe('HI home at bob');
  });

  test('a literal pattern is literal: regex metacharacters mean themselves', () => {
    const r = run('a.b axb', [dict('d', [entry('a.b', 'X')])]);
    expect(r.processedText).toBe('X axb');
  });
});

describe('token budget', () => {
  test("the request's budget stops the run before a replacement that would exceed it", () => {
    const grow = entry('word', 'two words');
    const r = run('word word word', [dict('d', [grow])], { tokenBudget: 5 });
    // 3 tokens; each replacement adds one: 4, 5, then 6 > 5 stops.
    expect(r.processedText).toBe('two words two words word');
    expect(r).toMatchObject({ replacements: 2, tokenBudgetExceeded: true, tokenBudgetUsed: 5, tokenBudget: 5 });
  });

  test("without a request budget the smallest dictionary default applies; replacements that don't grow are always allowed", () => {
    const shrink = entry('a b', 'c');
    const grow = entry('c', 'c d e');
    const r = run('a b a b', [dict('one', [shrink], { defaultTokenBudget: 10 }), dict('two', [grow], { defaultTokenBudget: 3 })], {
      maxIterations: 1,
    });
    expect(r.tokenBudget).toBe(3);
    // shrink: 4 → 3 → 2 tokens; grow: "c c" → "c d e c" is 4 > 3: stopped.
    expect(r.processedText).toBe('c c');
    expect(r.tokenBudgetExceeded).toBe(true);
    expect(r.explanations[1]!.outcome).toBe('budget_stopped');
  });

  test('a long text is counted by the words around each replacement, with the same result', () => {
    const text = Array.from({ length: 3000 }, () => 'x').join(' ');
    const counted: number[] = [];
    const r = run(text, [dict('d', [entry('x', 'x x')])], {
      tokenBudget: 3100,
      countTokens: (t) => {
        counted.push(t.length);
        return words(t);
      },
    });
    expect(r).toMatchObject({ replacements: 100, tokenBudgetExceeded: true, tokenBudgetUsed: 3100 });
    // Whole-text counts: the start and the result; everything else is a few words.
    expect(counted.filter((n) => n > 1000)).toHaveLength(2);
  });

  test('no budget: no counting', () => {
    const r = processText({
      text: 'a',
      dictionaries: [dict('d', [entry('a', 'b')])],
      countTokens: () => {
        throw new Error('counted');
      },
      random: noRandom,
    });
    expect(r.tokenBudgetUsed).toBeNull();
  });
});

describe('probability', () => {
  test('rolled once per entry per run, when it first matches; fires when the roll is below the probability', () => {
    const half = entry('a', 'b', { probability: 0.5 });
    const never = entry('x', 'y', { probability: 0 });
    const unmatched = entry('zzz', 'q', { probability: 0.5 });
    const fired = run('a x a', [dict('d', [half, never, unmatched])], { random: rolls(0.49) });
    expect(fired.processedText).toBe('b x b');
    expect(fired.explanations.map((x) => [x.outcome, x.roll])).toEqual([
      ['applied', 0.49],
      ['probability_failed', null],
      ['no_match', null],
    ]);
    const failed = run('a x a', [dict('d', [half, never, unmatched])], { random: rolls(0.5) });
    expect(failed.processedText).toBe('a x a');
    expect(failed.explanations[0]).toMatchObject({ outcome: 'probability_failed', roll: 0.5 });
  });

  test('a seeded source gives the same result every time', () => {
    const entries = Array.from({ length: 20 }, (_, i) => entry(`w${i}`, `W${i}`, { probability: 0.5 }));
    const text = entries.map((_, i) => `w${i}`).join(' ');
    const seeded = () => {
      let s = 42;
      return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    };
    const a = run(text, [dict('d', entries)], { random: seeded() });
    const b = run(text, [dict('d', entries)], { random: seeded() });
    expect(a.processedText).toBe(b.processedText);
    expect(a.replacements).toBeGreaterThan(0);
    expect(a.replacements).toBeLessThan(20);
  });
});

describe('timed effects, counted in messages', () => {
  /** Runs one turn at chat length L and carries the state forward as the chat would (from the events). */
  const turn = (d: EngineDictionary, state: TimedEffectsState | undefined, L: number, text: string, random: () => number = noRandom) => {
    const r = run(text, [d], { timed: { ...(state ? { state } : {}), chatLength: L }, random });
    return { r, state: applyTimedEffectEvents(state, r.timed!.events) };
  };

  test('delay: no replacement before the chat has that many messages', () => {
    const d = dict('d', [entry('a', 'b', { timed_effects: { sticky: 0, cooldown: 0, delay: 4 } })]);
    expect(turn(d, undefined, 3, 'a').r.explanations[0]!.outcome).toBe('delayed');
    expect(turn(d, undefined, 4, 'a').r.processedText).toBe('b');
  });

  test('cooldown: after firing, blocked until that many more messages', () => {
    const d = dict('d', [entry('a', 'b', { timed_effects: { sticky: 0, cooldown: 2, delay: 0 } })]);
    let s = turn(d, undefined, 1, 'a');
    expect(s.r.processedText).toBe('b');
    expect(s.r.timed!.events).toEqual([expect.objectContaining({ type: 'cooldown_started', startsAt: 1, endsAt: 3 })]);
    s = turn(d, s.state, 2, 'a');
    expect(s.r.explanations[0]!.outcome).toBe('cooldown');
    s = turn(d, s.state, 3, 'a');
    expect(s.r.processedText).toBe('b');
  });

  test('a regenerate at the same chat length does not see the effect it replaces', () => {
    const d = dict('d', [entry('a', 'b', { timed_effects: { sticky: 0, cooldown: 5, delay: 0 } })]);
    const first = turn(d, undefined, 2, 'a');
    const again = turn(d, first.state, 2, 'a');
    expect(again.r.processedText).toBe('b');
    expect(again.r.timed!.events.map((e) => e.type)).toEqual(['cooldown_ended', 'cooldown_started']);
  });

  test('sticky: once fired, it fires without a roll for that many messages', () => {
    const d = dict('d', [entry('a', 'b', { probability: 0.5, timed_effects: { sticky: 2, cooldown: 0, delay: 0 } })]);
    let s = turn(d, undefined, 1, 'a', rolls(0.1));
    expect(s.r.processedText).toBe('b');
    s = turn(d, s.state, 2, 'a'); // no roll: noRandom would throw
    expect(s.r.explanations[0]).toMatchObject({ outcome: 'applied', stickyActive: true, roll: null });
    s = turn(d, s.state, 3, 'a', rolls(0.9));
    expect(s.r.explanations[0]).toMatchObject({ outcome: 'probability_failed', stickyActive: false });
  });
});

describe('safe regex', () => {
  test('catastrophic patterns run in linear time', () => {
    const evil = entry('(a+)+$', 'X', { type: 'regex' });
    const text = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    const r = run(text, [dict('d', [evil])]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.processedText).toBe(text);
  });

  test('an uncompilable pattern is explained and skipped', () => {
    const bad = entry('(a', 'X', { type: 'regex' });
    const back = entry('(a)\\1', 'X', { type: 'regex' });
    const r = run('aa', [dict('d', [bad, back, entry('a', 'b')])]);
    expect(r.processedText).toBe('bb');
    expect(r.explanations.slice(0, 2).map((x) => x.outcome)).toEqual(['invalid_pattern', 'invalid_pattern']);
    expect(r.explanations[1]!.detail).toMatch(/backreference/);
  });

  test('empty matches advance (no endless loop) and the output never grows past the limit', () => {
    const empty = entry('x*', '-', { type: 'regex' });
    expect(run('ab', [dict('d', [empty])], { maxIterations: 1 }).processedText).toBe('-a-b-');
    const huge = entry('a', 'a'.repeat(1000));
    const r = run('a'.repeat(2000), [dict('d', [huge])]);
    expect(r.outputLimitReached).toBe(true);
    expect(r.processedText.length).toBeLessThanOrEqual(1_000_000);
  });
});
