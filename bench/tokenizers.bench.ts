/**
 * Token counting speed per family, against the reference implementation of each family's package in the same run.
 *
 *   node bench/tokenizers.bench.ts            (Node 24: ./node_modules/.bin/node bench/tokenizers.bench.ts)
 *
 * Text: ~1 MB of generated prose (seeded), words drawn from syllables so that most words are new (70 % Latin
 * script, 20 % Cyrillic, 10 % CJK runs without spaces, punctuation and newlines), which defeats caches more than
 * real text does. For each family:
 *  - load: the first count (the family's data read from its package);
 *  - cold: the first 1 MB text (every piece cache empty);
 *  - steady: a second, different 1 MB text from the same generator (what a running service sees);
 *  - baseline: the package's own encoder (js-tiktoken for o200k / cl100k / Claude ranks; llama-tokenizer-js,
 *    mistral-tokenizer-js, llama3-tokenizer-js) on the first 256 KB of the same text, and whether its count agrees.
 * Rates are MB per CPU-second of this process (`process.cpuUsage`), i.e. per core whatever else the machine runs,
 * with the cold wall-clock rate beside them. Target: cold and steady ≥ 1 MB per CPU-second. Results: a table on
 * stdout and bench/results/tokenizers.json.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { countTokens, TOKENIZER_FAMILIES, type TokenizerFamily } from '../shared/tokenizer/index.ts';
import { table, writeResult } from './bench-kit.ts';

const require = createRequire(import.meta.url);
const TARGET_MB_PER_S = 1;
const BASELINE_BYTES = 256 * 1024;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const LATIN = [
  'ka',
  'ra',
  'the',
  'on',
  'dra',
  'gon',
  'sil',
  'ver',
  'mor',
  'an',
  'is',
  'el',
  'un',
  'der',
  'qu',
  'ix',
  'ost',
  'bel',
  'wyn',
  'tha',
];
const CYRILLIC = ['дра', 'кон', 'зо', 'ло', 'то', 'ле', 'са', 'ми', 'ро', 'вый', 'щий', 'ёж', 'ка', 'ны'];
const CJK = [...'龍金眠森守護者光影風火水山川月星夜朝の日は本語を見た'];
const PUNCT = [', ', '. ', '! ', '? ', '; ', ' — ', '.\n', '.\n\n'];

function makeText(seed: number, bytes: number): string {
  const rnd = seeded(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const r = rnd();
    let word = '';
    if (r < 0.7) {
      const n = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < n; i++) word += pick(LATIN);
      if (rnd() < 0.1) word = word[0]!.toUpperCase() + word.slice(1);
    } else if (r < 0.9) {
      const n = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < n; i++) word += pick(CYRILLIC);
    } else {
      const n = 2 + Math.floor(rnd() * 12);
      for (let i = 0; i < n; i++) word += pick(CJK);
    }
    word += rnd() < 0.12 ? pick(PUNCT) : ' ';
    parts.push(word);
    size += Buffer.byteLength(word);
  }
  return parts.join('');
}

type Reference = (text: string) => number;

function reference(family: TokenizerFamily): Reference | undefined {
  const tiktoken = (ranks: unknown, allowed: 'all' | string[], normalize: boolean): Reference => {
    const { Tiktoken } = require('js-tiktoken/lite') as {
      Tiktoken: new (r: unknown) => { encode(t: string, a: unknown, d: unknown): number[] };
    };
    const encoder = new Tiktoken(ranks);
    return (text) => encoder.encode(normalize ? text.normalize('NFKC') : text, allowed, []).length;
  };
  const ranks = (m: string) => {
    const mod = require(m) as { default?: unknown };
    return mod.default ?? mod;
  };
  switch (family) {
    case 'o200k':
      return tiktoken(ranks('js-tiktoken/ranks/o200k_base'), [], false);
    case 'cl100k':
      return tiktoken(ranks('js-tiktoken/ranks/cl100k_base'), [], false);
    case 'claude':
      return tiktoken(require('@anthropic-ai/tokenizer/claude.json'), 'all', true);
    case 'llama': {
      const t = (require('llama-tokenizer-js') as { default: { encode(s: string, bos: boolean, space: boolean): number[] } }).default;
      return (text) => t.encode(text, false, true).length;
    }
    case 'mistral': {
      const t = (require('mistral-tokenizer-js') as { default: { encode(s: string, bos: boolean, space: boolean): number[] } }).default;
      return (text) => t.encode(text, false, true).length;
    }
    case 'llama3': {
      const t = (require('llama3-tokenizer-js') as { default: { encode(s: string, o: object): number[] } }).default;
      return (text) => t.encode(text, { bos: false, eos: false }).length;
    }
    default:
      return undefined;
  }
}

/** Wall time and this process's CPU time (user + system): the CPU rate is the per-core speed on a shared machine. */
function timed<T>(run: () => T): { value: T; ms: number; cpuMs: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = run();
  const used = process.cpuUsage(cpu);
  return { value, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

const first = makeText(1, 1_000_000);
const second = makeText(2, 1_000_000);
const firstMb = Buffer.byteLength(first) / 1e6;
const secondMb = Buffer.byteLength(second) / 1e6;
const baselineText = first.slice(0, BASELINE_BYTES);
const baselineMb = Buffer.byteLength(baselineText) / 1e6;
const rate = (mb: number, ms: number) => Math.round((mb / (ms / 1000)) * 100) / 100;

const rows: Record<string, unknown>[] = [];
for (const family of TOKENIZER_FAMILIES) {
  const load = timed(() => countTokens('warm up', family));
  const cold = timed(() => countTokens(first, family));
  const steady = timed(() => countTokens(second, family));
  const ref = reference(family);
  const base = ref ? timed(() => ref(baselineText)) : undefined;
  const ours = countTokens(baselineText, family);
  rows.push({
    family,
    load_ms: Math.round(load.ms),
    tokens: cold.value,
    cold_mb_cpu_s: rate(firstMb, cold.cpuMs),
    steady_mb_cpu_s: rate(secondMb, steady.cpuMs),
    cold_mb_wall_s: rate(firstMb, cold.ms),
    baseline_mb_cpu_s: base ? rate(baselineMb, base.cpuMs) : null,
    baseline_agrees: base ? base.value === ours : null,
    target_met: rate(firstMb, cold.cpuMs) >= TARGET_MB_PER_S && rate(secondMb, steady.cpuMs) >= TARGET_MB_PER_S,
  });
}
table(rows);
const load = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
console.log(`text: ${firstMb.toFixed(2)} MB + ${secondMb.toFixed(2)} MB, baseline on ${baselineMb.toFixed(2)} MB; load average ${load}`);
writeResult('tokenizers', { rows, load });
