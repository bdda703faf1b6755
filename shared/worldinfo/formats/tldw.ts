/**
 * The original system's world-book export (tldw reference §4.4): `{ world_book: { id, name, description,
 * scan_depth, token_budget, recursive_scanning, enabled }, entries: [...], export_date, format_version: "1.0" }`,
 * or the flat shape its import also accepts (`{ name, ..., entries }`).
 *
 * Entry mapping: keywords → keys; regex_match → useRegex (its keywords are bare patterns, compiled
 * case-insensitively unless case_sensitive, as the original did); whole_word_match → matchWholeWords
 * (default true there); case_sensitive → caseSensitive; priority → priority and order (the original let higher
 * priority entries win the budget; a higher `order` does the same here); group (top level or metadata.group).
 * Fields without an equivalent (appendable, per-entry recursive_scanning, metadata, ids, timestamps) are kept in
 * `extensions.tldw`; the book's `scan_depth` (there: a cap on matched entries per book, not a message depth),
 * `enabled`, `id`, `export_date` and `format_version` go to the book's `extensions.tldw`.
 */
import type { WorldInfoEntry } from '../entry.ts';
import {
  DEFAULT_BOOK_NAME,
  EntryBuilder,
  importEntries,
  addRegexWarnings,
  deepClone,
  isRecord,
  makeBook,
  optionalBooleanOrNull,
  optionalNumberOrNull,
} from './common.ts';
import type { ImportOptions, ImportResult, ImportWarning } from './common.ts';

function isTldwEntryList(entries: unknown): boolean {
  return Array.isArray(entries) && entries.every((e) => isRecord(e) && 'keywords' in e && 'content' in e);
}

export function isTldwExport(json: unknown): json is Record<string, unknown> {
  if (!isRecord(json)) return false;
  if (isRecord(json.world_book)) return json.entries === undefined || isTldwEntryList(json.entries);
  return typeof json.name === 'string' && isTldwEntryList(json.entries) && (json.entries as unknown[]).length > 0;
}

const ENTRY_KEEP = ['id', 'world_book_id', 'appendable', 'recursive_scanning', 'metadata', 'created_at', 'last_modified'];

function importEntry(source: Record<string, unknown>, index: number, warnings: ImportWarning[]): WorldInfoEntry {
  const b = new EntryBuilder(index, warnings);
  const tldw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source)) {
    switch (name) {
      case 'keywords':
        b.lift('keys', name, value);
        break;
      case 'content':
        b.lift('content', name, value);
        break;
      case 'priority':
        if (b.lift('priority', name, value)) b.lift('order', name, value);
        break;
      case 'enabled':
        b.lift('enabled', name, value);
        break;
      case 'case_sensitive':
        b.lift('caseSensitive', name, value);
        break;
      case 'regex_match':
        b.lift('useRegex', name, value);
        break;
      case 'whole_word_match':
        b.lift('matchWholeWords', name, value);
        break;
      case 'group':
        if (value !== null) b.lift('group', name, value);
        break;
      default:
        if (ENTRY_KEEP.includes(name)) tldw[name] = deepClone(value);
        else b.keepExtra(name, value);
    }
  }
  if (b.entry.group === undefined && isRecord(source.metadata) && typeof source.metadata.group === 'string') {
    b.entry.group = source.metadata.group;
  }
  if (b.entry.matchWholeWords === undefined) b.entry.matchWholeWords = true;
  if (typeof source.id === 'number' || typeof source.id === 'string') b.entry.uid = source.id;
  else b.entry.uid = index;
  b.entry.extensions = Object.keys(tldw).length > 0 ? { tldw } : {};
  return b.finish();
}

export function importTldw(json: unknown, options: ImportOptions = {}): ImportResult {
  if (!isTldwExport(json)) throw new TypeError('Not a world-book export of the original system');
  const warnings: ImportWarning[] = [];
  const meta = isRecord(json.world_book) ? json.world_book : json;
  const sources = Array.isArray(json.entries) ? json.entries : [];
  const entries = importEntries(sources, importEntry, warnings);
  const tldwBook: Record<string, unknown> = {};
  for (const k of ['id', 'scan_depth', 'enabled', 'created_at', 'last_modified', 'version', 'entry_count']) {
    if (meta[k] !== undefined) tldwBook[k] = deepClone(meta[k]);
  }
  for (const k of ['export_date', 'format_version']) if (json[k] !== undefined) tldwBook[k] = deepClone(json[k]);
  const book = makeBook({
    name: typeof meta.name === 'string' && meta.name.trim() !== '' ? meta.name.trim() : undefined,
    description: typeof meta.description === 'string' ? meta.description : undefined,
    extensions: { tldw: tldwBook },
    fallbackName: options.name ?? DEFAULT_BOOK_NAME,
    entries,
    token_budget: optionalNumberOrNull(meta.token_budget),
    recursive_scanning: optionalBooleanOrNull(meta.recursive_scanning),
  });
  addRegexWarnings(entries, warnings);
  return { format: 'tldw', book, entries, warnings };
}
