/**
 * Token counting for tiktoken-style byte-level BPE (o200k, cl100k, Claude, LLaMA 3): the text is split by the
 * model's pre-tokenizer pattern, each piece is looked up whole (a piece that is a token is one token), else its
 * UTF-8 bytes are merged by rank, lowest first. Counts per piece are cached, so repeated words cost a map lookup.
 *
 * Ranks are keyed by the token's bytes as a Latin-1 string (one char per byte), which is what `atob` yields for
 * the base64 tokens of a tiktoken rank file.
 */
import { PieceCountCache, mergeSymbols } from './bpe-merge.ts';
import { recountJoined, tailJoined, type JoinedTokenCount } from './joined-count.ts';

export interface ByteLevelBpeSpec {
  /** Token bytes (Latin-1 string) → rank. */
  ranks: ReadonlyMap<string, number>;
  /** The pre-tokenizer pattern (compiled with the `gu` flags). */
  pattern: string;
  /** Special-token texts counted as one token each where they occur in the text (none: counted as plain text). */
  specialTokens?: readonly string[];
  /** Unicode normalisation applied before counting (Claude's tokenizer applies NFKC). */
  normalize?: 'NFKC';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class ByteLevelBpeCounter {
  readonly #ranks: ReadonlyMap<string, number>;
  readonly #pattern: RegExp;
  readonly #special: RegExp | undefined;
  readonly #normalize: 'NFKC' | undefined;
  readonly #pieceCounts = new PieceCountCache(200_000);
  readonly #encoder = new TextEncoder();

  constructor(spec: ByteLevelBpeSpec) {
    this.#ranks = spec.ranks;
    this.#pattern = new RegExp(spec.pattern, 'gu');
    this.#normalize = spec.normalize;
    const special = spec.specialTokens ?? [];
    this.#special = special.length > 0 ? new RegExp(special.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  count(text: string): number {
    if (text === '') return 0;
    const normalized = this.#normalize ? text.normalize(this.#normalize) : text;
    if (!this.#special) return this.#countOrdinary(normalized);
    let total = 0;
    let from = 0;
    for (const match of normalized.matchAll(this.#special)) {
      total += this.#countOrdinary(normalized.slice(from, match.index)) + 1;
      from = match.index + match[0].length;
    }
    return total + this.#countOrdinary(normalized.slice(from));
  }

  /** The count of a growing text (`joined-count.ts`): the pre-tokenizer's last two pieces are split again with the
   * appended text (its lookahead reaches one character); with special tokens or a normaliser, the whole text. */
  startJoined(): JoinedTokenCount {
    if (this.#special || this.#normalize) return recountJoined(this);
    return tailJoined(
      (text) => Array.from(text.matchAll(this.#pattern), (m) => m[0]),
      (piece) => this.#countPiece(piece),
      2,
    );
  }

  #countOrdinary(text: string): number {
    let total = 0;
    for (const match of text.matchAll(this.#pattern)) total += this.#countPiece(match[0]);
    return total;
  }

  #countPiece(piece: string): number {
    const cached = this.#pieceCounts.get(piece);
    if (cached !== undefined) return cached;
    const bytes = this.#encoder.encode(piece);
    const symbols = new Array<string>(bytes.length);
    for (let i = 0; i < bytes.length; i++) symbols[i] = String.fromCharCode(bytes[i]!);
    const whole = symbols.join('');
    const n = this.#ranks.has(whole) ? 1 : mergeSymbols(symbols, this.#ranks).length;
    this.#pieceCounts.set(piece, n);
    return n;
  }
}
