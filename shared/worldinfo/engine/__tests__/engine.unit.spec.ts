import fc from 'fast-check';
import type { TokenCounter } from '../../../tokenizer/index.ts';
import type { WorldInfoEntry } from '../../entry.ts';
import { buildBookIndex, WorldInfoIndexCache } from '../book-index.ts';
import { computeBudget, createSeededRandom, runWorldInfo } from '../engine.ts';
import { applyTimedEffectEvents } from '../timed-effects.ts';
import type { ChatMessageInput, WorldInfoInput, WorldInfoResult } from '../types.ts';

const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };
const user = (content: string): ChatMessageInput => ({ name: 'User', content, role: 'user' });
const bot = (content: string): ChatMessageInput => ({ name: 'Seraphina', content, role: 'assistant' });

function run(entries: WorldInfoEntry[], messages: ChatMessageInput[], extra: Partial<WorldInfoInput> = {}): WorldInfoResult {
  return runWorldInfo({
    books: [{ id: 'b', name: 'Book', source: 'character', entries }],
    messages,
    characterName: 'Seraphina',
    tokenizer: words,
    random: createSeededRandom(7),
    ...extra,
  });
}

describe('runWorldInfo', () => {
  test('every entry of every book gets exactly one diagnostic, in book order', () => {
    const entries: WorldInfoEntry[] = [
      { uid: 3, keys: ['dragon'], content: 'D' },
      { uid: 1, keys: ['castle'], content: 'C', enabled: false },
      { keys: [], content: 'K', constant: true },
      { uid: 'x', keys: ['unseen'], content: 'U', comment: 'memo' },
    ];
    const r = runWorldInfo({
      books: [
        { id: 'one', name: 'One', source: 'global', entries },
        { id: 'two', name: 'Two', source: 'chat', entries: [{ uid: 0, keys: ['dragon'], content: 'T' }] },
      ],
      messages: [user('the dragon and the castle')],
      characterName: 'Seraphina',
      tokenizer: words,
    });
    expect(r.diagnostics.map((d) => [d.entryKey, d.status, d.reason])).toEqual([
      ['one.3', 'activated', 'key_match'],
      ['one.1', 'skipped', 'disabled'],
      ['one.#2', 'activated', 'constant'],
      ['one.x', 'skipped', 'no_match'],
      ['two.0', 'activated', 'key_match'],
    ]);
    expect(r.diagnostics[3]).toMatchObject({ comment: 'memo', entryIndex: 3, uid: 'x', detail: 'no key matched' });
    // Chat lore first.
    expect(r.activated.map((a) => a.entryKey)).toEqual(['two.0', 'one.3', 'one.#2']);
  });

  test('a key match says which message, where, and what text matched', () => {
    const r = run([{ uid: 0, keys: ['red dragon'], content: 'x' }], [user('hello'), bot('I saw the Red Dragon today'), user('ok')], {
      settings: { scanDepth: 3 },
    });
    expect(r.diagnostics[0]?.match).toEqual({
      key: 'red dragon',
      list: 'primary',
      source: 'message',
      messageIndex: 1,
      depth: 1,
      matchedText: 'Red Dragon',
      offset: 'Seraphina: I saw the '.length,
    });
    expect(r.diagnostics[0]?.detail).toBe("key 'red dragon' matched 'Red Dragon' in message 1 (depth 1)");
  });

  test('recursion matches report the recursion pass; the activation records its pass', () => {
    const r = run(
      [
        { uid: 0, keys: ['bessie'], content: 'Bessie knows Rufus.' },
        { uid: 1, keys: ['rufus'], content: 'Rufus barks.' },
      ],
      [user('Bessie?')],
      { settings: { recursive: true } },
    );
    expect(r.diagnostics[1]?.match).toMatchObject({ source: 'recursion', recursionPass: 1, matchedText: 'Rufus' });
    expect(r.diagnostics[1]).toMatchObject({ pass: 2, scanState: 'recursion' });
    expect(r.activated.map((a) => [a.uid, a.pass])).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  test('is deterministic for the same input and random seed', () => {
    const entries: WorldInfoEntry[] = Array.from({ length: 6 }, (_, i) => ({
      uid: i,
      keys: ['k'],
      content: `E${i}`,
      group: 'g',
      probability: 60,
    }));
    const a = run(entries, [user('k')], { random: createSeededRandom(3) });
    const b = run(entries, [user('k')], { random: createSeededRandom(3) });
    expect(a).toEqual(b);
  });

  test('the default random source is a fixed-seed PRNG (no Math.random)', () => {
    const entries: WorldInfoEntry[] = [
      { uid: 0, keys: ['k'], content: 'A', group: 'g' },
      { uid: 1, keys: ['k'], content: 'B', group: 'g' },
    ];
    const input: WorldInfoInput = {
      books: [{ id: 'b', name: 'b', source: 'global', entries }],
      messages: [user('k')],
      characterName: 'x',
      tokenizer: words,
    };
    const first = runWorldInfo(input).activated.map((e) => e.uid);
    for (let i = 0; i < 5; i++) expect(runWorldInfo(input).activated.map((e) => e.uid)).toEqual(first);
  });

  test('timed-effect events applied to the input state give nextTimedState', () => {
    const entries: WorldInfoEntry[] = [
      { uid: 0, keys: ['k'], content: 'A', sticky: 2, cooldown: 3 },
      { uid: 1, keys: ['k'], content: 'B', cooldown: 2 },
    ];
    let state = undefined as WorldInfoResult['nextTimedState'] | undefined;
    const messages: ChatMessageInput[] = [];
    for (let i = 0; i < 8; i++) {
      messages.push(user(i % 3 === 0 ? 'k' : 'nothing'));
      const r = run(entries, messages, state ? { timedState: state, settings: { scanDepth: 1 } } : { settings: { scanDepth: 1 } });
      expect(applyTimedEffectEvents(state, r.timedEffects)).toEqual(r.nextTimedState);
      state = r.nextTimedState;
    }
  });

  test('sticky events carry start, end and the entry hash', () => {
    const r = run([{ uid: 0, keys: ['k'], content: 'A', sticky: 2 }], [user('a'), user('k')]);
    expect(r.timedEffects).toEqual([
      { type: 'sticky_started', entryKey: 'b.0', startsAt: 2, endsAt: 4, protected: false, entryHash: expect.any(String) },
    ]);
    expect(r.nextTimedState.sticky['b.0']).toMatchObject({ startsAt: 2, endsAt: 4, protected: false });
  });

  test('effects of entries from books that are not active are kept until they end', () => {
    const timedState = { sticky: { 'gone.1': { startsAt: 1, endsAt: 5, protected: false } }, cooldown: {} };
    const keep = run([{ uid: 0, keys: [], content: 'x' }], [user('a'), user('b')], { timedState });
    expect(keep.nextTimedState.sticky['gone.1']).toBeDefined();
    const drop = run([{ uid: 0, keys: [], content: 'x' }], [user('a'), user('b'), user('c'), user('d'), user('e')], { timedState });
    expect(drop.timedEffects).toEqual([{ type: 'sticky_ended', entryKey: 'gone.1', startsAt: 1, endsAt: 5, reason: 'entry_missing' }]);
  });

  test('tokens are counted with a tokenizer family when given one', () => {
    const r = run([{ uid: 0, keys: [], constant: true, content: 'Hello world' }], [user('x')], { tokenizer: 'openai-cl100k' });
    expect(r.tokensUsed).toBe(3); // "Hello world\n"
    expect(r.activated[0]?.tokens).toBe(3);
  });

  test('budget formula (SillyTavern): round(percent × context / 100) || 1, capped', () => {
    expect(computeBudget({ budgetPercent: 25, contextSize: 4096, budgetCap: 0 })).toBe(1024);
    expect(computeBudget({ budgetPercent: 25, contextSize: 4096, budgetCap: 500 })).toBe(500);
    expect(computeBudget({ budgetPercent: 1, contextSize: 10, budgetCap: 0 })).toBe(1);
  });

  test('overflow alert adds a warning', () => {
    const entries: WorldInfoEntry[] = [
      { uid: 0, keys: ['k'], content: 'a b c d' },
      { uid: 1, keys: ['k'], content: 'a b c d' },
    ];
    const r = run(entries, [user('k')], { settings: { contextSize: 20, budgetPercent: 25, overflowAlert: true } });
    expect(r.budgetOverflowed).toBe(true);
    expect(r.warnings).toEqual(['World info budget (5 tokens) reached after 1 entries.']);
  });

  test('diagnostics of entries that matched nothing are shared, frozen objects', () => {
    const entries: WorldInfoEntry[] = [{ uid: 0, keys: ['never'], content: 'x' }];
    const a = run(entries, [user('hello')]);
    const b = run(entries, [user('hello again')]);
    expect(a.diagnostics[0]).toBe(b.diagnostics[0]);
    expect(Object.isFrozen(a.diagnostics[0])).toBe(true);
  });

  test('indexes are cached per (book id, version) and by entries identity', () => {
    const entries: WorldInfoEntry[] = [{ uid: 0, keys: ['k'], content: 'x' }];
    const cache = new WorldInfoIndexCache(4);
    const input = (version: number): WorldInfoInput => ({
      books: [{ id: 'b', name: 'b', source: 'global', entries, version }],
      messages: [user('k')],
      characterName: 'x',
      tokenizer: words,
      indexCache: cache,
    });
    expect(cache.get('b', 1, entries)).toBe(cache.get('b', 1, entries));
    expect(cache.get('b', 2, entries)).not.toBe(cache.get('b', 1, entries));
    expect(runWorldInfo(input(1)).activated).toHaveLength(1);
    const prebuilt = buildBookIndex(entries);
    expect(prebuilt.buildMs).toBeGreaterThanOrEqual(0);
    const r = runWorldInfo({
      books: [{ id: 'b', name: 'b', source: 'global', entries, index: prebuilt }],
      messages: [user('k')],
      characterName: 'x',
      tokenizer: words,
    });
    expect(r.activated).toHaveLength(1);
  });

  test('a dry run applies stored effects but returns the input state unchanged', () => {
    const timedState = { sticky: { 'b.0': { startsAt: 1, endsAt: 3, protected: false } }, cooldown: {} };
    const r = run([{ uid: 0, keys: ['zzz'], content: 'x', sticky: 2 }], [user('a'), user('b')], { timedState, dryRun: true });
    expect(r.activated.map((a) => a.reason)).toEqual(['sticky']);
    expect(r.timedEffects).toEqual([]);
    expect(r.nextTimedState).toEqual({ ...timedState, matched: {} });
  });

  test('activated entries carry position, depth, role and outlet details', () => {
    const r = run(
      [
        { uid: 0, keys: ['k'], content: 'A', position: 4, depth: 1, role: 2 },
        { uid: 1, keys: ['k'], content: 'B', position: 7, outletName: 'lore' },
        { uid: 2, keys: ['k'], content: '@@depth 0\nC' },
        { uid: 3, keys: ['k'], content: 'D', position: 42 },
      ],
      [user('k')],
    );
    expect(r.activated.map((a) => [a.uid, a.position, a.depth, a.role, a.outletName])).toEqual([
      [0, 'at_depth', 1, 'assistant', undefined],
      [1, 'outlet', 4, 'system', 'lore'],
      [2, 'at_depth', 0, 'system', undefined],
      [3, 'unknown', 4, 'system', undefined],
    ]);
    expect(r.injections.atDepth).toEqual([
      { depth: 1, role: 'assistant', content: 'A' },
      { depth: 0, role: 'system', content: 'C' },
    ]);
  });

  test('@@reverse_depth counts from the start of the chat', () => {
    const r = run([{ uid: 0, keys: [], content: '@@activate\n@@reverse_depth 1\nX' }], [user('a'), user('b'), user('c')]);
    expect(r.injections.atDepth).toEqual([{ depth: 2, role: 'system', content: 'X' }]);
  });

  test('macros are substituted in contents', () => {
    const r = run([{ uid: 0, keys: [], constant: true, content: '{{char}} guards {{user}}.' }], [user('x')], {
      substituteMacros: (s) => s.replace(/\{\{char\}\}/g, 'Seraphina').replace(/\{\{user\}\}/g, 'Ann'),
    });
    expect(r.injections.before).toBe('Seraphina guards Ann.');
  });
});

// ------------------------------------------------------------------------------------------------ property
const VOCAB = ['dragon', 'Dragon', 'castle', 'red fox', 'ice cream', 'café', 'caf', '東京', 'k', 'Alice', 'forest', 'magic', 'fox', 'a b'];
const KEYS = [...VOCAB, '/dra.on/i', '/^x/', '/\\x01Alice/', '{{char}}', '  ', 'DRAGON', 'Ice Cream'];

const arbEntry = fc.record(
  {
    keys: fc.array(fc.constantFrom(...KEYS), { maxLength: 3 }),
    secondaryKeys: fc.array(fc.constantFrom(...KEYS), { maxLength: 2 }),
    selective: fc.boolean(),
    selectiveLogic: fc.integer({ min: 0, max: 3 }),
    constant: fc.constantFrom(false, false, false, false, true),
    enabled: fc.constantFrom(true, true, true, false),
    caseSensitive: fc.constantFrom(null, true, false),
    matchWholeWords: fc.constantFrom(null, true, false),
    useRegex: fc.constantFrom(false, false, false, true),
    scanDepth: fc.constantFrom(null, null, 0, 1, 3),
    group: fc.constantFrom('', '', 'g', 'h', 'g,h'),
    groupOverride: fc.boolean(),
    groupWeight: fc.constantFrom(100, 50, 0),
    useGroupScoring: fc.constantFrom(null, true, false),
    probability: fc.constantFrom(100, 100, 50, 0),
    useProbability: fc.boolean(),
    delayUntilRecursion: fc.constantFrom(0, 0, 0, 1, 2),
    excludeRecursion: fc.boolean(),
    preventRecursion: fc.boolean(),
    order: fc.integer({ min: 0, max: 3 }).map((n) => n * 10),
    position: fc.integer({ min: 0, max: 7 }),
    outletName: fc.constantFrom('a', 'b'),
    content: fc.array(fc.constantFrom(...VOCAB, 'the', 'and'), { maxLength: 6 }).map((w) => w.join(' ')),
    matchPersonaDescription: fc.boolean(),
  },
  { requiredKeys: ['keys', 'content'] },
);

const arbMessage = fc.record({
  name: fc.constantFrom('User', 'Alice', 'Seraphina'),
  content: fc
    .array(fc.constantFrom(...VOCAB, 'the', 'and', 'liking', 'shred', 'icecream', 'cafés', 'xylophone'), { maxLength: 8 })
    .map((w) => w.join(' ')),
  role: fc.constantFrom('user' as const, 'assistant' as const),
});

describe('indexed engine vs naive baseline (property)', () => {
  test('same activations, outputs, budget use and group/probability/budget decisions', () => {
    fc.assert(
      fc.property(
        fc.array(arbEntry, { minLength: 1, maxLength: 12 }),
        fc.array(arbMessage, { minLength: 1, maxLength: 5 }),
        fc.record({
          scanDepth: fc.integer({ min: 0, max: 4 }),
          recursive: fc.boolean(),
          caseSensitive: fc.boolean(),
          matchWholeWords: fc.boolean(),
          minActivations: fc.integer({ min: 0, max: 3 }),
          maxRecursionSteps: fc.integer({ min: 0, max: 3 }),
          contextSize: fc.constantFrom(20, 60, 1000),
          budgetPercent: fc.constantFrom(25, 100),
          useGroupScoring: fc.boolean(),
          includeNames: fc.boolean(),
          insertionStrategy: fc.constantFrom('character-first' as const, 'global-first' as const, 'evenly' as const),
        }),
        fc.integer(),
        (entries, messages, settings, seed) => {
          const books = [
            { id: 'c', name: 'c', source: 'character' as const, entries: entries.map((e, i) => ({ ...e, uid: i })) as WorldInfoEntry[] },
            {
              id: 'g',
              name: 'g',
              source: 'global' as const,
              entries: entries.slice(0, 4).map((e, i) => ({ ...e, uid: i })) as WorldInfoEntry[],
            },
          ];
          const input = (strategy: 'indexed' | 'naive'): WorldInfoInput => ({
            books,
            messages,
            characterName: 'Seraphina',
            settings,
            tokenizer: words,
            random: createSeededRandom(seed),
            substituteMacros: (s) => s.replace('{{char}}', 'Seraphina'),
            injections: ['an injected dragon note'],
            globalScanData: { personaDescription: 'Persona loves ice cream' },
            strategy,
          });
          const a = runWorldInfo(input('indexed'));
          const b = runWorldInfo(input('naive'));
          expect(a.activated.map((x) => [x.entryKey, x.reason, x.pass])).toEqual(b.activated.map((x) => [x.entryKey, x.reason, x.pass]));
          expect(a.injections).toEqual(b.injections);
          expect([a.tokensUsed, a.budgetOverflowed, a.passes]).toEqual([b.tokensUsed, b.budgetOverflowed, b.passes]);
          const decided = new Set(['secondary_logic', 'inclusion_group', 'probability', 'budget', 'additional_keys', 'exclude_keys']);
          a.diagnostics.forEach((d, i) => {
            if (decided.has(d.reason)) expect([d.entryKey, d.reason]).toEqual([b.diagnostics[i]?.entryKey, b.diagnostics[i]?.reason]);
          });
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('timed-effect state input', () => {
  test('accepts the "entry key → endsAt" shorthand', () => {
    const r = run([{ uid: 0, keys: ['zzz'], content: 'x', sticky: 3 }], [user('a'), user('b')], { timedState: { sticky: { 'b.0': 4 } } });
    expect(r.activated.map((a) => a.reason)).toEqual(['sticky']);
    expect(r.nextTimedState.sticky['b.0']).toEqual({ startsAt: -1, endsAt: 4, protected: false });
    const later = run([{ uid: 0, keys: ['zzz'], content: 'x', sticky: 3 }], [user('a'), user('b'), user('c'), user('d')], {
      timedState: { sticky: { 'b.0': 4 } },
    });
    expect(later.activated).toEqual([]);
    expect(later.timedEffects).toEqual([{ type: 'sticky_ended', entryKey: 'b.0', startsAt: -1, endsAt: 4, reason: 'expired' }]);
  });
});

test('book ids must be unique', () => {
  const book = { id: 'same', name: 'x', source: 'global' as const, entries: [] };
  expect(() =>
    runWorldInfo({ books: [book, { ...book, source: 'character' }], messages: [], characterName: 'x', tokenizer: words }),
  ).toThrow(TypeError);
});

test('diagnostics of entries nothing matched still give the first text-independent reason, run by run', () => {
  const entries: WorldInfoEntry[] = [
    { uid: 0, keys: ['zzz'], content: 'a', enabled: false },
    { uid: 1, keys: ['zzz'], content: 'b', characterFilter: { names: ['Bob'] } },
    { uid: 2, keys: ['zzz'], content: 'c', delay: 3 },
    { uid: 3, keys: [], content: 'd' },
    { uid: 4, keys: ['zzz'], content: 'e', cooldown: 5 },
    { uid: 5, keys: ['zzz'], content: 'f' },
  ];
  const reasons = (r: WorldInfoResult) => r.diagnostics.map((d) => d.reason);
  const cooldown = { sticky: {}, cooldown: { 'b.4': { startsAt: 1, endsAt: 6, protected: false } } };
  expect(reasons(run(entries, [user('x'), user('y')], { timedState: cooldown }))).toEqual([
    'disabled',
    'character_filter',
    'delay',
    'no_keys',
    'cooldown',
    'no_match',
  ]);
  expect(reasons(run(entries, [user('x'), user('y'), user('z')], { characterName: 'Bob' }))).toEqual([
    'disabled',
    'no_match',
    'no_match',
    'no_keys',
    'no_match',
    'no_match',
  ]);
});

describe('case-insensitive regex prefilter', () => {
  const entries: WorldInfoEntry[] = [
    { uid: 0, keys: ['/stone(?:s|wall)/i'], content: 'A' },
    { uid: 1, keys: ['/kael\\w*\\s+(?:rises|falls)/i'], content: 'B' },
    { uid: 2, keys: ['K[ae]+L'], useRegex: true, content: 'C' },
  ];
  test.each([
    ['the STONEWALL', [0]],
    ['a stone', []],
    ['Kaelthas RISES and kAAl', [1, 2]],
    ['Kaelthas sleeps', [2]],
    ['a \u017ftones pile', [0]], // 'ſ' folds to 's' in RE2: the prefilter must not reject it
  ])('%s', (text, expected) => {
    for (const strategy of ['indexed', 'naive'] as const) {
      expect(run(entries, [user(text)], { strategy }).activated.map((a) => a.uid)).toEqual(expected);
    }
  });
});
