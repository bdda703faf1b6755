import { describe, expect, test } from '@jest/globals';
import {
  emptyVector,
  vectorGet,
  vectorPush,
  vectorSet,
  vectorToArray,
  vectorTruncate,
  type PersistentVector,
} from '../persistent-vector.ts';

const fill = (n: number) => {
  let v: PersistentVector<number> = emptyVector();
  for (let i = 0; i < n; i++) v = vectorPush(v, i);
  return v;
};

describe('persistent vector', () => {
  test('push, get and set across chunk boundaries; older versions never change', () => {
    const v = fill(200);
    expect(vectorToArray(v)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const w = vectorSet(v, 130, -1);
    expect(vectorGet(w, 130)).toBe(-1);
    expect(vectorGet(v, 130)).toBe(130);
    const x = vectorPush(v, 200);
    const y = vectorPush(v, 999);
    expect(vectorGet(x, 200)).toBe(200);
    expect(vectorGet(y, 200)).toBe(999);
    expect(v.size).toBe(200);
    expect(() => vectorGet(v, 200)).toThrow(RangeError);
  });

  test('truncate then push reuses nothing it must not', () => {
    const v = fill(130);
    for (const n of [0, 1, 63, 64, 65, 128, 129, 130, 500]) {
      const t = vectorTruncate(v, n);
      expect(vectorToArray(t)).toEqual(Array.from({ length: Math.min(n, 130) }, (_, i) => i));
      const p = vectorPush(t, -5);
      expect(vectorGet(p, Math.min(n, 130))).toBe(-5);
      expect(vectorToArray(v)).toHaveLength(130);
      if (n < 130) expect(vectorGet(v, n)).toBe(n);
    }
  });
});
