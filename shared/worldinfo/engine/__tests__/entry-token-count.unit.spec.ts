import type { TokenCounter } from '../../../tokenizer/index.ts';
import type { WorldInfoEntry } from '../../entry.ts';
import { WorldInfoIndexCache } from '../book-index.ts';
import { runWorldInfo } from '../engine.ts';

/** A counter that records what it was asked to count. */
function countingCounter(): TokenCounter & { counted: string[] } {
  const counted: string[] = [];
  return { family: 'approximate', counted, count: (t) => (counted.push(t), t.split(/\s+/).filter(Boolean).length) };
}

const entries: WorldInfoEntry[] = [
  { uid: 0, keys: [], content: 'The ancient dragon sleeps.', constant: true },
  { uid: 1, keys: [], content: 'Seraphina guards the glade.', constant: true },
];

function run(counter: TokenCounter, cache: WorldInfoIndexCache, version: number) {
  return runWorldInfo({
    books: [{ id: 'b', name: 'Book', source: 'character', entries, version }],
    messages: [{ name: 'User', role: 'user', content: 'hello' }],
    characterName: 'Seraphina',
    tokenizer: counter,
    indexCache: cache,
  });
}

describe('entry token counts', () => {
  test('each entry is counted once per book version and counter', () => {
    const cache = new WorldInfoIndexCache();
    const counter = countingCounter();
    const first = run(counter, cache, 1);
    expect(first.activated.map((a) => a.tokens)).toEqual([4, 4]);
    expect(counter.counted).toEqual(['The ancient dragon sleeps.\n', 'Seraphina guards the glade.\n']);
    run(counter, cache, 1);
    run(counter, cache, 1);
    expect(counter.counted).toHaveLength(2);
    // A new book version is a new index: both entries are counted again, once.
    run(counter, cache, 2);
    run(counter, cache, 2);
    expect(counter.counted).toHaveLength(4);
    // Another counter counts for itself.
    const other = countingCounter();
    run(other, cache, 2);
    expect(other.counted).toHaveLength(2);
  });

  test('a family name counts with that family (llama: a newline is one token, no BOS)', () => {
    const r = runWorldInfo({
      books: [{ id: 'b', name: 'Book', source: 'character', entries: [{ uid: 0, keys: [], content: 'Hello world', constant: true }] }],
      messages: [{ name: 'User', role: 'user', content: 'hi' }],
      characterName: 'Seraphina',
      tokenizer: 'llama',
    });
    expect(r.activated[0]?.tokens).toBe(3); // ▁Hello ▁world <0x0A>
  });
});
