import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runWorldInfo } from '../index.ts';
import type { ChatMessageInput, CompatibilityMode, WorldInfoEntry, WorldInfoResult } from '../index.ts';
import type { TokenCounter } from '../../tokenizer/index.ts';
import { RISUAI_CASES, RISUAI_QUIRKS } from './risuai-cases.ts';
import type { RisuaiCase, RisuaiExpectation } from './risuai-cases.ts';

const PROFILES: CompatibilityMode[] = ['sillytavern', 'corrected', 'risuai'];

/** Tokens = whitespace-separated words (as in the conformance cases). */
const wordCounter: TokenCounter = { family: 'approximate', count: (text: string) => text.split(/\s+/).filter(Boolean).length };

function scriptedRandom(values: readonly number[] | undefined): () => number {
  let i = 0;
  return () => {
    const v = values?.[i++];
    if (v === undefined) throw new Error(`unexpected random() call #${i}`);
    return v;
  };
}

function messagesOf(c: RisuaiCase): ChatMessageInput[] {
  return c.messages.map((m) =>
    typeof m === 'string' ? { name: 'User', content: m, role: 'user' as const } : { name: m[0], content: m[1], role: 'assistant' as const },
  );
}

function run(c: RisuaiCase, mode: CompatibilityMode): WorldInfoResult {
  const entries = c.entries.map(
    (e, i) => ({ ...e, uid: e.uid ?? i, keys: e.keys ?? [], content: e.content ?? `E${e.uid ?? i}` }) as WorldInfoEntry,
  );
  return runWorldInfo({
    books: [{ id: 'b', name: 'Book b', source: 'character', entries }],
    messages: messagesOf(c),
    characterName: 'Seraphina',
    settings: { recursive: false, contextSize: 1_000_000, budgetPercent: 100, ...c.settings, compatibility: mode },
    tokenizer: wordCounter,
    random: scriptedRandom(c.random),
    ...(c.greetingIndex !== undefined ? { greetingIndex: c.greetingIndex } : {}),
    ...(c.timedState ? { timedState: c.timedState } : {}),
    ...(c.chatLength !== undefined ? { chatLength: c.chatLength } : {}),
  });
}

function check(result: WorldInfoResult, want: RisuaiExpectation): void {
  expect(new Set(result.activated.map((a) => a.entryKey))).toEqual(new Set(want.activated.map((u) => `b.${u}`)));
  for (const [uid, reason] of Object.entries(want.reasons ?? {})) {
    expect([uid, result.diagnostics.find((d) => d.entryKey === `b.${uid}`)?.reason]).toEqual([uid, reason]);
  }
  const inj = result.injections;
  if (want.before !== undefined) expect(inj.before).toBe(want.before);
  if (want.atDepth) expect(inj.atDepth).toEqual(want.atDepth);
  if (want.outlets) expect(inj.outlets).toEqual(want.outlets);
  if (want.end) expect(inj.end).toEqual(want.end);
  if (want.promptParts) expect(inj.promptParts).toEqual(want.promptParts);
}

describe('RisuAI decorators and the risuai profile (table-driven)', () => {
  test('every RisuAI quirk has a case whose diagnostic names it', () => {
    const named = new Set(RISUAI_CASES.flatMap((c) => Object.values(c.quirks ?? {})));
    expect(RISUAI_QUIRKS.filter((q) => !named.has(q))).toEqual([]);
  });

  test('every case with a quirk is listed in DEVIATIONS.md', () => {
    const deviations = readFileSync(path.join(import.meta.dirname, '..', 'DEVIATIONS.md'), 'utf8');
    for (const c of RISUAI_CASES)
      if (c.quirks)
        expect([
          c.id,
          deviations.includes(`(case ${c.id})`) || deviations.includes(`${c.id},`) || deviations.includes(`, ${c.id})`),
        ]).toEqual([c.id, true]);
  });

  describe.each(RISUAI_CASES.map((c) => [`${c.id} ${c.subject}: ${c.title}`, c] as const))('%s', (_name, c) => {
    test.each(PROFILES)('%s', (mode) => {
      const result = run(c, mode);
      expect(result.compatibility).toBe(mode);
      check(result, mode === 'risuai' ? (c.risuai ?? c.expect) : c.expect);
      if (mode === 'risuai') {
        for (const [uid, quirk] of Object.entries(c.quirks ?? {})) {
          const d = result.diagnostics.find((x) => x.entryKey === `b.${uid}`);
          expect([uid, d?.quirk, d?.other_mode]).toEqual([uid, quirk, 'corrected']);
        }
      }
    });
  });

  test('a risuai diagnostic says what the spec would have done', () => {
    const c = RISUAI_CASES.find((x) => x.id === 'RA7') as RisuaiCase;
    const d = run(c, 'risuai').diagnostics.find((x) => x.entryKey === 'b.2');
    expect(d).toMatchObject({
      status: 'activated',
      quirk: 'risuai_budget_skips',
      other_mode: 'corrected',
      other_outcome: 'not_activated',
      other_reason: 'budget',
    });
    const placed = run(RISUAI_CASES.find((x) => x.id === 'RD10') as RisuaiCase, 'risuai').diagnostics[0];
    expect(placed).toMatchObject({ other_outcome: 'placed_differently', other_placement: 'at_depth 4' });
  });

  test('the risuai profile records the "matched before" flag under the content key', () => {
    const c = RISUAI_CASES.find((x) => x.id === 'RA8') as RisuaiCase;
    const fresh = run({ ...c, timedState: {} }, 'risuai');
    expect(fresh.timedEffects.map((e) => e.type)).toEqual(['match_recorded']);
    expect(fresh.timedEffects[0]?.entryKey).toMatch(/^content:/);
  });
});
