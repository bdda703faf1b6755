import fc from 'fast-check';
import { foldString } from '../engine/text.ts';
import {
  RegexCompileError,
  compileRegexKey,
  compileSafeRegex,
  isRegexKey,
  parseRegexKey,
  requiredLiterals,
  satisfiesRequirements,
  tryCompileSafeRegex,
} from '../safe-regex.ts';

describe('parseRegexKey (SillyTavern rule)', () => {
  test.each([
    ['/rose/', { pattern: 'rose', flags: '' }],
    ['/rose/i', { pattern: 'rose', flags: 'i' }],
    ['/a\\/b/gim', { pattern: 'a/b', flags: 'gim' }],
    ['/\\x01Alice:/', { pattern: '\\x01Alice:', flags: '' }],
  ])('%s is a regex key', (key, parsed) => {
    expect(parseRegexKey(key)).toEqual(parsed);
    expect(isRegexKey(key)).toBe(true);
  });

  test.each(['rose', '/usr/bin/', '/cat/x', 'w/o', '//', '/', '/rose'])('%s is a plain key', (key) => {
    expect(parseRegexKey(key)).toBeNull();
  });
});

describe('compileSafeRegex', () => {
  test('flags i, m, s; g and y are accepted and ignored', () => {
    expect(compileSafeRegex('rose', 'i').test('A ROSE')).toBe(true);
    expect(compileSafeRegex('rose', '').test('A ROSE')).toBe(false);
    expect(compileSafeRegex('^b', 'm').test('a\nb')).toBe(true);
    expect(compileSafeRegex('^b', '').test('a\nb')).toBe(false);
    expect(compileSafeRegex('a.b', 's').test('a\nb')).toBe(true);
    const g = compileSafeRegex('x', 'gy');
    expect([g.test('x'), g.test('x'), g.test('x')]).toEqual([true, true, true]);
  });

  test('keeps JavaScript meanings of ., \\s, \\u, named groups, [^] and []', () => {
    expect(compileSafeRegex('a.b').test('a\rb')).toBe(false);
    expect(compileSafeRegex('a.b').test('a\u2028b')).toBe(false);
    expect(compileSafeRegex('a.b').test('a-b')).toBe(true);
    expect(compileSafeRegex('a\\sb').test('a\u00a0b')).toBe(true);
    expect(compileSafeRegex('a\\Sb').test('a\u00a0b')).toBe(false);
    expect(compileSafeRegex('\\u0041').test('A')).toBe(true);
    expect(compileSafeRegex('(?<word>\\w+) \\d').test('abc 1')).toBe(true);
    expect(compileSafeRegex('a[^]b').test('a\nb')).toBe(true);
    expect(compileSafeRegex('a[]b').test('ab')).toBe(false);
    expect(compileSafeRegex('\\p{Lu}', 'u').test('É')).toBe(true);
  });

  test('lookbehind is supported in linear time', () => {
    expect(compileSafeRegex('(?<=red )dragon').test('a red dragon')).toBe(true);
    expect(compileSafeRegex('(?<!red )dragon').test('a red dragon')).toBe(false);
  });

  test('find returns the position and text of the first match', () => {
    expect(compileSafeRegex('drag(on)', 'i').find('the DRAGON')).toEqual({ index: 4, text: 'DRAGON' });
    expect(compileSafeRegex('x').find('abc')).toBeNull();
  });

  test.each([
    ['dragon(?= fire)', 'lookahead'],
    ['dragon(?! fire)', 'lookahead'],
    ['(a)\\1', 'backreference'],
    ['(?<n>a)\\k<n>', 'named backreference'],
    ['(unclosed', 'missing'],
    ['a{2,1}', 'repeat'],
    ['[abc', 'unterminated'],
    ['', 'empty'],
  ])('rejects /%s/ with a clear error (%s)', (pattern, word) => {
    const r = tryCompileSafeRegex(pattern, '');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(RegexCompileError);
      expect(r.error.code).toBe('invalid_regex');
      expect(r.error.detail.toLowerCase()).toContain(word);
    }
  });

  test('rejects unknown or repeated flags and very long patterns', () => {
    expect(tryCompileSafeRegex('a', 'x').ok).toBe(false);
    expect(tryCompileSafeRegex('a', 'ii').ok).toBe(false);
    expect(tryCompileSafeRegex('a'.repeat(2001), '').ok).toBe(false);
    expect(() => compileSafeRegex('(?=a)')).toThrow(RegexCompileError);
  });

  test('a catastrophic-backtracking pattern runs in linear time', () => {
    const re = compileSafeRegex('(a+)+$');
    const text = `${'a'.repeat(50_000)}b`;
    re.test('warm up');
    const t0 = performance.now();
    expect(re.test(text)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000); // backtracking would take longer than the universe's age
    const evil = compileSafeRegex('^(\\w+\\s?)*$');
    const t1 = performance.now();
    expect(evil.test(`${'word '.repeat(10_000)}!`)).toBe(false);
    expect(performance.now() - t1).toBeLessThan(1000);
  });

  test('compiled patterns and errors are cached', () => {
    expect(compileSafeRegex('cache[d]?', 'i')).toBe(compileSafeRegex('cache[d]?', 'i'));
    const a = tryCompileSafeRegex('(?=x)', '');
    const b = tryCompileSafeRegex('(?=x)', '');
    expect(!a.ok && !b.ok && a.error === b.error).toBe(true);
  });

  test('compileRegexKey compiles /…/ keys and leaves plain keys alone', () => {
    expect(compileRegexKey('plain key')).toBeNull();
    const ok = compileRegexKey(' /drag(on)?/i ');
    expect(ok?.ok && ok.regex.test('DRAG')).toBe(true);
    expect(compileRegexKey('/(bad/')?.ok).toBe(false);
  });
});

describe('requiredLiterals (case-insensitive prefilter)', () => {
  test.each([
    ['\\bKael\\w*\\s+(?:rises|falls)\\b', [['kael'], ['rises', 'falls']]],
    ['colou?r of night', [['colo'], ['r of night']]],
    ['Mr\\. Smith', [['mr. smith']]],
    ['ab(c)?defg', [['defg']]],
    ['dragons?', [['dragon']]],
    ['x{0,3}yzw', [['yzw']]],
    ['abc+def', [['abc'], ['def']]],
    ['(?:Rin|Rinne)-sama', [['rin', 'rinne'], ['-sama']]],
    ['(?:Ri|Rinne)-sama', [['-sama']]],
    ['\\b(?:Rinne|Lysa)\\b', [['rinne', 'lysa']]],
    ['(?<who>Kael|Mira)n', [['kael', 'mira']]],
    ['(?:north|south)?wind', [['wind']]],
    ['(?:north|south)+ern', [['north', 'south'], ['ern']]],
    ['(?<=lady )Mira', [['mira']]],
    ['red|blue', []],
    ['[abc]de', []],
    ['ab', []],
    ['(foo)bar(baz', []],
    ['日本語', []],
  ])('%s → %j', (pattern, requirements) => {
    expect(requiredLiterals(pattern)).toEqual(requirements);
  });

  test('case-insensitive regexes expose requirements; case-sensitive ones do not need them', () => {
    expect(compileSafeRegex('\\bKael\\w+', 'i').foldedRequirements).toEqual([['kael']]);
    expect(compileSafeRegex('\\bKael\\w+', '').foldedRequirements).toBeUndefined();
  });

  test('is sound: every match satisfies the requirements (property)', () => {
    const atom = fc.oneof(
      fc.constantFrom('a', 'b', 'c', 'A', 'B', ' ', '-', 'k', 's'),
      fc.constantFrom(
        '.',
        '\\w',
        '\\s',
        '\\b',
        '\\.',
        '[ab]',
        '(?:abc|cab)',
        '(?:abc|cab)?',
        '(aab|bba)+',
        '(a)',
        'x?',
        'b*',
        'c+',
        'a{0,2}',
        'b{1,2}',
        '(?<=a)',
      ),
    );
    const pattern = fc.array(atom, { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    const text = fc
      .array(fc.constantFrom('a', 'b', 'c', 'A', 'B', 'C', ' ', '-', '.', 'k', 's', 'K', 'S', 'abc', 'CAB', 'aab'), { maxLength: 30 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        const compiled = tryCompileSafeRegex(p, 'i');
        if (!compiled.ok || !compiled.regex.foldedRequirements) return;
        if (compiled.regex.test(t)) expect(satisfiesRequirements(foldString(t), compiled.regex.foldedRequirements)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
