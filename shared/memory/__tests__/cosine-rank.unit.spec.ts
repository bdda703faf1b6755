import { describe, expect, test } from '@jest/globals';
import { rankByCosine } from '../cosine-rank.ts';
import { normalized } from '../vector-codec.ts';

const rows = (...vs: number[][]) => Float32Array.from(vs.flatMap((v) => [...normalized(Float32Array.from(v))]));

describe('rankByCosine', () => {
  const ids = ['a', 'b', 'c', 'd'];
  const matrix = rows([1, 0], [0.8, 0.6], [0, 1], [-1, 0]);
  test('best first, exactly the k nearest, and equal to sorting every score', () => {
    const q = normalized(Float32Array.of(1, 0.1));
    const top = rankByCosine(matrix, 2, ids, q, 2);
    expect(top.map((h) => h.message_id)).toEqual(['a', 'b']);
    const all = rankByCosine(matrix, 2, ids, q, 10);
    expect(all.map((h) => h.message_id)).toEqual(['a', 'b', 'c', 'd']);
    expect(all[3]!.score).toBeCloseTo(-Math.cos(Math.atan(0.1)), 5);
  });
  test('only included ids; ties by id; nothing for k 0 or a query of another size', () => {
    const q = normalized(Float32Array.of(1, 0));
    expect(rankByCosine(matrix, 2, ids, q, 2, (id) => id !== 'a').map((h) => h.message_id)).toEqual(['b', 'c']);
    expect(rankByCosine(rows([1, 0], [1, 0]), 2, ['y', 'x'], q, 2).map((h) => h.message_id)).toEqual(['x', 'y']);
    expect(rankByCosine(matrix, 2, ids, q, 0)).toEqual([]);
    expect(rankByCosine(matrix, 2, ids, Float32Array.of(1, 0, 0), 2)).toEqual([]);
  });
});
