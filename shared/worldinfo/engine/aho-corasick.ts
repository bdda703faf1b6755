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

    // 1. Trie. Edges live in one Map keyed node * 65536 + code unit; children are also chained per node.
    const edges = new Map<number, number>();
    let firstChild: number[] = [-1];
    let nextSibling: number[] = [-1];
    let edgeChar: number[] = [0];
    const terminal: number[][] = [[]];
    let nodes = 1;
    patterns.forEach((pattern, id) => {
      if (pattern.length === 0) return;
      let node = 0;
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern.charCodeAt(i);
        const key = node * 65536 + c;
        let child = edges.get(key);
        if (child === undefined) {
          child = nodes++;
          edges.set(key, child);
          firstChild.push(-1);
          nextSibling.push(firstChild[node] as number);
          firstChild[node] = child;
          edgeChar.push(c);
          terminal.push([]);
        }
        node = child;
      }
      (terminal[node] as number[]).push(id);
    });
    this.nodeCount = nodes;

    // 2. Failure and dictionary links, breadth first.
    const fail = new Int32Array(nodes);
    const dictLink = new Int32Array(nodes);
    const order = new Int32Array(nodes);
    let head = 0;
    let tail = 0;
    for (let child = firstChild[0] as number; child !== -1; child = nextSibling[child] as number) order[tail++] = child;
    while (head < tail) {
      const u = order[head++] as number;
      for (let v = firstChild[u] as number; v !== -1; v = nextSibling[v] as number) {
        order[tail++] = v;
        const c = edgeChar[v] as number;
        let f = fail[u] as number;
        let target = edges.get(f * 65536 + c);
        while (target === undefined && f !== 0) {
          f = fail[f] as number;
          target = edges.get(f * 65536 + c);
        }
        const fv = target !== undefined && target !== v ? target : 0;
        fail[v] = fv;
        dictLink[v] = (terminal[fv] as number[]).length > 0 ? fv : (dictLink[fv] as number);
      }
    }

    // 3. Flatten.
    this.#rootNext = new Int32Array(65536);
    for (let child = firstChild[0] as number; child !== -1; child = nextSibling[child] as number) {
      this.#rootNext[edgeChar[child] as number] = child;
    }
    const childStart = new Int32Array(nodes + 1);
    const childChar = new Uint16Array(Math.max(0, nodes - 1));
    const childNode = new Int32Array(Math.max(0, nodes - 1));
    let cursor = 0;
    const scratch: Array<[number, number]> = [];
    for (let u = 0; u < nodes; u++) {
      childStart[u] = cursor;
      if (u === 0) continue;
      scratch.length = 0;
      for (let v = firstChild[u] as number; v !== -1; v = nextSibling[v] as number) scratch.push([edgeChar[v] as number, v]);
      scratch.sort((a, b) => a[0] - b[0]);
      for (const [c, v] of scratch) {
        childChar[cursor] = c;
        childNode[cursor] = v;
        cursor++;
      }
    }
    childStart[nodes] = cursor;
    this.#childStart = childStart;
    this.#childChar = childChar;
    this.#childNode = childNode;
    this.#fail = fail;
    this.#dictLink = dictLink;

    const outStart = new Int32Array(nodes + 1);
    let outCount = 0;
    for (let u = 0; u < nodes; u++) {
      outStart[u] = outCount;
      outCount += (terminal[u] as number[]).length;
    }
    outStart[nodes] = outCount;
    const outList = new Int32Array(outCount);
    for (let u = 0, k = 0; u < nodes; u++) for (const id of terminal[u] as number[]) outList[k++] = id;
    this.#outStart = outStart;
    this.#outList = outList;
    // Release build-time structures early (large books).
    firstChild = [];
    nextSibling = [];
    edgeChar = [];
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
