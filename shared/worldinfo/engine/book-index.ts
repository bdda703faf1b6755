/**
 * Per-book index, built once per book version and reused across turns:
 * - every entry with SillyTavern's defaults applied, its decorators parsed and its keys classified;
 * - one Aho–Corasick automaton over all plain keys of the book (primary, secondary and decorator keys), folded
 *   for case-insensitive search; case-sensitive and whole-word checks happen at each occurrence;
 * - for each plain key, the entries that use it as a primary key (to turn key occurrences into candidates);
 * - the entries that must be looked at whatever the text (constant, `@@activate`, regex or macro keys).
 * The index does not depend on the engine settings.
 */
import { LruCache } from '../../tokenizer/lru.ts';
import { parseDecorators } from '../decorators.ts';
import type { EntryDecorators } from '../decorators.ts';
import { MATCH_SOURCE_FIELDS, WI_POSITION, resolveEntryDefaults } from '../entry.ts';
import type { ResolvedEntry, WorldInfoEntry } from '../entry.ts';
import { parseRegexKey, requiredLiterals, tryCompileSafeRegex } from '../safe-regex.ts';
import { AhoCorasick } from './aho-corasick.ts';
import type { EntryDiagnostic } from './types.ts';
import { foldString } from './text.ts';

/** How one key of one entry is matched. */
export type KeyRef =
  /** Plain text, found through the automaton (`keyId` indexes `BookIndex.keyText`). */
  | { kind: 'plain'; text: string; keyId: number }
  /**
   * Written as `/pattern/flags`. `error` when it does not compile (the key never matches). `literalIds`: for the
   * case-insensitive prefilter, the required literals (`requiredLiterals`) registered as plain keys, so that the
   * automaton finds them in the same pass as the keys (each inner list: alternatives, one must occur).
   */
  | {
      kind: 'regex';
      text: string;
      pattern: string;
      flags: string;
      error?: string;
      literalIds?: number[][];
      /** JavaScript's `RegExp` rejects it too: SillyTavern then matches the key as plain text. */
      plainInSillyTavern?: boolean;
    }
  /** A bare key of a `useRegex` entry: a pattern compiled with `i` unless the entry is case-sensitive. */
  | { kind: 'bare_regex'; text: string; error?: string; literalIds?: number[][] }
  /** Contains a macro (`{{…}}`): substituted at scan time, then matched as plain text or regex. */
  | { kind: 'dynamic'; text: string }
  /** Empty after trimming: never matches. */
  | { kind: 'empty'; text: string };

export interface PreparedEntry {
  local: number;
  entry: WorldInfoEntry;
  resolved: ResolvedEntry;
  /** `<uid>` or `#<index>` when the entry has no uid. */
  uidKey: string;
  decorators: EntryDecorators;
  /** Content without the decorator lines (macros not yet substituted). */
  content: string;
  primary: KeyRef[];
  secondary: KeyRef[];
  additional: KeyRef[][];
  exclude: KeyRef[];
  /** `@@exclude_keys_all` lists. */
  excludeAll: KeyRef[][];
  /** Bit mask of the match sources (`MATCH_SOURCE_BITS`). */
  matchSourceMask: number;
  /** Regex keys that do not compile, as written. */
  invalidRegexKeys: string[];
  /** cyrb53 of the entry's JSON, kept in timed-effect records for information ('' for entries without them). */
  hash: string;
  /** `@@scan_depth` or `scanDepth`, else null (global). */
  scanDepth: number | null;
  /** Needs a look in every pass whatever the text (constant, decorators, non-plain primary keys). */
  alwaysCheck: boolean;
  /** Disabled, filtered, triggers, delay or delay-until-recursion: a text-independent check can skip it. */
  hasStaticGate: boolean;
}

/** Bits for the scan-source kinds other than chat messages. */
export const KIND_INJECTION = 1 << 0;
export const KIND_RECURSION = 1 << 1;
export const MATCH_SOURCE_BITS: Record<(typeof MATCH_SOURCE_FIELDS)[number], number> = {
  matchPersonaDescription: 1 << 2,
  matchCharacterDescription: 1 << 3,
  matchCharacterPersonality: 1 << 4,
  matchCharacterDepthPrompt: 1 << 5,
  matchScenario: 1 << 6,
  matchCreatorNotes: 1 << 7,
};

export interface BookIndex {
  readonly entries: readonly PreparedEntry[];
  /** uidKey → local index. */
  readonly byUidKey: ReadonlyMap<string, number>;
  /** Distinct plain keys (trimmed, as written). */
  readonly keyText: readonly string[];
  readonly automaton: AhoCorasick;
  /** Pattern id (distinct folded key) → key ids with that folding. */
  readonly patternKeys: readonly (readonly number[])[];
  /** Key id → local indexes of enabled entries using it as a primary key. */
  readonly primaryUsers: readonly (readonly number[])[];
  /** Enabled entries to look at in every pass. */
  readonly alwaysCheck: readonly number[];
  /** Distinct delay-until-recursion levels of enabled entries, ascending. */
  readonly delayLevels: readonly number[];
  /** The same over all entries, disabled ones included (SillyTavern 1.12.6 collects its levels that way). */
  readonly allDelayLevels: readonly number[];
  /** Some entry is at depth by its `position` without a `depth` field. */
  readonly hasDepthlessAtDepth: boolean;
  /** Largest per-entry scan depth (0 if none). */
  readonly maxEntryScanDepth: number;
  /** Time taken to build, in milliseconds. */
  readonly buildMs: number;
  /** Entry keys (`<bookId>.<uidKey>`) per book id, filled on first use. */
  readonly entryKeyCache: Map<string, readonly string[]>;
  /**
   * Per book id: the diagnostics an entry gets when nothing about it depends on the run (disabled, no keys, no key
   * occurred), as frozen objects shared between runs; `undefined` for entries whose text-independent checks depend
   * on the run (character filter, triggers, delay). Filled on first use.
   */
  readonly diagnosticTemplates: Map<string, { templates: Array<Readonly<EntryDiagnostic> | undefined>; dynamic: number[] }>;
}

/** cyrb53 (53-bit string hash), as a base-36 string. */
export function hashString(str: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** `<bookId>.<uidKey>` for every entry of the index (cached on the index). */
export function entryKeysFor(index: BookIndex, bookId: string): readonly string[] {
  let keys = index.entryKeyCache.get(bookId);
  if (!keys) {
    keys = index.entries.map((p) => `${bookId}.${p.uidKey}`);
    index.entryKeyCache.set(bookId, keys);
  }
  return keys;
}

export function entryUidKey(entry: WorldInfoEntry, local: number): string {
  return entry.uid !== undefined ? String(entry.uid) : `#${local}`;
}

class KeyTable {
  readonly keyText: string[] = [];
  readonly byText = new Map<string, number>();
  readonly primaryUsers: number[][] = [];

  id(text: string): number {
    let id = this.byText.get(text);
    if (id === undefined) {
      id = this.keyText.length;
      this.keyText.push(text);
      this.byText.set(text, id);
      this.primaryUsers.push([]);
    }
    return id;
  }
}

function literalIdsFor(pattern: string, table: KeyTable): number[][] | undefined {
  const requirements = requiredLiterals(pattern);
  if (requirements.length === 0) return undefined;
  return requirements.map((alternatives) => alternatives.map((a) => table.id(a)));
}

function classifyKey(raw: string, useRegex: boolean, table: KeyTable, invalid: string[]): KeyRef {
  const text = raw.trim();
  if (text === '') return { kind: 'empty', text: raw };
  if (text.includes('{{')) return { kind: 'dynamic', text };
  const parsed = parseRegexKey(text);
  if (parsed) {
    const compiled = tryCompileSafeRegex(parsed.pattern, parsed.flags);
    if (!compiled.ok) {
      invalid.push(raw);
      const ref: KeyRef = { kind: 'regex', text, pattern: parsed.pattern, flags: parsed.flags, error: compiled.error.detail };
      if (!compilesInJavaScript(parsed.pattern, parsed.flags)) ref.plainInSillyTavern = true;
      return ref;
    }
    const literalIds = parsed.flags.includes('i') ? literalIdsFor(parsed.pattern, table) : undefined;
    return { kind: 'regex', text, pattern: parsed.pattern, flags: parsed.flags, ...(literalIds ? { literalIds } : {}) };
  }
  if (useRegex) {
    const compiled = tryCompileSafeRegex(text, '');
    if (!compiled.ok) {
      invalid.push(raw);
      return { kind: 'bare_regex', text, error: compiled.error.detail };
    }
    const literalIds = literalIdsFor(text, table);
    return { kind: 'bare_regex', text, ...(literalIds ? { literalIds } : {}) };
  }
  return { kind: 'plain', text, keyId: table.id(text) };
}

/** Compiles only (never runs) the pattern with JavaScript's engine, as SillyTavern's `parseRegexFromString` does. */
export function compilesInJavaScript(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
}

function prepareEntry(entry: WorldInfoEntry, local: number, table: KeyTable): PreparedEntry {
  const resolved = resolveEntryDefaults(entry);
  const { decorators, content } = parseDecorators(entry.content);
  const invalid: string[] = [];
  const useRegex = resolved.useRegex;
  const primary = resolved.keys.map((k) => classifyKey(k, useRegex, table, invalid));
  const secondary = resolved.secondaryKeys.map((k) => classifyKey(k, useRegex, table, invalid));
  const additional = decorators.additionalKeys.map((list) => list.map((k) => classifyKey(k, useRegex, table, invalid)));
  const exclude = useRegex ? [] : decorators.excludeKeys.map((k) => classifyKey(k, false, table, invalid));
  const excludeAll = decorators.excludeKeysAll.map((list) => list.map((k) => classifyKey(k, useRegex, table, invalid)));
  let matchSourceMask = 0;
  for (const field of MATCH_SOURCE_FIELDS) if (resolved.matchSources[field]) matchSourceMask |= MATCH_SOURCE_BITS[field];
  const alwaysCheck =
    resolved.constant ||
    decorators.activate ||
    decorators.keepActivateAfterMatch ||
    decorators.probability !== undefined ||
    primary.some((k) => k.kind === 'regex' || k.kind === 'bare_regex' || k.kind === 'dynamic');
  return {
    local,
    entry,
    resolved,
    uidKey: entryUidKey(entry, local),
    decorators,
    content,
    primary,
    secondary,
    additional,
    exclude,
    excludeAll,
    matchSourceMask,
    invalidRegexKeys: invalid,
    hash:
      resolved.sticky > 0 || resolved.cooldown > 0 || decorators.keepActivateAfterMatch || decorators.dontActivateAfterMatch
        ? hashString(JSON.stringify(entry))
        : '',
    scanDepth: decorators.scanDepth ?? resolved.scanDepth,
    alwaysCheck,
    hasStaticGate:
      !resolved.enabled ||
      resolved.characterFilter !== null ||
      resolved.triggers.length > 0 ||
      resolved.delay > 0 ||
      resolved.delayUntilRecursion > 0,
  };
}

/** Builds the index of one book's entries. */
export function buildBookIndex(entries: readonly WorldInfoEntry[]): BookIndex {
  const t0 = performance.now();
  const table = new KeyTable();
  const prepared = entries.map((e, i) => prepareEntry(e, i, table));
  const byUidKey = new Map<string, number>();
  const alwaysCheck: number[] = [];
  const levels = new Set<number>();
  const allLevels = new Set<number>();
  let maxEntryScanDepth = 0;
  let hasDepthlessAtDepth = false;
  for (const p of prepared) {
    if (!byUidKey.has(p.uidKey)) byUidKey.set(p.uidKey, p.local);
    if (p.resolved.delayUntilRecursion > 0) allLevels.add(p.resolved.delayUntilRecursion);
    if (p.resolved.position === WI_POSITION.atDepth && p.entry.depth === undefined) hasDepthlessAtDepth = true;
    if (!p.resolved.enabled) continue;
    for (const k of p.primary) {
      if (k.kind === 'plain') {
        const users = table.primaryUsers[k.keyId] as number[];
        if (users[users.length - 1] !== p.local) users.push(p.local);
      }
    }
    if (p.alwaysCheck) alwaysCheck.push(p.local);
    if (p.resolved.delayUntilRecursion > 0) levels.add(p.resolved.delayUntilRecursion);
    if (p.scanDepth !== null && p.scanDepth > maxEntryScanDepth) maxEntryScanDepth = p.scanDepth;
  }
  // Distinct folded patterns → key ids.
  const patternByFolded = new Map<string, number>();
  const patterns: string[] = [];
  const patternKeys: number[][] = [];
  table.keyText.forEach((text, keyId) => {
    const folded = foldString(text);
    let pid = patternByFolded.get(folded);
    if (pid === undefined) {
      pid = patterns.length;
      patterns.push(folded);
      patternByFolded.set(folded, pid);
      patternKeys.push([]);
    }
    (patternKeys[pid] as number[]).push(keyId);
  });
  const automaton = new AhoCorasick(patterns);
  return {
    entries: prepared,
    byUidKey,
    keyText: table.keyText,
    automaton,
    patternKeys,
    primaryUsers: table.primaryUsers,
    alwaysCheck,
    delayLevels: [...levels].sort((a, b) => a - b),
    allDelayLevels: [...allLevels].sort((a, b) => a - b),
    hasDepthlessAtDepth,
    maxEntryScanDepth,
    buildMs: performance.now() - t0,
    entryKeyCache: new Map(),
    diagnosticTemplates: new Map(),
  };
}

/** LRU cache of book indexes by (book id, version). */
export class WorldInfoIndexCache {
  readonly #cache: LruCache<string, BookIndex>;

  constructor(maxBooks = 64) {
    this.#cache = new LruCache(maxBooks);
  }

  get(bookId: string, version: string | number, entries: readonly WorldInfoEntry[]): BookIndex {
    const key = `${bookId}\u0000${version}`;
    let index = this.#cache.get(key);
    if (!index) {
      index = buildBookIndex(entries);
      this.#cache.set(key, index);
    }
    return index;
  }

  clear(): void {
    this.#cache.clear();
  }
}

/** Fallback cache keyed by the identity of the entries array (books passed without a version). */
const byIdentity = new WeakMap<readonly WorldInfoEntry[], BookIndex>();

export function indexForBook(
  book: { id: string; entries: readonly WorldInfoEntry[]; version?: string | number; index?: BookIndex },
  cache: WorldInfoIndexCache | undefined,
): BookIndex {
  if (book.index) return book.index;
  if (cache && book.version !== undefined) return cache.get(book.id, book.version, book.entries);
  let index = byIdentity.get(book.entries);
  if (!index) {
    index = buildBookIndex(book.entries);
    byIdentity.set(book.entries, index);
  }
  return index;
}
