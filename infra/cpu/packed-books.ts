/**
 * Lorebooks crossing to the pool's threads. Copying a 10,000-entry book into a thread's message costs the request
 * thread ~40 ms each time (structured clone), more than the scan itself with a cached index. A book with a version
 * is instead packed once per (book, version) into shared memory as JSON (no copy when posted), and each thread
 * decodes it once per (book, version) and keeps it, next to the index it builds from it.
 */
import { LruCache } from '../../shared/tokenizer/lru.ts';
import type { WorldInfoBookInput, WorldInfoEntry } from '../../shared/worldinfo/index.ts';

export interface PackedEntries {
  /** `<book id>@<version>`. */
  key: string;
  json: SharedArrayBuffer;
}

/** A book as a task carries it: its entries, or (versioned books sent to a thread) their packed form. */
export type TaskBook = Omit<WorldInfoBookInput, 'entries' | 'index'> & { entries?: readonly WorldInfoEntry[]; packed?: PackedEntries };

/** Books kept packed (request thread) and decoded (each thread): WORLD_INFO_CACHE_BOOKS, see configurePackedBooks. */
export const DEFAULT_CACHED_BOOKS = 16;
/**
 * And at most this many bytes of packed JSON, in each of the two caches (a decoded book is weighed by its packed
 * size): 16 large books would otherwise hold hundreds of megabytes in every thread.
 */
export const PACKED_BOOKS_MAX_BYTES = 64 * 2 ** 20;

interface DecodedBook {
  entries: readonly WorldInfoEntry[];
  packedBytes: number;
}

const packedCache = (books: number, maxBytes: number) =>
  new LruCache<string, PackedEntries>(books, { maxWeight: maxBytes, weigh: (packed) => packed.json.byteLength });
const decodedCache = (books: number, maxBytes: number) =>
  new LruCache<string, DecodedBook>(books, { maxWeight: maxBytes, weigh: (decoded) => decoded.packedBytes });

let packedByKey = packedCache(DEFAULT_CACHED_BOOKS, PACKED_BOOKS_MAX_BYTES);
let unpackedByKey = decodedCache(DEFAULT_CACHED_BOOKS, PACKED_BOOKS_MAX_BYTES);

/** Sets how many books (and bytes) this thread keeps packed and decoded (and forgets the ones kept so far). */
export function configurePackedBooks(books: number, maxBytes = PACKED_BOOKS_MAX_BYTES): void {
  packedByKey = packedCache(books, maxBytes);
  unpackedByKey = decodedCache(books, maxBytes);
}

/** Books and bytes held (tests and metrics). */
export function packedBooksHeld(): { packed: number; packedBytes: number; decoded: number; decodedBytes: number } {
  return { packed: packedByKey.size, packedBytes: packedByKey.weight, decoded: unpackedByKey.size, decodedBytes: unpackedByKey.weight };
}

/** On the request thread: the book with its entries packed (only what the engine reads, without `index`). */
export function packBook(book: WorldInfoBookInput): TaskBook {
  const base = { id: book.id, name: book.name, source: book.source, ...(book.version !== undefined ? { version: book.version } : {}) };
  if (book.version === undefined) return { ...base, entries: book.entries };
  const key = `${book.id}@${book.version}`;
  let packed = packedByKey.get(key);
  if (!packed) {
    const bytes = new TextEncoder().encode(JSON.stringify(book.entries));
    const json = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(json).set(bytes);
    packed = { key, json };
    packedByKey.set(key, packed);
  }
  return { ...base, packed };
}

/** On the thread running the task: the book with its entries (decoded once per book version per thread). */
export function unpackBook(book: TaskBook): WorldInfoBookInput {
  const { packed, entries, ...rest } = book;
  if (!packed) return { ...rest, entries: entries ?? [] };
  let decoded = unpackedByKey.get(packed.key);
  if (!decoded) {
    const entries = JSON.parse(new TextDecoder().decode(new Uint8Array(packed.json).slice())) as WorldInfoEntry[];
    decoded = { entries, packedBytes: packed.json.byteLength };
    unpackedByKey.set(packed.key, decoded);
  }
  return { ...rest, entries: decoded.entries };
}
