/**
 * An immutable vector with structural sharing: items live in chunks of 64, so a set, push or truncate copies
 * one chunk and the chunk index (n / 64 pointers) instead of all n items. This keeps a chat's decided state
 * immutable (the state cache hands the same snapshot to concurrent commands) while an event on a
 * 10,000-message chat costs microseconds.
 */
export interface PersistentVector<T> {
  readonly chunks: readonly (readonly T[])[];
  readonly size: number;
}

const BITS = 6;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

export function emptyVector<T>(): PersistentVector<T> {
  return { chunks: [], size: 0 };
}

export function vectorGet<T>(vector: PersistentVector<T>, index: number): T {
  if (index < 0 || index >= vector.size) throw new RangeError(`index ${index} outside 0..${vector.size - 1}`);
  return vector.chunks[index >>> BITS]![index & MASK]!;
}

export function vectorSet<T>(vector: PersistentVector<T>, index: number, value: T): PersistentVector<T> {
  if (index < 0 || index >= vector.size) throw new RangeError(`index ${index} outside 0..${vector.size - 1}`);
  const c = index >>> BITS;
  const chunk = vector.chunks[c]!.slice();
  chunk[index & MASK] = value;
  const chunks = vector.chunks.slice();
  chunks[c] = chunk;
  return { chunks, size: vector.size };
}

export function vectorPush<T>(vector: PersistentVector<T>, value: T): PersistentVector<T> {
  const c = vector.size >>> BITS;
  const chunks = vector.chunks.slice(0, c + 1);
  chunks[c] = c < vector.chunks.length ? [...vector.chunks[c]!.slice(0, vector.size & MASK), value] : [value];
  return { chunks, size: vector.size + 1 };
}

/** The first `size` items. */
export function vectorTruncate<T>(vector: PersistentVector<T>, size: number): PersistentVector<T> {
  if (size >= vector.size) return vector;
  if (size <= 0) return emptyVector();
  const full = size >>> BITS;
  const rest = size & MASK;
  const chunks = vector.chunks.slice(0, full + (rest ? 1 : 0));
  if (rest) chunks[full] = vector.chunks[full]!.slice(0, rest);
  return { chunks, size };
}

export function vectorToArray<T>(vector: PersistentVector<T>): T[] {
  return vector.chunks.flat().slice(0, vector.size) as T[];
}
