import { describe, expect, test } from '@jest/globals';
import { decodeVector, encodeVector, normalized } from '../vector-codec.ts';

describe('vector codec', () => {
  test('float32 little-endian round trip, base64 included', () => {
    const v = Float32Array.of(1.5, -2.25, 0, 3.4028234663852886e38);
    const bytes = encodeVector(v);
    expect(bytes.byteLength).toBe(16);
    expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 0xc0, 0x3f]);
    expect(decodeVector(Buffer.from(bytes.toString('base64'), 'base64'))).toEqual(v);
  });
  test('normalised to length 1; a zero vector stays zero', () => {
    expect([...normalized(Float32Array.of(3, 4))]).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect([...normalized(Float32Array.of(0, 0))]).toEqual([0, 0]);
  });
});
