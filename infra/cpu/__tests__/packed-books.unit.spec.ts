import { configurePackedBooks, DEFAULT_CACHED_BOOKS, packBook, packedBooksHeld, unpackBook } from '../packed-books.ts';
import type { WorldInfoEntry } from '../../../shared/worldinfo/index.ts';

const entry = (uid: number, content: string) => ({ uid, key: [`key${uid}`], content }) as unknown as WorldInfoEntry;
const book = (id: string, version: number, contentChars: number) => ({
  id,
  name: id,
  source: 'global' as const,
  version,
  entries: [entry(1, 'x'.repeat(contentChars))],
});

afterEach(() => configurePackedBooks(DEFAULT_CACHED_BOOKS));

test('a packed book decodes to the same entries, and is packed once per version', () => {
  configurePackedBooks(4, 10_000);
  const input = book('a', 1, 100);
  const first = packBook(input as never);
  expect(packBook(input as never).packed).toBe(first.packed);
  expect(unpackBook(first).entries).toEqual(input.entries);
  expect(packedBooksHeld()).toMatchObject({ packed: 1, decoded: 1 });
});

test('the caches hold at most their byte budget, least recently used out first', () => {
  configurePackedBooks(16, 3_000);
  const books = ['a', 'b', 'c', 'd'].map((id) => book(id, 1, 1_000)); // ~1,050 bytes of JSON each
  const packed = books.map((b) => packBook(b as never));
  for (const p of packed) unpackBook(p);
  const held = packedBooksHeld();
  expect(held.packed).toBe(2);
  expect(held.decoded).toBe(2);
  expect(held.packedBytes).toBeLessThanOrEqual(3_000);
  expect(held.decodedBytes).toBeLessThanOrEqual(3_000);
  // The oldest book was evicted: packing it again makes a new buffer; the newest is still the one held.
  expect(packBook(books[3] as never).packed).toBe(packed[3]!.packed);
  expect(packBook(books[0] as never).packed).not.toBe(packed[0]!.packed);
});

test('the book-count bound still holds under the byte budget', () => {
  configurePackedBooks(2, 1_000_000);
  for (const id of ['a', 'b', 'c']) unpackBook(packBook(book(id, 1, 10) as never));
  expect(packedBooksHeld()).toMatchObject({ packed: 2, decoded: 2 });
});
