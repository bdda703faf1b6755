import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenCounter } from '../../tokenizer/index.ts';
import { ALL_QUIRKS, CASES } from './conformance-cases.ts';
import type { CaseBook, CaseEntry, CaseMessage, ConformanceCase, Expectation, SequenceCase } from './conformance-cases.ts';
import type { CompatibilityMode, QuirkName } from '../engine/types.ts';
import { exportToCharacterBook, exportToLorebookV3, exportToSillyTavern, importLorebook, runWorldInfo } from '../index.ts';
import type {
  ChatMessageInput,
  TimedEffectsState,
  WorldInfoBookInput,
  WorldInfoEntry,
  WorldInfoInput,
  WorldInfoResult,
  WorldInfoSettings,
} from '../index.ts';

/** Tokens = whitespace-separated words (deterministic, easy to reason about in the cases). */
export const wordCounter: TokenCounter = {
  family: 'approximate',
  count: (text: string) => text.split(/\s+/).filter(Boolean).length,
};

const BASE_SETTINGS: Partial<WorldInfoSettings> = {
  recursive: false,
  contextSize: 1_000_000,
  budgetPercent: 100,
};

function scriptedRandom(values: readonly number[] | undefined): () => number {
  let i = 0;
  return () => {
    const v = values?.[i++];
    if (v === undefined) throw new Error(`unexpected random() call #${i}`);
    return v;
  };
}

function toEntries(entries: CaseEntry[]): WorldInfoEntry[] {
  return entries.map((e, i) => {
    const uid = e.uid ?? i;
    return { ...e, uid, keys: e.keys ?? [], content: e.content ?? `E${uid}` } as WorldInfoEntry;
  });
}

function toBooks(c: ConformanceCase): WorldInfoBookInput[] {
  const books: CaseBook[] = c.books ?? [{ id: 'b', source: 'character', entries: c.entries ?? [] }];
  return books.map((b) => ({ id: b.id, name: `Book ${b.id}`, source: b.source, entries: toEntries(b.entries) }));
}

function toMessages(messages: CaseMessage[]): ChatMessageInput[] {
  return messages.map((m) =>
    typeof m === 'string'
      ? { name: 'User', content: m, role: 'user' as const }
      : { name: m[0], content: m[1], role: m[0] === 'User' ? ('user' as const) : ('assistant' as const) },
  );
}

const key = (k: number | string) => (typeof k === 'number' ? `b.${k}` : k.includes('.') ? k : `b.${k}`);

function check(result: WorldInfoResult, want: Expectation): void {
  const activated = result.activated.map((a) => a.entryKey);
  if (want.activated) expect(new Set(activated)).toEqual(new Set(want.activated.map(key)));
  if (want.activationOrder) expect(activated).toEqual(want.activationOrder.map(key));
  const diag = (k: string) => {
    const d = result.diagnostics.find((x) => x.entryKey === key(k));
    if (!d) throw new Error(`no diagnostic for ${key(k)}`);
    return d;
  };
  for (const [k, reason] of Object.entries(want.reasons ?? {})) expect([key(k), diag(k).reason]).toEqual([key(k), reason]);
  for (const [k, text] of Object.entries(want.details ?? {})) expect(diag(k).detail).toContain(text);
  const inj = result.injections;
  if (want.before !== undefined) expect(inj.before).toBe(want.before);
  if (want.after !== undefined) expect(inj.after).toBe(want.after);
  if (want.anTop) expect(inj.anTop).toEqual(want.anTop);
  if (want.anBottom) expect(inj.anBottom).toEqual(want.anBottom);
  if (want.examplesBefore) expect(inj.examplesBefore).toEqual(want.examplesBefore);
  if (want.examplesAfter) expect(inj.examplesAfter).toEqual(want.examplesAfter);
  if (want.atDepth) expect(inj.atDepth).toEqual(want.atDepth);
  if (want.outlets) expect(inj.outlets).toEqual(want.outlets);
  if (want.passes !== undefined) expect(result.passes).toBe(want.passes);
  if (want.tokensUsed !== undefined) expect(result.tokensUsed).toBe(want.tokensUsed);
  if (want.budget !== undefined) expect(result.budget).toBe(want.budget);
  if (want.budgetOverflowed !== undefined) expect(result.budgetOverflowed).toBe(want.budgetOverflowed);
  for (const [k, p] of Object.entries(want.activationPass ?? {})) {
    expect([key(k), result.activated.find((a) => a.entryKey === key(k))?.pass]).toEqual([key(k), p]);
  }
  for (const [k, source] of Object.entries(want.matchSource ?? {})) expect(diag(k).match?.source).toBe(source);
  if (want.events) expect(result.timedEffects.map((e) => `${e.type}:${e.entryKey}`)).toEqual(want.events);
}

function baseInput(c: ConformanceCase, mode: CompatibilityMode): Omit<WorldInfoInput, 'messages'> {
  return {
    books: toBooks(c),
    characterName: 'Seraphina',
    settings: { ...BASE_SETTINGS, ...c.settings, compatibility: mode },
    tokenizer: wordCounter,
    random: scriptedRandom(c.random),
    ...c.input,
  };
}

/** The named quirk on each listed entry, pointing at the other mode. */
function checkQuirks(result: WorldInfoResult, quirks: Record<string, QuirkName> | undefined, mode: CompatibilityMode): void {
  for (const [k, name] of Object.entries(quirks ?? {})) {
    const d = result.diagnostics.find((x) => x.entryKey === key(k));
    expect([key(k), d?.quirk, d?.other_mode]).toEqual([key(k), name, mode === 'sillytavern' ? 'corrected' : 'sillytavern']);
  }
}

/** Every entry the two modes decide differently carries a quirk in both runs. */
function checkEveryDifferenceNamed(st: WorldInfoResult, corrected: WorldInfoResult): void {
  const byKey = new Map(corrected.diagnostics.map((d) => [d.entryKey, d]));
  for (const d of st.diagnostics) {
    const o = byKey.get(d.entryKey);
    if (!o || o.status === d.status) continue;
    expect([d.entryKey, d.quirk !== undefined, o.quirk !== undefined]).toEqual([d.entryKey, true, true]);
    expect(d.other_outcome).toBe(o.status === 'activated' ? 'activated' : 'not_activated');
    expect(o.other_outcome).toBe(d.status === 'activated' ? 'activated' : 'not_activated');
  }
}

function runCase(c: ConformanceCase, strategy: 'indexed' | 'naive', mode: CompatibilityMode): void {
  const st = mode === 'sillytavern';
  const pairs: Array<[WorldInfoResult, WorldInfoResult]> = [];
  const once = (m: CompatibilityMode, messages: CaseMessage[], state?: TimedEffectsState, chatLength?: number) => {
    const input: WorldInfoInput = { ...baseInput(c, m), messages: toMessages(messages), strategy };
    if (state) input.timedState = state;
    if (chatLength !== undefined) input.chatLength = chatLength;
    return runWorldInfo(input);
  };
  if ('steps' in c) {
    let state: TimedEffectsState | undefined = (c as SequenceCase).initialState;
    c.steps.forEach((step, i) => {
      const result = once(mode, step.messages, state, step.chatLength);
      check(result, (st ? c.sillytavernSteps?.[i] : undefined) ?? step.expect);
      pairs.push([result, once(st ? 'corrected' : 'sillytavern', step.messages, state, step.chatLength)]);
      state = result.nextTimedState;
    });
  } else {
    const result = once(mode, c.messages);
    check(result, (st ? c.sillytavern : undefined) ?? c.expect);
    checkQuirks(result, c.quirks, mode);
    pairs.push([result, once(st ? 'corrected' : 'sillytavern', c.messages)]);
  }
  for (const [mine, other] of pairs) checkEveryDifferenceNamed(st ? mine : other, st ? other : mine);
}

describe('lorebook engine conformance', () => {
  test('the table has at least 60 cases with unique ids', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
  });

  test('every quirk has a case where the two modes differ and the diagnostic names it', () => {
    const named = new Set(CASES.flatMap((c) => Object.values(c.quirks ?? {})));
    expect([...ALL_QUIRKS].filter((q) => !named.has(q))).toEqual([]);
    for (const c of CASES) if (c.deviation) expect([c.id, Object.keys(c.quirks ?? {}).length > 0]).toEqual([c.id, true]);
  });

  describe.each(CASES.map((c) => [`${c.id}: ${c.title}${c.deviation ? ` [deviation: ${c.deviation}]` : ''}`, c] as const))(
    '%s',
    (_name, c) => {
      test('indexed engine, corrected mode', () => runCase(c, 'indexed', 'corrected'));
      test('indexed engine, sillytavern mode', () => runCase(c, 'indexed', 'sillytavern'));
      test('naive baseline gives the same activations', () => {
        // The baseline evaluates every entry in every pass; `not_reached` diagnostics exist only with the index.
        const strip = (cc: ConformanceCase): ConformanceCase => {
          const clean = (e: Expectation): Expectation => ({
            ...e,
            reasons: Object.fromEntries(Object.entries(e.reasons ?? {}).filter(([, r]) => r !== 'not_reached')),
          });
          return 'steps' in cc
            ? { ...cc, steps: cc.steps.map((s) => ({ ...s, expect: clean(s.expect) })) }
            : { ...cc, expect: clean(cc.expect), ...(cc.sillytavern ? { sillytavern: clean(cc.sillytavern) } : {}) };
        };
        runCase(strip(c), 'naive', 'corrected');
        runCase(strip(c), 'naive', 'sillytavern');
      });
    },
  );
});

// ------------------------------------------------------------------------------------------------ fixtures
const fixture = (name: string) => path.resolve(process.cwd(), 'test/fixtures', name);
const readJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, unknown>;

/** SillyTavern's `convertWorldInfoToCharacterBook` (server, 1.12.6): how a card embeds a world. */
function stWorldToCharacterBook(name: string, world: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.values(world.entries as Record<string, Record<string, unknown>>).map((e) => ({
    id: e.uid,
    keys: e.key,
    secondary_keys: e.keysecondary,
    comment: e.comment,
    content: e.content,
    constant: e.constant,
    selective: e.selective,
    insertion_order: e.order,
    enabled: !e.disable,
    position: e.position === 0 ? 'before_char' : 'after_char',
    use_regex: true,
    extensions: {
      ...((e.extensions as Record<string, unknown> | undefined) ?? {}),
      position: e.position,
      exclude_recursion: e.excludeRecursion,
      display_index: e.displayIndex,
      probability: e.probability ?? null,
      useProbability: e.useProbability ?? false,
      depth: e.depth ?? 4,
      selectiveLogic: e.selectiveLogic ?? 0,
      group: e.group ?? '',
      group_override: e.groupOverride ?? false,
      group_weight: e.groupWeight ?? null,
      prevent_recursion: e.preventRecursion ?? false,
      delay_until_recursion: e.delayUntilRecursion ?? false,
      scan_depth: e.scanDepth ?? null,
      match_whole_words: e.matchWholeWords ?? null,
      use_group_scoring: e.useGroupScoring ?? false,
      case_sensitive: e.caseSensitive ?? null,
      automation_id: e.automationId ?? '',
      role: e.role ?? 0,
      vectorized: e.vectorized ?? false,
      sticky: e.sticky ?? null,
      cooldown: e.cooldown ?? null,
      delay: e.delay ?? null,
    },
  }));
  return { entries, name };
}

const SHADOWFANG_CHAT: ChatMessageInput[] = [
  { name: 'Seraphina', content: 'You are safe now, traveler. Rest.', role: 'assistant' },
  { name: 'User', content: 'What were those beasts, the Shadowfang pack? And where am I?', role: 'user' },
];

function activateBook(entries: WorldInfoEntry[], messages: ChatMessageInput[], settings: Partial<WorldInfoSettings> = {}) {
  return runWorldInfo({
    books: [{ id: 'eldoria', name: 'Eldoria', source: 'character', entries }],
    messages,
    characterName: 'Seraphina',
    tokenizer: 'openai-cl100k',
    settings: { recursive: false, contextSize: 8192, ...settings },
  });
}

describe('Eldoria fixtures', () => {
  test.each(['lorebooks/Eldoria.json', 'lorebooks/Eldoria-2023-minimal-fields.json'])(
    '%s imports, activates on its keys, and exports back deep-equal',
    (file) => {
      const json = readJson(file);
      const result = importLorebook(json, { name: 'Eldoria' });
      expect(result.format).toBe('sillytavern');
      expect(result.warnings).toEqual([]);
      expect(result.entries).toHaveLength(4);
      expect(result.book.name).toBe('Eldoria');
      expect(exportToSillyTavern(result.book)).toEqual(json);

      const run = activateBook(result.entries, SHADOWFANG_CHAT);
      expect(run.activated.map((a) => a.uid)).toEqual([1]);
      const d = run.diagnostics.find((x) => x.uid === 1);
      expect(d?.match).toMatchObject({ key: 'shadowfang', source: 'message', messageIndex: 1, matchedText: 'Shadowfang' });
      expect(run.injections.before).toContain('The Shadowfangs are beasts of darkness');
      expect(run.injections.before).toContain('{{user}}: "What are Shadowfangs?"');

      const glade = activateBook(result.entries, [{ name: 'User', content: 'Is this glade a safe haven?', role: 'user' }]);
      expect(glade.activated.map((a) => a.uid)).toEqual([2]);
      expect(glade.diagnostics.find((x) => x.uid === 2)?.detail).toContain("key 'glade'");

      const recursive = activateBook(result.entries, [{ name: 'User', content: 'Tell me about your magic.', role: 'user' }], {
        recursive: true,
      });
      expect(recursive.activated[0]?.uid).toBe(3);
      expect(recursive.activated.length).toBeGreaterThan(1);
      expect(recursive.activated.slice(1).every((a) => a.pass > 1)).toBe(true);
    },
  );

  test('a card-embedded character_book (built from the fixture the way SillyTavern embeds it) round-trips', () => {
    const world = readJson('lorebooks/Eldoria.json');
    const book = stWorldToCharacterBook('Eldoria', world);
    const card = { spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Seraphina', character_book: book } };

    const result = importLorebook(card);
    expect(result.format).toBe('card');
    expect(result.warnings).toEqual([]);
    expect(result.book.name).toBe('Eldoria');
    expect(exportToCharacterBook(result.book)).toEqual(book);

    // SillyTavern ignores `use_regex` (it writes `true` on every entry): the keys stay plain text.
    expect(result.entries[0]?.useRegex).toBeUndefined();
    expect(result.entries[0]?.extra).toEqual({ use_regex: true, position: 'before_char' });
    const run = activateBook(result.entries, SHADOWFANG_CHAT);
    expect(run.activated.map((a) => a.uid)).toEqual([1]);

    // The same book as the V3 card (`ccv3` chunk) and as a standalone lorebook_v3 file.
    const v3card = { spec: 'chara_card_v3', spec_version: '3.0', data: { name: 'Seraphina', character_book: book } };
    expect(exportToCharacterBook(importLorebook(v3card).book)).toEqual(book);
    const v3 = exportToLorebookV3(result.book);
    expect(v3.spec).toBe('lorebook_v3');
    const again = importLorebook(v3);
    expect(again.format).toBe('lorebook_v3');
    expect(exportToLorebookV3(again.book)).toEqual(v3);
    expect(exportToCharacterBook(again.book)).toEqual({ ...book, extensions: {} });
  });

  test('the SillyTavern world and its card embedding activate the same entries', () => {
    const world = readJson('lorebooks/Eldoria.json');
    const fromWorld = importLorebook(world, { name: 'Eldoria' }).entries;
    const fromCard = importLorebook(stWorldToCharacterBook('Eldoria', world)).entries;
    const chat: ChatMessageInput[] = [
      { name: 'User', content: 'The forest is dark and full of monsters. Can your power protect this refuge?', role: 'user' },
    ];
    const a = activateBook(fromWorld, chat).activated.map((x) => x.uid);
    const b = activateBook(fromCard, chat).activated.map((x) => x.uid);
    expect(a).toEqual(b);
    expect(a).toEqual(expect.arrayContaining([0, 1, 2, 3]));
  });
});
