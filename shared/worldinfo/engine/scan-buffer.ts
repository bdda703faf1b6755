/**
 * The text a run scans, as segments: chat messages (newest first, added as deeper scans need them), injections,
 * the card fields entries may opt into, and the recursion text of each pass. It also holds the candidate set the
 * indexed matcher fills as keys occur.
 */
import { stripCommentMacros } from '../comment-macros.ts';
import { MAX_SCAN_DEPTH } from '../entry.ts';
import { KIND_INJECTION, KIND_RECURSION, MATCH_SOURCE_BITS } from './book-index.ts';
import { IndexedMatcher, KeyResolver, NaiveMatcher, SegmentStore } from './match.ts';
import type { OccurrenceMemo, PlainKeyMatcher } from './match.ts';
import type { RunBook, RunBooks } from './run-books.ts';
import type { WorldInfoInput, WorldInfoSettings } from './types.ts';

const MATCH_SOURCE_SEGMENTS = [
  ['personaDescription', MATCH_SOURCE_BITS.matchPersonaDescription, 'persona_description'],
  ['characterDescription', MATCH_SOURCE_BITS.matchCharacterDescription, 'character_description'],
  ['characterPersonality', MATCH_SOURCE_BITS.matchCharacterPersonality, 'character_personality'],
  ['characterDepthPrompt', MATCH_SOURCE_BITS.matchCharacterDepthPrompt, 'character_depth_prompt'],
  ['scenario', MATCH_SOURCE_BITS.matchScenario, 'scenario'],
  ['creatorNotes', MATCH_SOURCE_BITS.matchCreatorNotes, 'creator_notes'],
] as const;

export type ScanBufferInput = Pick<WorldInfoInput, 'strategy' | 'messages' | 'injections' | 'globalScanData'>;

export class ScanBuffer {
  readonly store = new SegmentStore();
  /** Entries worth evaluating: a key occurs in the text, or the entry is always looked at. */
  readonly candidates = new Set<number>();
  readonly matcher: PlainKeyMatcher;
  readonly resolver: KeyResolver;
  private readonly messages: WorldInfoInput['messages'];
  private readonly includeNames: boolean;
  private readonly messageCount: number;
  private scannedDepth = 0;
  /** Hands each pass's recursion text to another scanner instead (the `risuai` profile's). */
  onRecursionText?: (text: string) => void;

  constructor(
    books: RunBooks,
    input: ScanBufferInput,
    settings: WorldInfoSettings,
    substitute: (s: string) => string,
    memo?: OccurrenceMemo,
  ) {
    this.messages = input.messages;
    this.includeNames = settings.includeNames;
    this.messageCount = Math.min(input.messages.length, MAX_SCAN_DEPTH);
    const candidates = this.candidates;
    const mode = settings.compatibility;
    this.matcher =
      input.strategy === 'naive'
        ? new NaiveMatcher(this.store, mode)
        : new IndexedMatcher(
            books.list.map((b) => b.index),
            this.store,
            (bookIdx, keyId) => {
              const b = books.list[bookIdx] as RunBook;
              for (const local of b.index.primaryUsers[keyId] as number[]) candidates.add(b.offset + local);
            },
            mode,
            memo,
          );
    if (input.strategy === 'naive') for (let g = 0; g < books.total; g++) candidates.add(g);
    this.resolver = new KeyResolver(this.store, this.matcher, substitute, mode);

    const maxEntryDepth = books.list.reduce((m, b) => Math.max(m, b.index.maxEntryScanDepth), 0);
    this.ensureDepth(Math.max(settings.scanDepth, maxEntryDepth));
    for (const text of input.injections ?? []) {
      if (text) this.matcher.addSegment(this.store.add({ kind: 'injection', bit: KIND_INJECTION, text: stripCommentMacros(text) }));
    }
    const scanData = input.globalScanData ?? {};
    for (const [field, bit, kind] of MATCH_SOURCE_SEGMENTS) {
      const text = scanData[field];
      if (text) this.matcher.addSegment(this.store.add({ kind, bit, text: stripCommentMacros(text) }));
    }
  }

  /** Makes the newest `depth` messages (at most MAX_SCAN_DEPTH) part of the scanned text. */
  ensureDepth(depth: number): void {
    const target = Math.min(Math.max(depth, 0), this.messageCount);
    while (this.scannedDepth < target) {
      const segId = this.store.add({ kind: 'message', bit: 0, text: this.messageText(this.scannedDepth), depth: this.scannedDepth });
      this.matcher.addSegment(segId);
      this.scannedDepth++;
    }
  }

  /** An activated entry's content: its comment macros never match, its `{{hidden_key: …}}` texts do. */
  addRecursionText(text: string, pass: number): void {
    const scanned = stripCommentMacros(text, { recursive: true });
    if (!scanned) return;
    // The `risuai` profile searches its own copy; the index would scan the text for nothing.
    if (this.onRecursionText) this.onRecursionText(scanned);
    else this.matcher.addSegment(this.store.add({ kind: 'recursion', bit: KIND_RECURSION, text: scanned, pass }));
  }

  private messageText(depth: number): string {
    const m = this.messages[this.messages.length - 1 - depth];
    if (!m) return '';
    // Comment macros (`{{// …}}`, `{{comment: …}}`, `{{hidden_key: …}}`) are kept out of matching (V3 spec).
    const content = stripCommentMacros(m.content);
    return (this.includeNames ? `${m.name}: ${content}` : content).trim();
  }
}
