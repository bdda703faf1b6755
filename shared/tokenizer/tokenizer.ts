/**
 * Token counting with a real BPE per model family (js-tiktoken), loaded lazily on first use, plus a small LRU
 * cache for repeated strings (lorebook entries, card fields and old messages are counted again on every turn).
 *
 * Counting is synchronous: the ranks are read with `require` from js-tiktoken's CommonJS build the first time a
 * family is used (o200k takes ~1 s to parse, cl100k ~0.5 s), so a process that never counts tokens never pays for
 * them. Call `preloadTokenizer()` at start-up to move that cost out of the first request.
 *
 * Special-token text such as `<|endoftext|>` is counted as ordinary text (never rejected): user content may contain
 * it and a budget must still be computable.
 */
import { createRequire } from 'node:module';
import type { TokenizerFamily } from './families.ts';
import { LruCache } from './lru.ts';
import { SentencePieceBpeCounter } from './sentencepiece-bpe.ts';

export interface TokenCounter {
  readonly family: TokenizerFamily;
  /** Number of tokens of `text` as the model would see it. */
  count(text: string): number;
}

interface TiktokenLike {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
}

interface TiktokenModule {
  Tiktoken: new (ranks: unknown) => TiktokenLike;
}

const RANK_MODULES: Record<'openai-o200k' | 'openai-cl100k', string> = {
  'openai-o200k': 'js-tiktoken/ranks/o200k_base',
  'openai-cl100k': 'js-tiktoken/ranks/cl100k_base',
};

/** Strings longer than this are counted but not cached (bounds the cache's memory to ~CACHE_ENTRIES × this). */
const CACHE_MAX_TEXT_LENGTH = 4096;
const CACHE_ENTRIES = 4096;

const encoders = new Map<TokenizerFamily, TiktokenLike>();
const caches = new Map<TokenizerFamily, LruCache<string, number>>();
let requireFn: NodeJS.Require | undefined;

let llamaCounter: SentencePieceBpeCounter | undefined;

/** The LLaMA 1/2 vocabulary ships in llama-tokenizer-js (an ES module, loaded with `require` on first use). */
function loadLlama(): SentencePieceBpeCounter {
  if (llamaCounter) return llamaCounter;
  requireFn ??= createRequire(import.meta.url);
  const module = requireFn('llama-tokenizer-js') as { default: { vocabById: string[] } };
  llamaCounter = new SentencePieceBpeCounter(module.default.vocabById);
  return llamaCounter;
}

function loadEncoder(family: 'openai-o200k' | 'openai-cl100k'): TiktokenLike {
  const existing = encoders.get(family);
  if (existing) return existing;
  requireFn ??= createRequire(import.meta.url);
  const lite = requireFn('js-tiktoken/lite') as TiktokenModule;
  const ranksModule = requireFn(RANK_MODULES[family]) as { default?: unknown };
  const ranks = ranksModule.default ?? ranksModule;
  const encoder = new lite.Tiktoken(ranks);
  encoders.set(family, encoder);
  return encoder;
}

const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x11ff], // Hangul Jamo
  [0x2e80, 0x2fdf], // CJK radicals
  [0x3000, 0x303f], // CJK symbols and punctuation
  [0x3040, 0x30ff], // Hiragana, Katakana
  [0x3100, 0x31ff], // Bopomofo, Hangul compatibility jamo, Katakana ext.
  [0x3400, 0x4dbf], // CJK ext. A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xac00, 0xd7af], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xff00, 0xffef], // Half/full width forms
];

function isCjk(code: number): boolean {
  for (const [lo, hi] of CJK_RANGES) if (code >= lo && code <= hi) return true;
  return code >= 0x20000 && code <= 0x3134f;
}

/**
 * The `approximate` family: ceil(ASCII chars / 4 + CJK/kana/hangul chars × 1 + other non-ASCII chars / 2).
 * Counted per code point. 0 for the empty string.
 */
export function approximateTokenCount(text: string): number {
  let ascii = 0;
  let cjk = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) ?? 0;
    if (code > 0xffff) i++;
    if (code < 0x80) ascii++;
    else if (isCjk(code)) cjk++;
    else other++;
  }
  return Math.ceil(ascii / 4 + cjk + other / 2);
}

function rawCount(text: string, family: TokenizerFamily): number {
  if (text === '') return 0;
  if (family === 'approximate') return approximateTokenCount(text);
  if (family === 'llama') return loadLlama().count(text);
  return loadEncoder(family).encode(text, [], []).length;
}

function cacheFor(family: TokenizerFamily): LruCache<string, number> {
  let cache = caches.get(family);
  if (!cache) {
    cache = new LruCache<string, number>(CACHE_ENTRIES);
    caches.set(family, cache);
  }
  return cache;
}

/** Counts the tokens of `text` with the tokenizer of `family`. Repeated strings (≤ 4096 chars) come from an LRU cache. */
export function countTokens(text: string, family: TokenizerFamily): number {
  if (text.length > CACHE_MAX_TEXT_LENGTH) return rawCount(text, family);
  const cache = cacheFor(family);
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const n = rawCount(text, family);
  cache.set(text, n);
  return n;
}

const counters = new Map<TokenizerFamily, TokenCounter>();

/** A reusable counter object for one family (what the lorebook engine and prompt assembly take). */
export function getTokenizer(family: TokenizerFamily): TokenCounter {
  let counter = counters.get(family);
  if (!counter) {
    counter = { family, count: (text: string) => countTokens(text, family) };
    counters.set(family, counter);
  }
  return counter;
}

/** Loads the ranks of `family` now (they are otherwise loaded on the first count). */
export function preloadTokenizer(family: TokenizerFamily): void {
  if (family === 'llama') loadLlama();
  else if (family !== 'approximate') loadEncoder(family);
}

/** Whether the ranks of `family` are in memory (for tests and health checks). */
export function isTokenizerLoaded(family: TokenizerFamily): boolean {
  if (family === 'llama') return llamaCounter !== undefined;
  return family === 'approximate' || encoders.has(family);
}

/** Number of cached counts per family (for tests and metrics). */
export function tokenCountCacheSize(family: TokenizerFamily): number {
  return caches.get(family)?.size ?? 0;
}

/** Empties the per-family count caches (the loaded ranks stay). */
export function clearTokenCountCache(): void {
  for (const cache of caches.values()) cache.clear();
}
