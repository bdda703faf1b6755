/**
 * Long-term memory's in-process embedding index: exact cosine top-10 over one chat's vectors (256 dimensions,
 * seeded random), 10,000 and 100,000 messages, every message on the active path.
 *
 *   node bench/embedding-neighbours.bench.ts            (Node 24: ./node_modules/.bin/node bench/embedding-neighbours.bench.ts)
 *
 *  - index: `rankByCosine` over the cached Float32Array of normalised rows (what `embeddingNeighbours` does after
 *    the query's own embedding and the active-path read);
 *  - baseline (same run): the plain way, vectors as number[][], each cosine computed with both norms and every
 *    score sorted.
 * Results: a table on stdout and bench/results/embedding-neighbours.json (untracked).
 */
import { rankByCosine } from '../shared/memory/cosine-rank.ts';
import { normalized } from '../shared/memory/vector-codec.ts';
import { summarize, table, writeResult } from './bench-kit.ts';

const DIMENSIONS = 256;
const QUERIES = 30;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
}

function baseline(vectors: number[][], ids: string[], query: number[], k: number) {
  const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const qn = norm(query);
  return vectors
    .map((v, i) => ({ message_id: ids[i]!, score: v.reduce((a, x, j) => a + x * query[j]!, 0) / (norm(v) * qn) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

const rows: Record<string, unknown>[] = [];
for (const n of [10_000, 100_000]) {
  const random = seeded(n);
  const vectors = Array.from({ length: n }, () => Array.from({ length: DIMENSIONS }, random));
  const ids = vectors.map((_, i) => `m${String(i).padStart(6, '0')}`);
  const matrix = new Float32Array(n * DIMENSIONS);
  vectors.forEach((v, i) => matrix.set(normalized(Float32Array.from(v)), i * DIMENSIONS));
  const queries = Array.from({ length: QUERIES }, () => Array.from({ length: DIMENSIONS }, random));
  const active = new Set(ids);
  const index: number[] = [];
  const base: number[] = [];
  let agree = 0;
  for (const q of queries) {
    let t = performance.now();
    const mine = rankByCosine(matrix, DIMENSIONS, ids, normalized(Float32Array.from(q)), 10, (id) => active.has(id));
    index.push(performance.now() - t);
    t = performance.now();
    const theirs = baseline(vectors, ids, q, 10);
    base.push(performance.now() - t);
    if (mine.map((h) => h.message_id).join() === theirs.map((h) => h.message_id).join()) agree++;
  }
  const a = summarize(index);
  const b = summarize(base);
  rows.push({
    messages: n,
    index_p50_ms: a.p50,
    index_p95_ms: a.p95,
    baseline_p50_ms: b.p50,
    baseline_p95_ms: b.p95,
    same_top10: `${agree}/${QUERIES}`,
  });
}
table(rows);
writeResult('embedding-neighbours', rows);
