/**
 * A small least-recently-used map. `Map` keeps insertion order, so re-inserting on access makes the first key the
 * least recently used one. Shared by the tokenizer (counts of repeated strings) and the lorebook engine
 * (compiled regexes, book indexes).
 */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  /** Optional second bound: the summed weight of the values (an estimate of their memory). */
  readonly #weigh: ((value: V, key: K) => number) | undefined;
  readonly #maxWeight: number;
  #weight = 0;

  constructor(maxEntries: number, options: { maxWeight?: number; weigh?: (value: V, key: K) => number } = {}) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('LruCache size must be a positive integer');
    this.#max = maxEntries;
    this.#weigh = options.weigh;
    this.#maxWeight = options.maxWeight ?? Infinity;
  }

  /** The summed weight of the values held (0 without a `weigh` function). */
  get weight(): number {
    return this.#weight;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.#weigh?.(value, key) ?? 0;
    // A value heavier than the whole budget is not kept (it would evict everything else).
    if (weight > this.#maxWeight) return;
    while (this.#map.size > 0 && (this.#map.size >= this.#max || this.#weight + weight > this.#maxWeight)) {
      this.delete(this.#map.keys().next().value as K);
    }
    this.#map.set(key, value);
    this.#weight += weight;
  }

  delete(key: K): boolean {
    if (!this.#map.has(key)) return false;
    if (this.#weigh) this.#weight -= this.#weigh(this.#map.get(key) as V, key);
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#weight = 0;
  }
}
