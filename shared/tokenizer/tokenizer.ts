/**
 * Token counting per model family (see `families.ts` for which family counts which model and `tokenizer-data.ts`
 * for where each family's data comes from). A family's data is loaded on its first count (LLaMA and Mistral take
 * ~0.1 s, LLaMA 3 and o200k ~1 s, cl100k and Claude ~0.5 s), so a process never pays for a family it does not use;
 * `preloadTokenizer()` at start-up moves that cost out of the first request.
 *
 * Two caches: each counter keeps the count of every pre-tokenized piece it has merged (a word, a CJK run), which is
 * what makes counting fast on new text (`PieceCountCache`: 200,000 pieces and 3.2 million characters, then emptied);
 * and an LRU of whole strings ≤ 4096 chars per family, for the texts counted again on every turn (lorebook entries,
 * card fields, old messages): 4096 strings, least recently used out first.
 *
 * Special-token text such as `<|endoftext|>` is counted as ordinary text by o200k and cl100k (never rejected: user
 * content may contain it and a budget must still be computable); LLaMA 3 and Claude count their special tokens as
 * one token each, as their own tokenizers (and SillyTavern) do.
 */
import { resolveTokenizerFamily, type TokenizerFamily, type TokenizerName } from './families.ts';
import { LruCache } from './lru.ts';
import { recountJoined, startJoinedCount, type JoinedTokenCount } from './joined-count.ts';
import { FAMILY_LOADERS, type FamilyCounter, type LoadedFamily } from './tokenizer-data.ts';

export interface TokenCounter {
  readonly family: TokenizerFamily;
  /** Number of tokens of `text` as the model would see it. */
  count(text: string): number;
  /** The count of a text that grows by appending, kept up to date cheaply (`joined-count.ts`). */
  startJoined?(): JoinedTokenCount;
}

/**
 * Strings longer than this are counted but not cached: with CACHE_ENTRIES, a family's cache holds at most 16 Mi
 * characters. A smaller character budget was tried (2 Mi): a dictionary run whose replacements undo each other
 * recounts the same few thousand texts pass after pass, and took 3 times as long.
 */
const CACHE_MAX_TEXT_LENGTH = 4096;
const CACHE_ENTRIES = 4096;

const loaded = new Map<LoadedFamily, FamilyCounter>();
const caches = new Map<TokenizerFamily, LruCache<string, number>>();

function counterFor(family: LoadedFamily): FamilyCounter {
  let counter = loaded.get(family);
  if (!counter) {
    counter = FAMILY_LOADERS[family]();
    loaded.set(family, counter);
  }
  return counter;
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
  return counterFor(family).count(text);
}

function cacheFor(family: TokenizerFamily): LruCache<string, number> {
  let cache = caches.get(family);
  if (!cache) {
    cache = new LruCache<string, number>(CACHE_ENTRIES);
    caches.set(family, cache);
  }
  return cache;
}

/** Counts the tokens of `text` with the tokenizer `name` (a family or an alias). */
export function countTokens(text: string, name: TokenizerName): number {
  const family = resolveTokenizerFamily(name);
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
export function getTokenizer(name: TokenizerName): TokenCounter {
  const family = resolveTokenizerFamily(name);
  let counter = counters.get(family);
  if (!counter) {
    counter = {
      family,
      count: (text: string) => countTokens(text, family),
      startJoined: () => (family === 'approximate' ? recountJoined(counter!) : startJoinedCount(counterFor(family))),
    };
    counters.set(family, counter);
  }
  return counter;
}

/** Loads the data of `name`'s family now (it is otherwise loaded on the first count). */
export function preloadTokenizer(name: TokenizerName): void {
  const family = resolveTokenizerFamily(name);
  if (family !== 'approximate') counterFor(family);
}

/** Whether the data of `name`'s family is in memory (for tests and health checks). */
export function isTokenizerLoaded(name: TokenizerName): boolean {
  const family = resolveTokenizerFamily(name);
  return family === 'approximate' || loaded.has(family);
}

/** Number of cached whole-string counts per family (for tests and metrics). */
export function tokenCountCacheSize(name: TokenizerName): number {
  return caches.get(resolveTokenizerFamily(name))?.size ?? 0;
}

/** Empties the per-family whole-string caches (the loaded data stays). */
export function clearTokenCountCache(): void {
  for (const cache of caches.values()) cache.clear();
}
