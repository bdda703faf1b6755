/**
 * The run's books merged into one entry list: global entry ids (`gid`, a book's offset plus the entry's index)
 * and SillyTavern's entry order (`sortFn` over its merged list).
 */
import type { BookIndex, PreparedEntry } from './book-index.ts';
import { entryKeysFor, indexForBook } from './book-index.ts';
import type { WorldInfoBookInput, WorldInfoInput, WorldInfoSettings } from './types.ts';

export interface RunBook {
  input: WorldInfoBookInput;
  index: BookIndex;
  keys: readonly string[];
  offset: number;
  tier: number;
  rank: number;
}

export function tierOf(source: WorldInfoBookInput['source'], strategy: WorldInfoSettings['insertionStrategy']): number {
  if (source === 'chat') return 0;
  if (source === 'persona') return 1;
  if (strategy === 'character-first') return source === 'character' ? 2 : 3;
  if (strategy === 'global-first') return source === 'global' ? 2 : 3;
  return 2;
}

function srcRank(b: WorldInfoBookInput): number {
  return b.source === 'global' ? 0 : 1;
}

export class RunBooks {
  readonly list: RunBook[] = [];
  readonly total: number;
  private readonly bookOfGid: Int32Array;

  constructor(
    inputBooks: readonly WorldInfoBookInput[],
    strategy: WorldInfoSettings['insertionStrategy'],
    indexCache: WorldInfoInput['indexCache'],
  ) {
    const ids = new Set<string>();
    for (const b of inputBooks) {
      if (ids.has(b.id)) throw new TypeError(`Book id '${b.id}' is given twice; entry keys <bookId>.<uid> must be unique`);
      ids.add(b.id);
    }
    let total = 0;
    const tierRank = new Map<number, number>();
    const orderedForRank = inputBooks
      .map((b, i) => ({ b, i, tier: tierOf(b.source, strategy) }))
      // Within a tier, books keep input order; for "evenly", global books come before character books.
      .sort((x, y) => x.tier - y.tier || (x.tier === 2 && strategy === 'evenly' ? srcRank(x.b) - srcRank(y.b) : 0) || x.i - y.i);
    const rankOf = new Map<number, number>();
    for (const { i, tier } of orderedForRank) {
      const r = tierRank.get(tier) ?? 0;
      rankOf.set(i, r);
      tierRank.set(tier, r + 1);
    }
    inputBooks.forEach((b, i) => {
      const index = indexForBook(b, indexCache);
      this.list.push({
        input: b,
        index,
        keys: entryKeysFor(index, b.id),
        offset: total,
        tier: tierOf(b.source, strategy),
        rank: rankOf.get(i) ?? 0,
      });
      total += index.entries.length;
    });
    this.total = total;
    this.bookOfGid = new Int32Array(total);
    this.list.forEach((b, bi) => this.bookOfGid.fill(bi, b.offset, b.offset + b.index.entries.length));
  }

  /** The position of the entry's book in `list` (the matcher's book number). */
  bookNumber(gid: number): number {
    return this.bookOfGid[gid] as number;
  }

  bookOf(gid: number): RunBook {
    return this.list[this.bookOfGid[gid] as number] as RunBook;
  }

  prep(gid: number): PreparedEntry {
    const b = this.bookOf(gid);
    return b.index.entries[gid - b.offset] as PreparedEntry;
  }

  entryKey(gid: number): string {
    const b = this.bookOf(gid);
    return b.keys[gid - b.offset] as string;
  }

  /** SillyTavern's `sortFn` over its merged entry list: tier, order descending, then source position. */
  readonly compare = (a: number, b: number): number => {
    const ba = this.bookOf(a);
    const bb = this.bookOf(b);
    if (ba.tier !== bb.tier) return ba.tier - bb.tier;
    const oa = this.prep(a).resolved.order;
    const ob = this.prep(b).resolved.order;
    if (oa !== ob) return ob - oa;
    if (ba.rank !== bb.rank) return ba.rank - bb.rank;
    return a - b;
  };

  gidByKey(key: string): number | undefined {
    for (const b of this.list) {
      if (!key.startsWith(`${b.input.id}.`)) continue;
      const local = b.index.byUidKey.get(key.slice(b.input.id.length + 1));
      if (local !== undefined) return b.offset + local;
    }
    return undefined;
  }
}
