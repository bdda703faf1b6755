/**
 * Token counting for SentencePiece BPE models (LLaMA 1/2, Mistral), as SentencePiece's own `EncodeAsIds` counts
 * (what SillyTavern's server calls): no BOS token, a dummy-prefix `▁` before the text, spaces escaped to `▁`, no
 * other normalisation (both models use the `identity` normaliser), and byte fallback (`<0x0A>` for a newline: a
 * character missing from the vocabulary counts one token per UTF-8 byte).
 *
 * SentencePiece merges any two adjacent symbols whose concatenation is a normal piece of the vocabulary, best score
 * first, the leftmost pair on a tie. In these vocabularies the scores fall as the id rises, so "best score" is
 * "lowest id". No normal piece has a `▁` after another character, so no merge crosses the start of a `▁`-run: the
 * text is cut there into chunks that are merged (and their counts cached) independently, which is what makes the
 * count fast on long texts with repeated words.
 */

/** A priority queue of candidate merges: lowest merged id first, then the leftmost. Parallel arrays, no objects. */
class MergeQueue {
  #rank: number[] = [];
  #left: number[] = [];
  #right: number[] = [];
  #stampLeft: number[] = [];
  #stampRight: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#size = 0;
  }

  #less(a: number, b: number): boolean {
    const ra = this.#rank[a]!;
    const rb = this.#rank[b]!;
    return ra < rb || (ra === rb && this.#left[a]! < this.#left[b]!);
  }

  #swap(a: number, b: number): void {
    for (const arr of [this.#rank, this.#left, this.#right, this.#stampLeft, this.#stampRight]) {
      const t = arr[a]!;
      arr[a] = arr[b]!;
      arr[b] = t;
    }
  }

  push(rank: number, left: number, right: number, stampLeft: number, stampRight: number): void {
    let i = this.#size++;
    this.#rank[i] = rank;
    this.#left[i] = left;
    this.#right[i] = right;
    this.#stampLeft[i] = stampLeft;
    this.#stampRight[i] = stampRight;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes the best candidate into `out` ([rank, left, right, stampLeft, stampRight]). */
  pop(out: number[]): void {
    out[0] = this.#rank[0]!;
    out[1] = this.#left[0]!;
    out[2] = this.#right[0]!;
    out[3] = this.#stampLeft[0]!;
    out[4] = this.#stampRight[0]!;
    const last = --this.#size;
    if (last === 0) return;
    this.#swap(0, last);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.#less(l, best)) best = l;
      if (r < last && this.#less(r, best)) best = r;
      if (best === i) break;
      this.#swap(i, best);
      i = best;
    }
  }
}

const SPACE_MARK = '\u2581';
const CHUNK = /\u2581+[^\u2581]*|[^\u2581]+/g;
const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;
/** Chunk counts kept before the cache is emptied (a bound on memory; the words of a language fit many times). */
const CHUNK_CACHE_LIMIT = 200_000;

function utf8Length(char: string): number {
  const code = char.codePointAt(0)!;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

export class SentencePieceBpeCounter {
  /** Normal pieces only (control and byte pieces are never the result of a merge). */
  readonly #pieces = new Map<string, number>();
  readonly #chunkCounts = new Map<string, number>();
  readonly #queue = new MergeQueue();
  readonly #popped: number[] = [0, 0, 0, 0, 0];

  /** `vocabulary[id]` is the piece of id `id`; ids 0-2 are `<unk>`, `<s>`, `</s>`. */
  constructor(vocabulary: readonly string[]) {
    vocabulary.forEach((piece, id) => {
      if (id < 3 || BYTE_PIECE.test(piece)) return;
      if (!this.#pieces.has(piece)) this.#pieces.set(piece, id);
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

  #countChunk(chunk: string): number {
    const cached = this.#chunkCounts.get(chunk);
    if (cached !== undefined) return cached;
    const n = this.#mergeCount(chunk);
    if (this.#chunkCounts.size >= CHUNK_CACHE_LIMIT) this.#chunkCounts.clear();
    this.#chunkCounts.set(chunk, n);
    return n;
  }

  /** Runs the merges of one chunk and counts what is left (a symbol outside the vocabulary counts its bytes). */
  #mergeCount(chunk: string): number {
    const symbols = Array.from(chunk);
    const n = symbols.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const stamp = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const queue = this.#queue;
    queue.clear();
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const id = this.#pieces.get(symbols[left]! + symbols[right]!);
      if (id !== undefined) queue.push(id, left, right, stamp[left]!, stamp[right]!);
    };
    for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
    const top = this.#popped;
    while (queue.size > 0) {
      queue.pop(top);
      const left = top[1]!;
      const right = top[2]!;
      // A candidate is stale once either side has been merged into something else since it was queued.
      if (next[left] !== right || stamp[left] !== top[3] || stamp[right] !== top[4]) continue;
      symbols[left] = symbols[left]! + symbols[right]!;
      stamp[left]!++;
      stamp[right] = -1;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      consider(prev[left]!, left);
      consider(left, after);
    }
    let count = 0;
    for (let i = 0; i >= 0; i = next[i]!) {
      const symbol = symbols[i]!;
      count += this.#pieces.has(symbol) ? 1 : utf8Length(symbol);
    }
    return count;
  }
}
