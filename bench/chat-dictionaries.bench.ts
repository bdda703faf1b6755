/**
 * Chat-dictionary engine speed: `processText` (re2js regexes, explanations, caps, probability) against a baseline
 * doing the same replacements with V8's native regexes and `replaceAll` (backtracking engine, no explanation).
 *
 *   ./node_modules/.bin/node bench/chat-dictionaries.bench.ts         (from the repo root, Node 24)
 *
 * Data (deterministic, seeded): one dictionary of 200 entries: 180 literals (invented words → other words; 60 of
 * them case-insensitive) and 20 regexes (word patterns with a group, case-insensitive, `$1` in the replacement).
 * Texts: a 2,000-character chat message (the completion path's case) and a 100,000-character document. About 5%
 * of the entries match. Up to 5 passes.
 * Measured: the engine without a budget, the engine with a 100,000-token budget (cl100k; the budget is checked after
 * every replacement: the whole text up to 4 KB, the words around the replacement beyond), and the baseline: p50/p95 over 200 runs (10 for the large text with a budget) after
 * warm-up. Engine and baseline give the same text (checked).
 * Output: a table and bench/results/chat-dictionaries.json.
 */
import { machine, summarize, table, writeResult } from './bench-kit.ts';
import { DEFAULT_ENTRY, processText, type DictionaryEntry, type EngineDictionary } from '../shared/dictionaries/index.ts';
import { getTokenizer, preloadTokenizer } from '../shared/tokenizer/index.ts';
import { createSeededRandom } from '../shared/worldinfo/index.ts';

const rnd = createSeededRandom(20261124);
const SYLLABLES = [
  'ka',
  'el',
  'thas',
  'mor',
  'wen',
  'dra',
  'ri',
  'on',
  'sil',
  'va',
  'lin',
  'or',
  'eth',
  'ba',
  'rak',
  'zu',
  'mi',
  'an',
  'gor',
  'ly',
];
const word = () => Array.from({ length: 2 + Math.floor(rnd() * 2) }, () => SYLLABLES[Math.floor(rnd() * SYLLABLES.length)]).join('');
const FILLER = 'the a of and to in is was that it for on with as his her they at be this from have or by one had not but what'.split(' ');

const entries: Array<{ entryId: string; entry: DictionaryEntry }> = [];
const literals: string[] = [];
for (let i = 0; i < 180; i++) {
  const pattern = `${word()}${i}`;
  literals.push(pattern);
  entries.push({
    entryId: `e${i}`,
    entry: { ...DEFAULT_ENTRY, pattern, replacement: `${word()}-${i}`, case_sensitive: i % 3 !== 0, priority: i },
  });
}
for (let i = 0; i < 20; i++) {
  const stem = `${word()}r${i}`;
  entries.push({
    entryId: `r${i}`,
    entry: {
      ...DEFAULT_ENTRY,
      type: 'regex',
      pattern: `\\b${stem}(\\w*)\\b`,
      replacement: `<$1:${i}>`,
      case_sensitive: false,
      priority: 180 + i,
    },
  });
  literals.push(`${stem}ing`);
}
const dictionary: EngineDictionary = { id: 'd', name: 'bench', entries };

function makeText(chars: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    const w = rnd() < 0.02 ? literals[Math.floor(rnd() * 10) * 20]! : FILLER[Math.floor(rnd() * FILLER.length)]!;
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const native = entries.map(({ entry }) =>
  entry.type === 'regex'
    ? new RegExp(entry.pattern, entry.case_sensitive ? 'g' : 'gi')
    : entry.case_sensitive
      ? null
      : new RegExp(escapeRegex(entry.pattern), 'gi'),
);

/** The same passes with V8's regexes: each entry replaces all its matches in turn; stop on a pass without change. */
function baseline(text: string): string {
  let current = text;
  for (let pass = 0; pass < 5; pass++) {
    let changed = false;
    entries.forEach(({ entry }, i) => {
      const re = native[i];
      const literal = () => entry.replacement;
      const next = !re
        ? current.replaceAll(entry.pattern, literal)
        : entry.type === 'regex'
          ? current.replace(re, entry.replacement)
          : current.replace(re, literal);
      if (next !== current) changed = true;
      current = next;
    });
    if (!changed) break;
  }
  return current;
}

function measure(fn: () => unknown, warmup: number, runs: number) {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

preloadTokenizer('openai-cl100k');
const counter = getTokenizer('openai-cl100k');
const rows: Record<string, unknown>[] = [];
const results: Record<string, unknown> = {};
for (const [label, chars, budgetRuns] of [
  ['2k message', 2_000, 200],
  ['100k document', 100_000, 10],
] as const) {
  const text = makeText(chars);
  const engine = () => processText({ text, dictionaries: [dictionary], countTokens: (t) => counter.count(t), random: Math.random });
  const budgeted = () =>
    processText({ text, dictionaries: [dictionary], tokenBudget: 100_000, countTokens: (t) => counter.count(t), random: Math.random });
  const out = engine();
  const expected = baseline(text);
  if (out.processedText !== expected) throw new Error(`${label}: engine and baseline disagree`);
  if (budgeted().processedText !== expected) throw new Error(`${label}: the budgeted run differs`);
  const e = measure(engine, 20, 200);
  const b = measure(budgeted, 3, budgetRuns);
  const n = measure(() => baseline(text), 20, 200);
  rows.push({ text: label, measure: 'engine (no budget)', ...e, replacements: out.replacements, iterations: out.iterations });
  rows.push({ text: label, measure: 'engine (100k-token budget, checked per replacement)', ...b });
  rows.push({ text: label, measure: 'baseline (V8 regex, replaceAll)', ...n });
  results[label] = { chars: text.length, replacements: out.replacements, iterations: out.iterations, engine: e, budgeted: b, baseline: n };
}
console.log(`Machine: ${machine()}`);
table(rows);
writeResult('chat-dictionaries', results);
