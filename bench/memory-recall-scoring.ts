/**
 * What the memory benches share: plain BM25 (the baseline, computed in the bench's own run) and recall@k per
 * question type of the generated conversations (bench/memory-conversation.ts).
 */
import type { QuestionType } from './memory-conversation.ts';

export const KS = [5, 10, 25] as const;

/** Plain BM25 (k1 1.2, b 0.75) over lower-cased alphanumeric tokens: no stemming, stop words, names, dates or neighbours. */
export function plainBm25(turns: readonly string[]) {
  const tokenize = (t: string) => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const docs = turns.map((t) => {
    const tf = new Map<string, number>();
    const tokens = tokenize(t);
    for (const w of tokens) tf.set(w, (tf.get(w) ?? 0) + 1);
    return { tf, length: tokens.length };
  });
  const df = new Map<string, number>();
  for (const d of docs) for (const w of d.tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length;
  return (query: string, k: number): number[] => {
    const terms = [...new Set(tokenize(query))];
    const scores: Array<[number, number]> = [];
    docs.forEach((d, i) => {
      let s = 0;
      for (const w of terms) {
        const tf = d.tf.get(w);
        if (!tf) continue;
        const n = df.get(w)!;
        s += Math.log(1 + (docs.length - n + 0.5) / (n + 0.5)) * ((tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * d.length) / avg)));
      }
      if (s > 0) scores.push([i, s]);
    });
    return scores
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([i]) => i);
  };
}

export type Recall = Record<QuestionType | 'all', { n: number; at: Record<number, number> }>;

export function emptyRecall(): Recall {
  const one = () => ({ n: 0, at: { 5: 0, 10: 0, 25: 0 } as Record<number, number> });
  return { single: one(), multi_hop: one(), temporal: one(), image: one(), all: one() };
}

/** Adds one question: the share of its evidence turns in the top k of `ranked` (turn indexes), for each k. */
export function score(recall: Recall, type: QuestionType, evidence: number[], ranked: number[]) {
  for (const bucket of [recall[type], recall.all]) {
    bucket.n++;
    for (const k of KS) bucket.at[k]! += evidence.filter((e) => ranked.slice(0, k).includes(e)).length / evidence.length;
  }
}

/** Recall@k in percent (one decimal) per question type. */
export const percent = (recall: Recall): Record<string, Record<string, number>> =>
  Object.fromEntries(
    Object.entries(recall).map(([type, b]) => [
      type,
      { questions: b.n, ...Object.fromEntries(KS.map((k) => [`r@${k}`, Math.round((1000 * b.at[k]!) / Math.max(1, b.n)) / 10])) },
    ]),
  );
