import { recountJoined, type TokenCounter } from '../../../tokenizer/index.ts';
import type { WorldInfoEntry } from '../../entry.ts';
import { WorldInfoIndexCache } from '../book-index.ts';
import { runWorldInfo } from '../engine.ts';

const words = (t: string) => t.split(/\s+/).filter(Boolean).length;

/** A counter that records what it was asked to count one by one (the budget's joined count goes to `startJoined`,
 * which SillyTavern mode asks for every pass, and which is not recorded here). */
function countingCounter(): TokenCounter & { counted: string[] } {
  const counted: string[] = [];
  return { family: 'approximate', counted, count: (t) => (counted.push(t), words(t)), startJoined: () => recountJoined({ count: words }) };
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
    // Recursion would add the recursion-fed text, counted whole at the next pass as SillyTavern does.
    settings: { recursive: false },
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

  test('a counter without an incremental joined count gets the joined text of the pass counted whole', () => {
    const counted: string[] = [];
    const counter: TokenCounter = { family: 'approximate', count: (t) => (counted.push(t), words(t)) };
    run(counter, new WorldInfoIndexCache(), 1);
    // SillyTavern's check: `newContent += content + '\n'`, counted whole after every entry.
    expect(counted).toContain('The ancient dragon sleeps.\nSeraphina guards the glade.\n');
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
