/**
 * Token counting for SentencePiece BPE models (LLaMA 1/2, Mistral), as SentencePiece's own `EncodeAsIds` counts
 * (what SillyTavern's server calls): no BOS token, a dummy-prefix `▁` before the text, spaces escaped to `▁`, no
 * other normalisation (both models use the `identity` normaliser), and byte fallback (`<0x0A>` for a newline: a
 * character missing from the vocabulary counts one token per UTF-8 byte).
 *
 * SentencePiece merges any two adjacent symbols whose concatenation is a normal piece of the vocabulary, best score
 * first, the leftmost pair on a tie. The packages ship the vocabulary without the scores; in both models (read from
 * the `.model` files SillyTavern ships) a piece's score is `-(id - 259)`, except the pieces made only of `▁` (`▁`,
 * `▁▁`, … up to 16), which all score -1e9: they merge last, leftmost first. So the rank here is the id, or
 * `WHITESPACE_RANK` for those. No normal piece has a `▁` after another character, so no merge crosses the start of a `▁`-run: the
 * text is cut there into chunks that are merged (and their counts cached) independently, which is what makes the
 * count fast on long texts with repeated words.
 */
import { PieceCountCache, mergeSymbols } from './bpe-merge.ts';
import { tailJoined, type JoinedTokenCount } from './joined-count.ts';

const SPACE_MARK = '\u2581';
const CHUNK = /\u2581+[^\u2581]*|[^\u2581]+/g;
const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;
const WHITESPACE_PIECE = /^\u2581+$/;
const WHITESPACE_RANK = 1e9;

function utf8Length(char: string): number {
  const code = char.codePointAt(0)!;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

export class SentencePieceBpeCounter {
  /** Normal pieces only (control and byte pieces are never the result of a merge) → merge rank. */
  readonly #pieces = new Map<string, number>();
  readonly #chunkCounts = new PieceCountCache(200_000);

  /** `vocabulary[id]` is the piece of id `id`; ids 0-2 are `<unk>`, `<s>`, `</s>`. */
  constructor(vocabulary: readonly string[]) {
    vocabulary.forEach((piece, id) => {
      if (id < 3 || BYTE_PIECE.test(piece)) return;
      if (!this.#pieces.has(piece)) this.#pieces.set(piece, WHITESPACE_PIECE.test(piece) ? WHITESPACE_RANK : id);
    });
  }

  /** Tokens of `text` as SentencePiece `EncodeAsIds` returns them (no BOS); 0 for the empty string. */
  count(text: string): number {
    if (text === '') return 0;
    const escaped = SPACE_MARK + text.replaceAll(' ', SPACE_MARK);
    let total = 0;
    for (const match of escaped.matchAll(CHUNK)) total += this.#countChunk(match[0]);
    return total;
  }

  /** The count of a growing text (`joined-count.ts`): only its last chunk can change when text is appended. The
   * dummy prefix goes before the first non-empty text only, as when the whole text is counted at once. Chunks of
   * a continuation are cut from the previous last chunk plus the new text (escaped without a prefix). */
  startJoined(): JoinedTokenCount {
    return tailJoined(
      (text, atStart) => {
        // `text` is the open chunk (already escaped) followed by new, unescaped text
        return this.#chunksOf(text, atStart);
      },
      (chunk) => this.#countChunk(chunk),
      1,
    );
  }

  #chunksOf(text: string, atStart: boolean): string[] {
    const escaped = (atStart ? SPACE_MARK : '') + text.replaceAll(' ', SPACE_MARK);
    return escaped.match(CHUNK) ?? [];
  }

  #countChunk(chunk: string): number {
    const cached = this.#chunkCounts.get(chunk);
    if (cached !== undefined) return cached;
    let n = 0;
    // What no merge produced is a single character; outside the vocabulary it falls back to its UTF-8 bytes.
    for (const symbol of mergeSymbols(Array.from(chunk), this.#pieces)) {
      n += this.#pieces.has(symbol) ? 1 : utf8Length(symbol);
    }
    this.#chunkCounts.set(chunk, n);
    return n;
  }
}
