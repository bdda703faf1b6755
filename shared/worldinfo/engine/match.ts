/**
 * What the engine scans, and how keys are found in it.
 *
 * The scan text is kept as *segments*: one per chat message (depth 0 = newest; `"<name>: <content>"` when names
 * are included), one per scannable injection, one per opted-in match source (persona description, ...), and one
 * per recursion pass (the contents that pass added). An entry's *view* is the subset it may see: messages up to
 * its scan depth, its match sources, the injections, and the recursion text (except in min-activations passes).
 *
 * Plain keys
 * - `IndexedMatcher`: each segment is scanned once per book with the book's Aho–Corasick automaton; for every key
 *   occurrence the four variants (case-insensitive/sensitive × substring/whole word) are checked and, per key and
 *   variant, the smallest message depth and the first occurrence in each other kind of segment are recorded.
 *   An entry's key matches when a record falls inside its view. Recursion passes scan only the new segment.
 * - `NaiveMatcher` (baseline): builds the entry's view string and searches every key in it, folding the text
 *   for every key like SillyTavern's `matchKeys`. Same answers, cost entries × keys × text.
 *
 * Regex and macro keys are run on the view string, which is built exactly as SillyTavern builds its buffer:
 * `"\x01" + messages.join("\n\x01")`, then `"\n\x01" + text` for each match source, injection and recursion
 * text, so patterns written for SillyTavern (`/\x01Alice:/`) behave the same.
 */
import type { BookIndex, KeyRef, PreparedEntry } from './book-index.ts';
import { compilesInJavaScript, KIND_INJECTION, KIND_RECURSION, MATCH_SOURCE_BITS } from './book-index.ts';
import { parseRegexKey, satisfiesRequirements, tryCompileSafeRegex } from '../safe-regex.ts';
import { foldString, isAsciiWholeWordAt, isWholeWordAt, keyHasWhitespace } from './text.ts';
import { LruCache } from '../../tokenizer/lru.ts';
import type { CompatibilityMode, MatchSourceKind, QuirkName } from './types.ts';

export interface Segment {
  kind: MatchSourceKind;
  /** 0 for messages, else a KIND_* / MATCH_SOURCE_BITS bit. */
  bit: number;
  text: string;
  /** Messages: 0 = newest. */
  depth?: number;
  /** Recursion segments: the pass that produced the text. */
  pass?: number;
}

/** What one entry may see in the current pass. */
export interface ViewSpec {
  /** Messages with depth < this are visible (≤ 0: none). */
  depth: number;
  /** Visible non-message kinds. */
  kinds: number;
}

export interface Hit {
  segId: number;
  start: number;
  end: number;
}

/** Order in which non-message kinds appear in a view (SillyTavern's buffer order). */
export const VIEW_KIND_ORDER: readonly number[] = [
  MATCH_SOURCE_BITS.matchPersonaDescription,
  MATCH_SOURCE_BITS.matchCharacterDescription,
  MATCH_SOURCE_BITS.matchCharacterPersonality,
  MATCH_SOURCE_BITS.matchCharacterDepthPrompt,
  MATCH_SOURCE_BITS.matchScenario,
  MATCH_SOURCE_BITS.matchCreatorNotes,
  KIND_INJECTION,
  KIND_RECURSION,
];

export interface BuiltView {
  text: string;
  /** Segment id and offset of each part in `text`, in order. */
  parts: Array<{ segId: number; offset: number }>;
}

const MATCHER_CHAR = '\x01';
const JOINER = '\n\x01';

/** All segments of one engine run, and the view strings built from them. */
export class SegmentStore {
  readonly segments: Segment[] = [];
  /** Segment id of message depth d. */
  readonly messageSegIds: number[] = [];
  /** Segment ids of the non-message kinds, in order of addition. */
  readonly otherSegIds: number[] = [];
  readonly #views = new Map<string, BuiltView>();
  #recursionCount = 0;
  /** Smallest message depth whose text contains 'ſ' (U+017F), and the kinds of other segments that do. */
  #longSDepth = Number.MAX_SAFE_INTEGER;
  #longSKinds = 0;

  add(segment: Segment): number {
    const id = this.segments.length;
    this.segments.push(segment);
    const longS = segment.text.includes('\u017f');
    if (segment.bit === 0) {
      this.messageSegIds[segment.depth ?? 0] = id;
      if (longS) this.#longSDepth = Math.min(this.#longSDepth, segment.depth ?? 0);
    } else {
      this.otherSegIds.push(id);
      if (longS) this.#longSKinds |= segment.bit;
    }
    if (segment.bit === KIND_RECURSION) this.#recursionCount++;
    return id;
  }

  get recursionCount(): number {
    return this.#recursionCount;
  }

  /**
   * Whether a text visible in `view` contains 'ſ' (U+017F), which RE2 folds to 's' but `foldString` does not: the
   * case-insensitive literal prefilter must then leave the decision to the regex.
   */
  hasLongS(view: ViewSpec): boolean {
    return this.#longSDepth < view.depth || (this.#longSKinds & view.kinds) !== 0;
  }

  /** The view string of `view` (cached per run). */
  view(view: ViewSpec): BuiltView {
    const depth = Math.max(0, Math.min(view.depth, this.messageSegIds.length));
    const cacheKey = `${depth}|${view.kinds}|${this.#recursionCount}`;
    let built = this.#views.get(cacheKey);
    if (built) return built;
    built = this.buildView(view);
    this.#views.set(cacheKey, built);
    return built;
  }

  /** Builds a view string without caching (what SillyTavern does for every entry). */
  buildView(view: ViewSpec): BuiltView {
    const depth = Math.max(0, Math.min(view.depth, this.messageSegIds.length));
    const parts: Array<{ segId: number; offset: number }> = [];
    const pieces: string[] = [];
    let length = 0;
    const push = (segId: number, sep: string) => {
      pieces.push(sep);
      length += sep.length;
      parts.push({ segId, offset: length });
      const text = (this.segments[segId] as Segment).text;
      pieces.push(text);
      length += text.length;
    };
    for (let d = 0; d < depth; d++) push(this.messageSegIds[d] as number, d === 0 ? MATCHER_CHAR : JOINER);
    if (depth === 0) {
      pieces.push(MATCHER_CHAR);
      length += 1;
    }
    for (const bit of VIEW_KIND_ORDER) {
      if ((view.kinds & bit) === 0) continue;
      for (const segId of this.otherSegIds) if ((this.segments[segId] as Segment).bit === bit) push(segId, JOINER);
    }
    return { text: pieces.join(''), parts };
  }
}

/** Maps an offset in a view string back to the segment it falls in. */
export function hitFromView(view: BuiltView, start: number, end: number, segments: readonly Segment[]): Hit | null {
  let lo = 0;
  let hi = view.parts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((view.parts[mid] as { offset: number }).offset <= start) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // A match that starts in a separator (`\x01` / `\n\x01`, e.g. `/\x01Alice:/`) belongs to the next segment.
  if (found < 0) found = 0;
  else {
    const part = view.parts[found] as { segId: number; offset: number };
    if (start - part.offset > (segments[part.segId] as Segment).text.length && found + 1 < view.parts.length) found++;
  }
  const part = view.parts[found];
  if (!part) return null;
  const segLength = (segments[part.segId] as Segment).text.length;
  const s = Math.max(0, Math.min(start - part.offset, segLength));
  return { segId: part.segId, start: s, end: Math.max(s, Math.min(end - part.offset, segLength)) };
}

/**
 * First occurrence of a plain key in `text` with the given options (naive search; used for views). Whole words
 * in `sillytavern` mode: ASCII boundaries, and no check at all for keys with whitespace (`text.ts`).
 */
export function findPlain(
  text: string,
  foldedText: string,
  key: string,
  caseSensitive: boolean,
  wholeWords: boolean,
  mode: CompatibilityMode = 'corrected',
): number {
  const needle = foldString(key);
  const st = mode === 'sillytavern';
  const checkWords = wholeWords && !(st && keyHasWhitespace(key));
  const boundary = st ? isAsciiWholeWordAt : isWholeWordAt;
  let from = 0;
  for (;;) {
    const at = foldedText.indexOf(needle, from);
    if (at < 0) return -1;
    if ((!caseSensitive || text.startsWith(key, at)) && (!checkWords || boundary(text, at, at + key.length))) return at;
    from = at + 1;
  }
}

/** The quirk that makes a whole-word key's search differ between the modes in `text`, or undefined. */
export function plainSearchQuirk(text: string, foldedText: string, key: string, caseSensitive: boolean): QuirkName | undefined {
  const st = findPlain(text, foldedText, key, caseSensitive, true, 'sillytavern') >= 0;
  const corrected = findPlain(text, foldedText, key, caseSensitive, true, 'corrected') >= 0;
  if (st === corrected) return undefined;
  return keyHasWhitespace(key) ? 'whole_word_keys_with_spaces' : 'non_ascii_word_boundary';
}

export interface PlainKeyMatcher {
  /** Scans a new segment (indexed strategy); the naive strategy ignores it. Returns keys seen for the first time. */
  addSegment(segId: number): void;
  plain(bookIdx: number, ref: Extract<KeyRef, { kind: 'plain' }>, view: ViewSpec, cs: boolean, ww: boolean): Hit | null;
  /** Whether the registered literal `keyId` (lower-case ASCII) occurs, case-insensitively, in the view. */
  literalInView(bookIdx: number, keyId: number, literal: string, view: ViewSpec): boolean;
  /** The quirk under which a whole-word search of this key decides differently in the other mode, if any. */
  wholeWordQuirk(bookIdx: number, ref: Extract<KeyRef, { kind: 'plain' }>, view: ViewSpec, cs: boolean): QuirkName | undefined;
}

const VARIANTS = 4;
const INF = Number.MAX_SAFE_INTEGER;

/** Per key: smallest message depth and first hit per variant; first hit per other kind per variant. */
class KeyRecord {
  readonly msgDepth: number[] = [INF, INF, INF, INF];
  readonly msgHit: Array<Hit | undefined> = [undefined, undefined, undefined, undefined];
  readonly otherMask: number[] = [0, 0, 0, 0];
  /** index v * 8 + bitIndex */
  otherHit: Array<Hit | undefined> | undefined;
  /** Some occurrence is a whole word in one compatibility mode and not in the other (1 = non-ASCII, 2 = spaces). */
  wordQuirk = 0;
}

function bitIndex(bit: number): number {
  return 31 - Math.clz32(bit);
}

/** Texts longer than this are scanned without caching their occurrences. */
const OCCURRENCE_CACHE_MAX_TEXT = 65_536;
const OCCURRENCE_CACHE_TEXTS = 2048;
/** ... and at most this many bytes per book index (texts as UTF-16 plus their occurrences), so memory stays bounded. */
const OCCURRENCE_CACHE_BYTES = 8 * 2 ** 20;
const occurrenceCaches = new WeakMap<BookIndex, LruCache<string, Int32Array>>();

/**
 * Occurrences of the book's key patterns in `text`, as (patternId, end) pairs. A chat is rescanned every turn with
 * only one or two new messages, so results are cached per index and text: a turn scans only the new text.
 */
/** Forgets the cached key occurrences of an index (benchmarks measure cold scans with it). */
export function clearKeyOccurrenceCache(index: BookIndex): void {
  occurrenceCaches.delete(index);
}

/**
 * Occurrences of texts too long for the cache, kept for one `runWorldInfo` call: a run that meets a quirk runs the
 * other mode on the same input (`explain-quirks.ts`), and its long recursion texts are the same as the first run's.
 */
export class OccurrenceMemo {
  readonly #byIndex = new WeakMap<BookIndex, Map<string, Int32Array>>();

  get(index: BookIndex, text: string): Int32Array | undefined {
    return this.#byIndex.get(index)?.get(text);
  }

  set(index: BookIndex, text: string, occurrences: Int32Array): void {
    let texts = this.#byIndex.get(index);
    if (!texts) this.#byIndex.set(index, (texts = new Map()));
    texts.set(text, occurrences);
  }
}

export function keyOccurrences(index: BookIndex, text: string, memo?: OccurrenceMemo): Int32Array {
  let cache = occurrenceCaches.get(index);
  if (!cache) {
    cache = new LruCache<string, Int32Array>(OCCURRENCE_CACHE_TEXTS, {
      maxWeight: OCCURRENCE_CACHE_BYTES,
      weigh: (pairs, text) => text.length * 2 + pairs.byteLength,
    });
    occurrenceCaches.set(index, cache);
  }
  const cacheable = text.length <= OCCURRENCE_CACHE_MAX_TEXT;
  const hit = cacheable ? cache.get(text) : memo?.get(index, text);
  if (hit) return hit;
  const pairs: number[] = [];
  index.automaton.scan(text, (patternId, end) => {
    pairs.push(patternId, end);
  });
  const result = Int32Array.from(pairs);
  if (cacheable) cache.set(text, result);
  else memo?.set(index, text, result);
  return result;
}

export class IndexedMatcher implements PlainKeyMatcher {
  readonly #indexes: readonly BookIndex[];
  readonly #store: SegmentStore;
  /** Per book, per key id: 1 + position of the key's record in `#recordList`, 0 until the key occurs. */
  readonly #recordSlot: Int32Array[];
  readonly #recordList: KeyRecord[] = [];
  readonly #onNewKey: (bookIdx: number, keyId: number) => void;
  readonly #sillyTavern: boolean;
  readonly #memo: OccurrenceMemo | undefined;

  /** `onNewKey` is called the first time a key occurs anywhere (to make its entries candidates). */
  constructor(
    indexes: readonly BookIndex[],
    store: SegmentStore,
    onNewKey: (bookIdx: number, keyId: number) => void,
    mode: CompatibilityMode = 'corrected',
    memo?: OccurrenceMemo,
  ) {
    this.#memo = memo;
    this.#indexes = indexes;
    this.#store = store;
    this.#recordSlot = indexes.map((index) => new Int32Array(index.keyText.length));
    this.#onNewKey = onNewKey;
    this.#sillyTavern = mode === 'sillytavern';
  }

  addSegment(segId: number): void {
    const seg = this.#store.segments[segId] as Segment;
    const text = seg.text;
    if (text.length === 0) return;
    const isMessage = seg.bit === 0;
    const depth = seg.depth ?? 0;
    const bi = isMessage ? 0 : bitIndex(seg.bit);
    this.#indexes.forEach((index, bookIdx) => {
      const slots = this.#recordSlot[bookIdx] as Int32Array;
      const list = this.#recordList;
      const keyText = index.keyText;
      const patternKeys = index.patternKeys;
      const automaton = index.automaton;
      const occurrences = keyOccurrences(index, text, this.#memo);
      const spaced = keysWithWhitespace(index);
      for (let o = 0; o < occurrences.length; o += 2) {
        const patternId = occurrences[o] as number;
        const end = occurrences[o + 1] as number;
        const start = end - automaton.patternLength(patternId);
        let wwCorrected: boolean | undefined;
        let wwAscii: boolean | undefined;
        for (const keyId of patternKeys[patternId] as number[]) {
          const slot = slots[keyId] as number;
          let rec: KeyRecord;
          if (slot === 0) {
            rec = new KeyRecord();
            slots[keyId] = list.push(rec);
            this.#onNewKey(bookIdx, keyId);
          } else rec = list[slot - 1] as KeyRecord;
          if (isMessage) {
            const md = rec.msgDepth;
            // Messages are scanned newest first: once every variant has a depth ≤ this one, nothing can improve.
            if ((md[0] as number) <= depth && (md[1] as number) <= depth && (md[2] as number) <= depth && (md[3] as number) <= depth)
              continue;
          } else {
            const om = rec.otherMask;
            if (((om[0] as number) & (om[1] as number) & (om[2] as number) & (om[3] as number) & seg.bit) !== 0) continue;
          }
          const cs = text.startsWith(keyText[keyId] as string, start);
          wwCorrected ??= isWholeWordAt(text, start, end);
          // SillyTavern: ASCII boundaries, and keys with whitespace skip the check.
          const wwSillyTavern = spaced[keyId] === 1 ? true : (wwAscii ??= isAsciiWholeWordAt(text, start, end));
          if (wwSillyTavern !== wwCorrected && rec.wordQuirk === 0) rec.wordQuirk = spaced[keyId] === 1 ? 2 : 1;
          const ww = this.#sillyTavern ? wwSillyTavern : wwCorrected;
          for (let v = 0; v < VARIANTS; v++) {
            if ((v & 1) === 1 && !cs) continue;
            if ((v & 2) === 2 && !ww) continue;
            if (isMessage) {
              if (depth < (rec.msgDepth[v] as number)) {
                rec.msgDepth[v] = depth;
                rec.msgHit[v] = { segId, start, end };
              }
            } else if (((rec.otherMask[v] as number) & seg.bit) === 0) {
              rec.otherMask[v] = (rec.otherMask[v] as number) | seg.bit;
              rec.otherHit ??= new Array<Hit | undefined>(VARIANTS * 8);
              rec.otherHit[v * 8 + bi] = { segId, start, end };
            }
          }
        }
      }
    });
  }

  plain(bookIdx: number, ref: Extract<KeyRef, { kind: 'plain' }>, view: ViewSpec, cs: boolean, ww: boolean): Hit | null {
    const slot = (this.#recordSlot[bookIdx] as Int32Array)[ref.keyId] as number;
    if (slot === 0) return null;
    const rec = this.#recordList[slot - 1] as KeyRecord;
    const v = (cs ? 1 : 0) + (ww ? 2 : 0);
    if ((rec.msgDepth[v] as number) < view.depth) return rec.msgHit[v] ?? null;
    const mask = (rec.otherMask[v] as number) & view.kinds;
    if (mask === 0 || !rec.otherHit) return null;
    for (const bit of VIEW_KIND_ORDER) if ((mask & bit) !== 0) return rec.otherHit[v * 8 + bitIndex(bit)] ?? null;
    return null;
  }

  literalInView(bookIdx: number, keyId: number, _literal: string, view: ViewSpec): boolean {
    const slot = (this.#recordSlot[bookIdx] as Int32Array)[keyId] as number;
    if (slot === 0) return false;
    const rec = this.#recordList[slot - 1] as KeyRecord;
    return (rec.msgDepth[0] as number) < view.depth || ((rec.otherMask[0] as number) & view.kinds) !== 0;
  }

  wholeWordQuirk(bookIdx: number, ref: Extract<KeyRef, { kind: 'plain' }>): QuirkName | undefined {
    const slot = (this.#recordSlot[bookIdx] as Int32Array)[ref.keyId] as number;
    if (slot === 0) return undefined;
    const q = (this.#recordList[slot - 1] as KeyRecord).wordQuirk;
    return q === 0 ? undefined : q === 2 ? 'whole_word_keys_with_spaces' : 'non_ascii_word_boundary';
  }
}

const spacedKeys = new WeakMap<BookIndex, Uint8Array>();

/** Per key id of the index: 1 when the key contains whitespace (computed once per index). */
function keysWithWhitespace(index: BookIndex): Uint8Array {
  let flags = spacedKeys.get(index);
  if (!flags) {
    flags = Uint8Array.from(index.keyText, (k) => (keyHasWhitespace(k) ? 1 : 0));
    spacedKeys.set(index, flags);
  }
  return flags;
}

/** The baseline: SillyTavern's way, one view string per entry and a fold of it per key. */
export class NaiveMatcher implements PlainKeyMatcher {
  readonly #store: SegmentStore;
  readonly #mode: CompatibilityMode;

  constructor(store: SegmentStore, mode: CompatibilityMode = 'corrected') {
    this.#store = store;
    this.#mode = mode;
  }

  addSegment(): void {}

  wholeWordQuirk(_bookIdx: number, ref: Extract<KeyRef, { kind: 'plain' }>, view: ViewSpec, cs: boolean): QuirkName | undefined {
    const built = this.#store.buildView(view);
    return plainSearchQuirk(built.text, foldString(built.text), ref.text, cs);
  }

  plain(_bookIdx: number, ref: Extract<KeyRef, { kind: 'plain' }>, view: ViewSpec, cs: boolean, ww: boolean): Hit | null {
    const built = this.#store.buildView(view);
    const folded = foldString(built.text);
    const at = findPlain(built.text, folded, ref.text, cs, ww, this.#mode);
    if (at < 0) return null;
    return hitFromView(built, at, at + ref.text.length, this.#store.segments);
  }

  literalInView(_bookIdx: number, _keyId: number, literal: string, view: ViewSpec): boolean {
    return foldString(this.#store.buildView(view).text).includes(literal);
  }
}

/** Matches keys of any kind for one entry. */
export class KeyResolver {
  readonly #store: SegmentStore;
  readonly #plain: PlainKeyMatcher;
  readonly #substitute: (text: string) => string;
  readonly #foldedViews = new Map<string, string>();
  readonly #mode: CompatibilityMode;
  /**
   * Set when a key just matched could be decided differently by the other compatibility mode; the evaluator reads
   * and clears it per entry.
   */
  quirk: QuirkName | undefined;

  constructor(store: SegmentStore, plain: PlainKeyMatcher, substitute: (text: string) => string, mode: CompatibilityMode = 'corrected') {
    this.#store = store;
    this.#plain = plain;
    this.#substitute = substitute;
    this.#mode = mode;
  }

  #folded(view: ViewSpec, built: BuiltView): string {
    const cacheKey = `${view.depth}|${view.kinds}|${this.#store.recursionCount}`;
    let folded = this.#foldedViews.get(cacheKey);
    if (folded === undefined) {
      folded = foldString(built.text);
      this.#foldedViews.set(cacheKey, folded);
    }
    return folded;
  }

  #regexHit(pattern: string, flags: string, view: ViewSpec, literals?: { bookIdx: number; ids: readonly number[][] }): Hit | null {
    const compiled = tryCompileSafeRegex(pattern, flags);
    if (!compiled.ok) return null;
    const requirements = compiled.regex.foldedRequirements;
    // Case-insensitive prefilter: literal text every match contains (re2js prefilters case-sensitive literals
    // itself). With the index, the literals were found by the automaton with the keys; otherwise the folded view
    // is searched. 'ſ' folds to 's' in RE2 but not in `foldString`: a view containing it goes to the regex.
    if (requirements && !this.#store.hasLongS(view)) {
      if (literals && literals.ids.length === requirements.length) {
        for (let r = 0; r < requirements.length; r++) {
          const ids = literals.ids[r] as readonly number[];
          const alternatives = requirements[r] as readonly string[];
          if (!ids.some((id, a) => this.#plain.literalInView(literals.bookIdx, id, alternatives[a] as string, view))) return null;
        }
      } else if (!satisfiesRequirements(this.#folded(view, this.#store.view(view)), requirements)) return null;
    }
    const built = this.#store.view(view);
    const m = compiled.regex.find(built.text);
    if (!m) return null;
    return hitFromView(built, m.index, m.index + m.text.length, this.#store.segments);
  }

  #plainInView(key: string, view: ViewSpec, cs: boolean, ww: boolean): Hit | null {
    const built = this.#store.view(view);
    const folded = this.#folded(view, built);
    if (ww) this.quirk ??= plainSearchQuirk(built.text, folded, key, cs);
    const at = findPlain(built.text, folded, key, cs, ww, this.#mode);
    if (at < 0) return null;
    return hitFromView(built, at, at + key.length, this.#store.segments);
  }

  match(bookIdx: number, p: PreparedEntry, ref: KeyRef, view: ViewSpec, cs: boolean, ww: boolean): Hit | null {
    switch (ref.kind) {
      case 'plain':
        if (ww) this.quirk ??= this.#plain.wholeWordQuirk(bookIdx, ref, view, cs);
        return this.#plain.plain(bookIdx, ref, view, cs, ww);
      case 'regex':
        if (ref.error) {
          // SillyTavern (1.12.6 and current): a `/…/` key JavaScript cannot compile is plain text.
          if (!ref.plainInSillyTavern) return null;
          this.quirk ??= 'invalid_regex_as_plain_text';
          return this.#mode === 'sillytavern' ? this.#plainInView(ref.text, view, cs, ww) : null;
        }
        return this.#regexHit(ref.pattern, ref.flags, view, ref.literalIds ? { bookIdx, ids: ref.literalIds } : undefined);
      case 'bare_regex':
        if (ref.error) return null;
        return this.#regexHit(ref.text, cs ? '' : 'i', view, ref.literalIds ? { bookIdx, ids: ref.literalIds } : undefined);
      case 'dynamic': {
        const text = this.#substitute(ref.text).trim();
        if (text === '') return null;
        const parsed = parseRegexKey(text);
        if (parsed && !tryCompileSafeRegex(parsed.pattern, parsed.flags).ok && !compilesInJavaScript(parsed.pattern, parsed.flags)) {
          this.quirk ??= 'invalid_regex_as_plain_text';
          return this.#mode === 'sillytavern' ? this.#plainInView(text, view, cs, ww) : null;
        }
        if (parsed) return this.#regexHit(parsed.pattern, parsed.flags, view);
        if (p.resolved.useRegex) return this.#regexHit(text, cs ? '' : 'i', view);
        return this.#plainInView(text, view, cs, ww);
      }
      case 'empty':
        return null;
    }
  }
}
