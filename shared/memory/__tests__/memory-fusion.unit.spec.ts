import { describe, expect, test } from '@jest/globals';
import { fuseRankings, RRF_K, standoutFloor } from '../memory-fusion.ts';

const hit = (id: string, why = `matched terms "${id}"`) => ({ message_id: id, score: 1, why });

describe('fuseRankings (reciprocal rank fusion)', () => {
  test('a turn both sides rank beats one only a side ranks first; the score is the sum of 1/(k + rank)', () => {
    const fused = fuseRankings(
      [hit('a'), hit('b'), hit('c')],
      [
        { message_id: 'x', score: 0.9 },
        { message_id: 'b', score: 0.8 },
      ],
      10,
    );
    expect(fused.map((h) => h.message_id)).toEqual(['b', 'a', 'x', 'c']);
    expect(fused[0]!.score).toBeCloseTo(1 / (RRF_K + 2) + 1 / (RRF_K + 2), 6);
    expect(fused[1]!.score).toBeCloseTo(1 / (RRF_K + 1), 6);
  });

  test('why says which side found each hit', () => {
    const fused = fuseRankings(
      [hit('a')],
      [
        { message_id: 'a', score: 0.834 },
        { message_id: 'z', score: 0.51 },
      ],
      10,
    );
    expect(fused.find((h) => h.message_id === 'a')!.why).toBe('matched terms "a"; similar meaning: 0.83');
    expect(fused.find((h) => h.message_id === 'z')!.why).toBe('similar meaning: 0.51');
  });

  test('neighbours at or below the similarity floor do not count; the limit holds; ties keep the better rank', () => {
    const fused = fuseRankings(
      [hit('a'), hit('b')],
      [
        { message_id: 'c', score: 0.2 },
        { message_id: 'd', score: 0.05 },
      ],
      2,
      { minSimilarity: 0.1 },
    );
    expect(fused.map((h) => h.message_id)).toEqual(['a', 'c']);
    expect(fuseRankings([], [], 5)).toEqual([]);
  });

  test('with a standout gate, only neighbours the model singles out count', () => {
    const flat = Array.from({ length: 20 }, (_, i) => ({ message_id: `n${i}`, score: 0.3 - i * 0.001 }));
    expect(standoutFloor(flat, 2)).toBeGreaterThan(0.3);
    expect(fuseRankings([hit('a')], flat, 5, { standout: 2 }).map((h) => h.message_id)).toEqual(['a']);
    const singled = [{ message_id: 'typo', score: 0.8 }, ...flat];
    const fused = fuseRankings([hit('a')], singled, 5, { standout: 2 });
    expect(fused.map((h) => h.message_id)).toEqual(['a', 'typo']);
    expect(fused[1]!.why).toBe('similar meaning: 0.80');
    // A short list says too little about the spread: every neighbour counts.
    expect(standoutFloor(flat.slice(0, 3), 2)).toBe(-Infinity);
  });

  test('weights shift the balance between the sides', () => {
    const lexicalFirst = fuseRankings([hit('a')], [{ message_id: 'b', score: 0.9 }], 2, { weights: { lexical: 2, embedding: 1 } });
    expect(lexicalFirst.map((h) => h.message_id)).toEqual(['a', 'b']);
    const embeddingFirst = fuseRankings([hit('a')], [{ message_id: 'b', score: 0.9 }], 2, { weights: { lexical: 1, embedding: 2 } });
    expect(embeddingFirst.map((h) => h.message_id)).toEqual(['b', 'a']);
  });
});
