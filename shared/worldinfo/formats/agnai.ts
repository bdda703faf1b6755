/**
 * Agnai memory books: `{ kind: 'memory', name, description, userId?, entries: [{ name, entry, keywords,
 * priority, weight, enabled }] }`. As in SillyTavern's importer: keywords → keys, entry → content,
 * name → comment, weight → order (Agnai's insertion weight), enabled. Agnai's `priority` (which entries survive the
 * budget) maps to `priority`. Other fields are kept verbatim.
 */
import type { WorldInfoEntry } from '../entry.ts';
import { DEFAULT_BOOK_NAME, EntryBuilder, importEntries, addRegexWarnings, isRecord, makeBook, optionalString } from './common.ts';
import type { ImportOptions, ImportResult, ImportWarning } from './common.ts';

export function isAgnaiMemoryBook(json: unknown): json is Record<string, unknown> {
  return isRecord(json) && json.kind === 'memory' && Array.isArray(json.entries);
}

function importEntry(source: Record<string, unknown>, index: number, warnings: ImportWarning[]): WorldInfoEntry {
  const b = new EntryBuilder(index, warnings);
  for (const [name, value] of Object.entries(source)) {
    switch (name) {
      case 'keywords':
        b.lift('keys', name, value);
        break;
      case 'entry':
        b.lift('content', name, value);
        break;
      case 'name':
        b.lift('comment', name, value);
        break;
      case 'weight':
        b.lift('order', name, value);
        break;
      case 'priority':
        b.lift('priority', name, value);
        break;
      case 'enabled':
        b.lift('enabled', name, value);
        break;
      default:
        b.keepExtra(name, value);
    }
  }
  b.entry.uid = index;
  return b.finish();
}

export function importAgnai(json: unknown, options: ImportOptions = {}): ImportResult {
  if (!isAgnaiMemoryBook(json)) throw new TypeError("Not an Agnai memory book (kind: 'memory' + entries[])");
  const warnings: ImportWarning[] = [];
  const entries = importEntries(json.entries as unknown[], importEntry, warnings);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (!['entries', 'name', 'description'].includes(k)) extra[k] = v;
  const book = makeBook({
    name: optionalString(json.name),
    description: optionalString(json.description),
    extensions: undefined,
    fallbackName: options.name ?? DEFAULT_BOOK_NAME,
    entries,
    extra: { agnai: extra },
  });
  addRegexWarnings(entries, warnings);
  return { format: 'agnai', book, entries, warnings };
}
