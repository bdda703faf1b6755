/**
 * A recorded differential case run through our engine, and both sides reduced to what SillyTavern's
 * `checkWorldInfo` returns (record-world-info-cases.ts): the activated entries in activation order and what each
 * prompt position receives. At-depth groups SillyTavern files under `depth: undefined` are never inserted by its
 * prompt builder (no chat depth equals it), so the comparison leaves them out on its side.
 */
import { createSeededRandom, importLorebook, runWorldInfo } from '../../shared/worldinfo/index.ts';
import type { CompatibilityMode, WorldInfoBookInput, WorldInfoResult } from '../../shared/worldinfo/index.ts';
import type { RecordedCase } from './record-world-info-cases.ts';
import type { WorldInfoCase } from './world-info-cases.ts';

export interface ComparableOutcome {
  activated: string[];
  before: string;
  after: string;
  anTop: string[];
  anBottom: string[];
  examplesBefore: string[];
  examplesAfter: string[];
  atDepth: Array<{ depth: number; role: number; content: string }>;
}

const ROLE_NUMBER: Record<string, number> = { system: 0, user: 1, assistant: 2 };

export function caseBooks(c: WorldInfoCase): WorldInfoBookInput[] {
  return c.books.map((b) => ({
    id: b.name,
    name: b.name,
    source: b.source,
    entries: importLorebook({ entries: Object.fromEntries(b.entries.map((e) => [String(e.uid), e])) }, { name: b.name }).entries,
  }));
}

export function runCase(c: WorldInfoCase, compatibility: CompatibilityMode): WorldInfoResult {
  const s = c.settings;
  return runWorldInfo({
    books: caseBooks(c),
    messages: c.messages.map((m) => ({ ...m, role: m.name === 'User' ? 'user' : 'assistant' })),
    characterName: 'Aria',
    tokenizer: 'llama',
    random: createSeededRandom(c.seed),
    settings: {
      scanDepth: s.depth,
      contextSize: s.contextSize,
      budgetPercent: s.budgetPercent,
      budgetCap: s.budgetCap,
      recursive: s.recursive,
      maxRecursionSteps: s.maxRecursionSteps,
      minActivations: s.minActivations,
      minActivationsDepthMax: s.minActivationsDepthMax,
      caseSensitive: s.caseSensitive,
      matchWholeWords: s.matchWholeWords,
      useGroupScoring: s.useGroupScoring,
      includeNames: true,
      insertionStrategy: 'character-first',
      compatibility,
    },
  });
}

export function engineOutcome(result: WorldInfoResult): ComparableOutcome {
  const i = result.injections;
  return {
    activated: result.activated.map((a) => `${a.bookName}.${a.uid}`),
    before: i.before,
    after: i.after,
    anTop: i.anTop,
    anBottom: i.anBottom,
    examplesBefore: i.examplesBefore,
    examplesAfter: i.examplesAfter,
    atDepth: i.atDepth.map((g) => ({ depth: g.depth, role: ROLE_NUMBER[g.role] ?? 0, content: g.content })),
  };
}

export function recordedOutcome(r: RecordedCase): ComparableOutcome {
  return {
    activated: r.activated.map((a) => `${a.world}.${a.uid}`),
    before: r.before,
    after: r.after,
    anTop: r.anTop,
    anBottom: r.anBottom,
    examplesBefore: r.examples.filter((e) => e.position === 0).map((e) => e.content),
    examplesAfter: r.examples.filter((e) => e.position === 1).map((e) => e.content),
    atDepth: r.atDepth.flatMap((g) => (g.depth === null ? [] : [{ depth: g.depth, role: g.role, content: g.entries.join('\n') }])),
  };
}
