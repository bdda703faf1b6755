/**
 * RisuAI's key search (the `risuai` profile), over what RisuAI scans: the chat messages' text (never the greeting,
 * never a speaker's name) and the content of recursive entries activated so far.
 *
 * - A window of `D` messages over a chat of `L` scannable messages is RisuAI's `slice(L − D, L)`: the newest `D`
 *   when `D ≤ L`, but only the newest `D − L` when `L < D < 2L` (a negative start counts from the end), and all of
 *   them from `2L` on.
 * - Text and keys are lower-cased (case-sensitivity is ignored), comment macros are removed (`stripCommentMacros`).
 *   Whole words: the text split on single spaces must contain the key. Otherwise spaces are removed from both
 *   and the key must be a substring ("red fox" matches "redfox").
 * - Regex entries: every key must be `/pattern/flags` with flags (else nothing matches); each is tested on the
 *   raw text, on the linear-time engine.
 */
import { stripCommentMacros } from '../comment-macros.ts';
import { parseRegexKey, tryCompileSafeRegex } from '../safe-regex.ts';
import type { ChatMessageInput } from './types.ts';

export interface RisuaiSearch {
  keys: readonly string[];
  depth: number;
  regex: boolean;
  wholeWords: boolean;
  /** Every key must be found in every scanned text (`@@exclude_keys_all`). */
  all?: boolean;
  withRecursion: boolean;
}

export interface RisuaiHit {
  key: string;
  /** 'message' (with its index in the chat) or 'recursion'. */
  source: 'message' | 'recursion';
  messageIndex?: number;
}

interface ScanText {
  raw: string;
  folded: string;
  source: 'message' | 'recursion';
  messageIndex?: number;
  /** Made on first use: the folded text without spaces, and split on single spaces. */
  squeezed?: string;
  words?: Set<string>;
}

function fold(text: string): string {
  return text.toLocaleLowerCase();
}

/** How many of the newest `scannable` messages RisuAI's `slice(length − depth, length)` keeps. */
export function risuaiWindow(depth: number, scannable: number): number {
  if (!(depth > 0)) return 0;
  if (depth <= scannable) return depth;
  return Math.min(scannable, Math.max(0, depth - scannable));
}

function squeezedOf(t: ScanText): string {
  return (t.squeezed ??= t.folded.replace(/ /g, ''));
}

function wordsOf(t: ScanText): Set<string> {
  return (t.words ??= new Set(t.folded.split(' ')));
}

function hitOf(key: string, t: ScanText | undefined): RisuaiHit {
  if (!t) return { key, source: 'message' };
  return { key, source: t.source, ...(t.messageIndex !== undefined ? { messageIndex: t.messageIndex } : {}) };
}

export class RisuaiScanText {
  private readonly messages: ScanText[];
  private readonly recursion: ScanText[] = [];
  private readonly joinedCache = new Map<string, { squeezed: string; words: Set<string> }>();
  /** Index in the chat of the first scannable message (1 when the chat opens with the greeting). */
  readonly firstScannable: number;

  constructor(messages: readonly ChatMessageInput[]) {
    // The chat opens with the character's greeting; RisuAI keeps it apart from the messages it scans.
    this.firstScannable = messages[0]?.role === 'assistant' ? 1 : 0;
    this.messages = messages.slice(this.firstScannable).map((m, i) => {
      // Comment macros stay out of matching in every profile (the spec's rule, as the scan buffer applies it).
      const raw = stripCommentMacros(m.content);
      return { raw, folded: fold(raw), source: 'message' as const, messageIndex: i + this.firstScannable };
    });
  }

  get scannable(): number {
    return this.messages.length;
  }

  addRecursion(text: string): void {
    if (text) this.recursion.push({ raw: text, folded: fold(text), source: 'recursion' });
  }

  search(q: RisuaiSearch): RisuaiHit | null {
    const keep = risuaiWindow(q.depth, this.messages.length);
    const texts = this.messages.slice(this.messages.length - keep);
    if (q.withRecursion) texts.push(...this.recursion);
    const keys = q.keys.map((k) => k.trim()).filter((k) => k !== '');
    if (q.regex) return this.searchRegex(texts, keys);
    const folded = keys.map((k) => (q.wholeWords ? k.toLocaleLowerCase() : k.toLocaleLowerCase().replace(/ /g, '')));
    if (!q.all) {
      // Any key in any text: one look over all the texts at once (found), then the text it is in (reported).
      const all = this.joined(keep, q.withRecursion, texts);
      const i = folded.findIndex((k) => (q.wholeWords ? all.words.has(k) : all.squeezed.includes(k)));
      if (i < 0) return null;
      const t = texts.find((x) => (q.wholeWords ? wordsOf(x).has(folded[i] as string) : squeezedOf(x).includes(folded[i] as string)));
      return hitOf(keys[i] as string, t);
    }
    let first: RisuaiHit | null = null;
    for (const t of texts) {
      for (let i = 0; i < keys.length; i++) {
        const found = q.wholeWords ? wordsOf(t).has(folded[i] as string) : squeezedOf(t).includes(folded[i] as string);
        if (!found) return null;
        first ??= hitOf(keys[i] as string, t);
      }
    }
    return first ?? { key: keys.join(','), source: 'message' };
  }

  /** The window's texts as one (cached per window): squeezed texts joined by a character no key contains. */
  private joined(keep: number, withRecursion: boolean, texts: readonly ScanText[]): { squeezed: string; words: Set<string> } {
    const cacheKey = `${keep}|${withRecursion ? this.recursion.length : -1}`;
    let j = this.joinedCache.get(cacheKey);
    if (!j) {
      const words = new Set<string>();
      for (const t of texts) for (const w of wordsOf(t)) words.add(w);
      j = { squeezed: texts.map(squeezedOf).join('\u0001'), words };
      this.joinedCache.set(cacheKey, j);
    }
    return j;
  }

  private searchRegex(texts: readonly ScanText[], keys: readonly string[]): RisuaiHit | null {
    for (const t of texts) {
      for (const key of keys) {
        const parsed = key.startsWith('/') ? parseRegexKey(key) : null;
        if (!parsed || parsed.flags === '') return null;
        const compiled = tryCompileSafeRegex(parsed.pattern, parsed.flags);
        if (!compiled.ok) return null;
        if (compiled.regex.test(t.raw)) {
          return { key, source: t.source, ...(t.messageIndex !== undefined ? { messageIndex: t.messageIndex } : {}) };
        }
      }
    }
    return null;
  }
}
