/**
 * The tokens an activated entry takes from the budget: its content plus the newline SillyTavern joins entries with,
 * counted once per book version. A prepared entry belongs to its book's index, which is built once per (book id,
 * version) and reused across turns, so the count is kept beside it (weakly: it goes with the index) together with
 * the counter and the content it was made for; macros can make the content differ between runs, and then it is
 * counted again.
 */
import type { TokenCounter } from '../../tokenizer/index.ts';
import type { PreparedEntry } from './book-index.ts';

interface EntryCount {
  counter: TokenCounter;
  content: string;
  tokens: number;
}

const counts = new WeakMap<PreparedEntry, EntryCount>();

export function entryTokenCount(entry: PreparedEntry, content: string, counter: TokenCounter): number {
  const last = counts.get(entry);
  if (last && last.counter === counter && last.content === content) return last.tokens;
  const tokens = counter.count(`${content}\n`);
  counts.set(entry, { counter, content, tokens });
  return tokens;
}
