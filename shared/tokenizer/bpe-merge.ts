/**
 * The merge loop that SentencePiece BPE and tiktoken-style byte-level BPE share: adjacent symbols whose
 * concatenation has a rank are merged, the lowest rank first and the leftmost pair on a tie, until no pair has a
 * rank. A binary heap of candidate pairs with lazy invalidation keeps it O(n log n), so a long symbol run (a CJK
 * paragraph, a line of `=`) costs no more per character than a word.
 */

/** Candidate merges in parallel arrays: lowest rank first, then the leftmost. */
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

const queue = new MergeQueue();
const popped: number[] = [0, 0, 0, 0, 0];

/**
 * Merges `symbols` (modified in place) by `ranks` and returns what is left, in order. `ranks` maps a concatenation
 * to its rank; a concatenation it does not hold is never merged.
 */
export function mergeSymbols(symbols: string[], ranks: ReadonlyMap<string, number>): string[] {
  const n = symbols.length;
  if (n < 2) return symbols;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const stamp = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  queue.clear();
  const consider = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const rank = ranks.get(symbols[left]! + symbols[right]!);
    if (rank !== undefined) queue.push(rank, left, right, stamp[left]!, stamp[right]!);
  };
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
  while (queue.size > 0) {
    queue.pop(popped);
    const left = popped[1]!;
    const right = popped[2]!;
    // A candidate is stale once either side has been merged into something else since it was queued.
    if (next[left] !== right || stamp[left] !== popped[3] || stamp[right] !== popped[4]) continue;
    symbols[left] = symbols[left]! + symbols[right]!;
    stamp[left]!++;
    stamp[right] = -1;
    const after = next[right]!;
    next[left] = after;
    if (after >= 0) prev[after] = left;
    consider(prev[left]!, left);
    consider(left, after);
  }
  const out: string[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(symbols[i]!);
  return out;
}

/**
 * A bounded map of piece → count, emptied when full: at most `limit` pieces and `maxChars` characters of keys (a
 * piece is a pre-tokenized word or chunk, usually a few characters; the character bound keeps distinct long pieces,
 * e.g. a text without spaces, from holding megabytes). The pieces of a language fit many times over.
 */
export class PieceCountCache {
  readonly #counts = new Map<string, number>();
  readonly limit: number;
  readonly maxChars: number;
  #chars = 0;
  constructor(limit: number, maxChars = limit * 16) {
    this.limit = limit;
    this.maxChars = maxChars;
  }

  get size(): number {
    return this.#counts.size;
  }

  /** Characters of the pieces held. */
  get chars(): number {
    return this.#chars;
  }

  get(piece: string): number | undefined {
    return this.#counts.get(piece);
  }

  set(piece: string, count: number): void {
    if (piece.length > this.maxChars) return;
    if (this.#counts.size >= this.limit || this.#chars + piece.length > this.maxChars) {
      this.#counts.clear();
      this.#chars = 0;
    }
    if (!this.#counts.has(piece)) this.#chars += piece.length;
    this.#counts.set(piece, count);
  }
}
