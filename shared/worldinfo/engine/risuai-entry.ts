/**
 * An entry as RisuAI reads it (the `risuai` profile): its decorator block parsed RisuAI's way, its keys split on
 * commas, and the key of its "matched before" flag. Built on first use and kept with the prepared entry, so runs
 * in the other profiles never pay for it.
 */
import { parseDecorators } from '../decorators.ts';
import type { EntryDecorators } from '../decorators.ts';
import { hashString } from './book-index.ts';
import type { PreparedEntry } from './book-index.ts';

export interface RisuaiEntry {
  decorators: EntryDecorators;
  /** The content without the decorator lines, trimmed (RisuAI trims it). */
  content: string;
  /** Primary keys: every key split on commas, trimmed, empty ones dropped. */
  keys: string[];
  secondary: string[];
  /**
   * RisuAI keys `@@keep_activate_after_match` / `@@dont_activate_after_match` by a hash of the raw content (its
   * entries have no id), so entries with the same text share the flag.
   */
  matchedKey: string;
}

const cache = new WeakMap<PreparedEntry, RisuaiEntry>();

function splitKeys(keys: readonly string[]): string[] {
  return keys
    .flatMap((k) => k.split(','))
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

export function risuaiEntry(p: PreparedEntry): RisuaiEntry {
  let r = cache.get(p);
  if (!r) {
    const { decorators, content } = parseDecorators(p.entry.content, 'risuai');
    r = {
      decorators,
      content,
      keys: splitKeys(p.resolved.keys),
      secondary: splitKeys(p.resolved.secondaryKeys),
      matchedKey: `content:${hashString(p.entry.content)}`,
    };
    cache.set(p, r);
  }
  return r;
}

/** The decorators that apply to the entry in a profile. */
export function decoratorsFor(p: PreparedEntry, risuai: boolean): EntryDecorators {
  return risuai ? risuaiEntry(p).decorators : p.decorators;
}
