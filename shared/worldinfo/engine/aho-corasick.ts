/**
 * Aho–Corasick automaton over UTF-16 code units: one pass over a text reports every occurrence of every pattern,
 * in O(text length + occurrences), whatever the number of patterns.
 *
 * Layout (built once, then immutable): a dense 65536-entry transition table for the root (most steps of a scan
 * start there), sorted child arrays for the other nodes, failure links, and "dictionary suffix links" so that
 * reporting walks only nodes that end a pattern. Patterns are matched against case-folded text (`foldCode`); the
 * patterns themselves must already be folded.
 */
import { foldCode } from './text.ts';

export type MatchCallback = (patternId: number, end: number) => void;

export class AhoCorasick {
  readonly patternCount: number;
  readonly nodeCount: number;
  readonly #rootNext: Int32Array;
  readonly #childStart: Int32Array;
  readonly #childChar: Uint16Array;
  readonly #childNode: Int32Array;
  readonly #fail: Int32Array;
  readonly #outStart: Int32Array;
  readonly #outList: Int32Array;
  readonly #dictLink: Int32Array;
  readonly #patternLength: Int32Array;

  /** `patterns[i]` gets id `i`. Empty patterns never match. */
  constructor(patterns: readonly string[]) {
    this.patternCount = patterns.length;
    this.#patternLength = Int32Array.from(patterns, (p) => p.length);

    // 1. Trie, built from the patterns in sorted order: each pattern shares its longest common prefix with the
    //    previous one, so the path of the previous pattern is reused and children are created in character order.
    const ids = patterns.map((_, i) => i).filter((i) => (patterns[i] as string).length > 0);
    ids.sort((a, b) => {
      const pa = patterns[a] as string;
      const pb = patterns[b] as string;
      return pa < pb ? -1 : pa > pb ? 1 : a - b;
    });
    let capacity = 1;
    for (const id of ids) capacity += (patterns[id] as string).length;
    const parent = new Int32Array(capacity);
    const edgeChar = new Uint16Array(capacity);
    const termCount = new Int32Array(capacity + 1);
    const termNode = new Int32Array(ids.length);
    const path: number[] = [0];
    let nodes = 1;
    let previous = '';
    ids.forEach((id, n) => {
      const pattern = patterns[id] as string;
      let lcp = 0;
      const max = Math.min(pattern.length, previous.length);
      while (lcp < max && pattern.charCodeAt(lcp) === previous.charCodeAt(lcp)) lcp++;
      path.length = lcp + 1;
      for (let i = lcp; i < pattern.length; i++) {
        const node = nodes++;
        parent[node] = path[i] as number;
        edgeChar[node] = pattern.charCodeAt(i);
        path.push(node);
      }
      const end = path[pattern.length] as number;
      termNode[n] = end;
      termCount[end] = (termCount[end] as number) + 1;
      previous = pattern;
    });
    this.nodeCount = nodes;

    // 2. Children grouped by parent (a stable counting sort keeps them in character order).
    const childStart = new Int32Array(nodes + 1);
    for (let v = 1; v < nodes; v++) childStart[(parent[v] as number) + 1] = (childStart[(parent[v] as number) + 1] as number) + 1;
    for (let u = 0; u < nodes; u++) childStart[u + 1] = (childStart[u + 1] as number) + (childStart[u] as number);
    const childChar = new Uint16Array(Math.max(0, nodes - 1));
    const childNode = new Int32Array(Math.max(0, nodes - 1));
    const cursor = childStart.slice(0, nodes);
    for (let v = 1; v < nodes; v++) {
      const u = parent[v] as number;
      const at = cursor[u] as number;
      cursor[u] = at + 1;
      childChar[at] = edgeChar[v] as number;
      childNode[at] = v;
    }
    this.#childStart = childStart;
    this.#childChar = childChar;
    this.#childNode = childNode;
    this.#rootNext = new Int32Array(65536);
    for (let k = childStart[0] as number; k < (childStart[1] as number); k++)
      this.#rootNext[childChar[k] as number] = childNode[k] as number;

    // 3. Outputs (pattern ids ending at each node).
    const outStart = new Int32Array(nodes + 1);
    for (let u = 0; u < nodes; u++) outStart[u + 1] = (outStart[u] as number) + (termCount[u] as number);
    const outList = new Int32Array(ids.length);
    const outCursor = outStart.slice(0, nodes);
    ids.forEach((id, n) => {
      const node = termNode[n] as number;
      const at = outCursor[node] as number;
      outCursor[node] = at + 1;
      outList[at] = id;
    });
    this.#outStart = outStart;
    this.#outList = outList;

    // 4. Failure and dictionary links, breadth first.
    const fail = new Int32Array(nodes);
    const dictLink = new Int32Array(nodes);
    const queue = new Int32Array(nodes);
    let head = 0;
    let tail = 0;
    for (let k = childStart[0] as number; k < (childStart[1] as number); k++) queue[tail++] = childNode[k] as number;
    while (head < tail) {
      const u = queue[head++] as number;
      for (let k = childStart[u] as number; k < (childStart[u + 1] as number); k++) {
        const v = childNode[k] as number;
        queue[tail++] = v;
        const c = childChar[k] as number;
        let f = fail[u] as number;
        let target = f === 0 ? (this.#rootNext[c] as number) : this.#child(f, c);
        while (target <= 0 && f !== 0) {
          f = fail[f] as number;
          target = f === 0 ? (this.#rootNext[c] as number) : this.#child(f, c);
        }
        const fv = target > 0 && target !== v ? target : 0;
        fail[v] = fv;
        dictLink[v] = (outStart[fv + 1] as number) > (outStart[fv] as number) ? fv : (dictLink[fv] as number);
      }
    }
    this.#fail = fail;
    this.#dictLink = dictLink;
  }

  /** Length (code units) of pattern `id`. */
  patternLength(id: number): number {
    return this.#patternLength[id] as number;
  }

  #child(node: number, c: number): number {
    const childChar = this.#childChar;
    let lo = this.#childStart[node] as number;
    let hi = (this.#childStart[node + 1] as number) - 1;
    if (hi - lo < 8) {
      for (let i = lo; i <= hi; i++) {
        const cc = childChar[i] as number;
        if (cc === c) return this.#childNode[i] as number;
        if (cc > c) return -1;
      }
      return -1;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const cc = childChar[mid] as number;
      if (cc === c) return this.#childNode[mid] as number;
      if (cc < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Scans `text[from, to)` (case-folded on the fly) and calls `onMatch(patternId, end)` for every occurrence,
   * where `end` is the offset just after the occurrence. Occurrences are reported in order of their end offset.
   */
  scan(text: string, onMatch: MatchCallback, from = 0, to = text.length): void {
    const rootNext = this.#rootNext;
    const fail = this.#fail;
    const outStart = this.#outStart;
    const outList = this.#outList;
    const dictLink = this.#dictLink;
    let s = 0;
    for (let i = from; i < to; i++) {
      const c = foldCode(text.charCodeAt(i));
      for (;;) {
        if (s === 0) {
          s = rootNext[c] as number;
          break;
        }
        const next = this.#child(s, c);
        if (next !== -1) {
          s = next;
          break;
        }
        s = fail[s] as number;
      }
      let t = (outStart[s] as number) !== (outStart[s + 1] as number) ? s : (dictLink[s] as number);
      while (t !== 0) {
        const end = outStart[t + 1] as number;
        for (let k = outStart[t] as number; k < end; k++) onMatch(outList[k] as number, i + 1);
        t = dictLink[t] as number;
      }
    }
  }
}
