/**
 * What a CPU task will cost, estimated in O(input) before it runs: the pool keeps small tasks inline (the hand-off
 * to a thread costs more than they do), and the routes refuse inputs whose worst case no legitimate use reaches.
 *
 * - World info: plain keys are found by one Aho–Corasick pass whatever their number, but every regex key (written
 *   `/…/`, a `use_regex` entry's keys, a key with a macro) runs over every scanned text: the work is regex keys ×
 *   scanned characters (messages, and the entries' contents that recursion scans again).
 * - Chat dictionaries: every enabled entry looks at the text in every pass: entries × passes × characters; with a
 *   token budget each replacement of a text under 4 KB (`EXACT_RECOUNT_CHARS`) recounts it whole, so a budgeted run
 *   is never inline.
 */
import { LruCache } from '../../shared/tokenizer/lru.ts';
import { isRegexKey } from '../../shared/worldinfo/safe-regex.ts';
import type { WorldInfoEntry } from '../../shared/worldinfo/entry.ts';
import type { CpuTaskRequest } from './cpu-tasks.ts';

/**
 * Below these a task runs on the calling thread: a few milliseconds at most (regexes run at ~50 M key-characters/s
 * on the project's machine; a 200-entry index builds in ~5 ms).
 */
export const INLINE_LIMITS = {
  /** World info: entries in all books, characters scanned, regex keys × characters. */
  worldInfoEntries: 200,
  worldInfoChars: 16_384,
  worldInfoRegexWork: 250_000,
  /** Chat dictionaries without a token budget: entries × passes × characters. */
  dictionaryWork: 250_000,
  /** Card files. */
  cardBytes: 64 * 1024,
  /** Prompt assembly: characters (history, new turn, lorebook contents), and lorebook entries. */
  promptChars: 32_768,
  promptEntries: 200,
} as const;

export interface ScanCost {
  /** Regex keys (and macro keys) of the enabled entries. */
  regexKeys: number;
  entries: number;
  /** Characters of the messages and of the entries' contents (recursion scans those). */
  chars: number;
  /** regexKeys × chars. */
  work: number;
}

const isCostlyKey = (key: string, useRegex: boolean) => useRegex || key.includes('{{') || (key.startsWith('/') && isRegexKey(key.trim()));

type CostedBook = { id?: string; version?: string | number | undefined; entries?: readonly WorldInfoEntry[] | undefined };

/** Per book version: its regex keys and content characters (a 10,000-entry book takes 1–3 ms to walk). */
const bookCosts = new LruCache<string, { regexKeys: number; entries: number; chars: number }>(256);

function bookCost(book: CostedBook): { regexKeys: number; entries: number; chars: number } {
  const key = book.id !== undefined && book.version !== undefined ? `${book.id}@${book.version}` : undefined;
  const cached = key !== undefined ? bookCosts.get(key) : undefined;
  if (cached) return cached;
  const cost = { regexKeys: 0, entries: 0, chars: 0 };
  for (const entry of book.entries ?? []) {
    cost.entries++;
    if (entry.enabled === false) continue;
    cost.chars += entry.content.length;
    const useRegex = entry.useRegex === true;
    for (const k of entry.keys) if (isCostlyKey(k, useRegex)) cost.regexKeys++;
    for (const k of entry.secondaryKeys ?? []) if (isCostlyKey(k, useRegex)) cost.regexKeys++;
  }
  if (key !== undefined) bookCosts.set(key, cost);
  return cost;
}

export function worldInfoScanCost(books: readonly CostedBook[], texts: readonly string[]): ScanCost {
  let regexKeys = 0;
  let entries = 0;
  let chars = 0;
  for (const text of texts) chars += text.length;
  for (const book of books) {
    const cost = bookCost(book);
    regexKeys += cost.regexKeys;
    entries += cost.entries;
    chars += cost.chars;
  }
  return { regexKeys, entries, chars, work: regexKeys * chars };
}

export interface DictionaryCost {
  entries: number;
  chars: number;
  passes: number;
  /** entries × passes × characters. */
  work: number;
}

export function dictionaryCost(input: {
  text: string;
  dictionaries: readonly { entries: readonly { entry: { enabled: boolean } }[] }[];
  maxIterations?: number;
}): DictionaryCost {
  let entries = 0;
  for (const d of input.dictionaries) for (const e of d.entries) if (e.entry.enabled) entries++;
  const passes = input.maxIterations ?? 5;
  return { entries, chars: input.text.length, passes, work: entries * passes * Math.max(input.text.length, 1) };
}

/** Whether the task is small enough to run on the calling thread. */
export function runsInline(request: CpuTaskRequest): boolean {
  switch (request.task) {
    case 'worldInfo': {
      const cost = worldInfoScanCost(
        request.input.books,
        request.input.messages.map((m) => m.content),
      );
      return (
        cost.entries <= INLINE_LIMITS.worldInfoEntries &&
        cost.chars <= INLINE_LIMITS.worldInfoChars &&
        cost.work <= INLINE_LIMITS.worldInfoRegexWork
      );
    }
    case 'dictionaries': {
      const budgeted = request.input.tokenBudget != null || request.input.dictionaries.some((d) => d.defaultTokenBudget != null);
      // A budgeted run over a short text recounts it whole per replacement (up to EXACT_RECOUNT_CHARS each).
      if (budgeted) return false;
      return dictionaryCost(request.input).work <= INLINE_LIMITS.dictionaryWork;
    }
    case 'parseCard':
      return request.input.bytes.byteLength <= INLINE_LIMITS.cardBytes;
    case 'assemblePrompt': {
      const input = request.input;
      const texts = input.history.map((m) => m.content);
      if (input.userTurn) texts.push(input.userTurn.content);
      const cost = worldInfoScanCost(input.worldInfo?.books ?? [], texts);
      return (
        cost.chars <= INLINE_LIMITS.promptChars &&
        cost.entries <= INLINE_LIMITS.promptEntries &&
        cost.work <= INLINE_LIMITS.worldInfoRegexWork
      );
    }
  }
}
