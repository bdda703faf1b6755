/**
 * NovelAI lorebooks (`.lorebook`): `{ lorebookVersion, entries: [{ text, keys, displayName, enabled,
 * contextConfig: { budgetPriority, ... }, forceActivation, id, searchRange, ... }], settings, categories }`.
 * Mapped like SillyTavern's importer (keys, text → content, displayName → comment, budgetPriority → order,
 * enabled) plus `forceActivation` → constant. NovelAI keys use the same `/regex/flags` convention.
 * Everything else (contextConfig, searchRange, categories, settings, ...) is kept verbatim in `extra`.
 */
import type { WorldInfoEntry } from '../entry.ts';
import { DEFAULT_BOOK_NAME, EntryBuilder, importEntries, addDuplicateUidWarnings, addRegexWarnings, isRecord, makeBook } from './common.ts';
import type { ImportOptions, ImportResult, ImportWarning } from './common.ts';

export function isNovelAiLorebook(json: unknown): json is Record<string, unknown> {
  return isRecord(json) && json.lorebookVersion !== undefined && Array.isArray(json.entries);
}

function importEntry(source: Record<string, unknown>, index: number, warnings: ImportWarning[]): WorldInfoEntry {
  const b = new EntryBuilder(index, warnings);
  for (const [name, value] of Object.entries(source)) {
    switch (name) {
      case 'id':
        b.lift('uid', name, value);
        break;
      case 'keys':
        b.lift('keys', name, value);
        break;
      case 'text':
        b.lift('content', name, value);
        break;
      case 'displayName':
        b.lift('comment', name, value);
        break;
      case 'enabled':
        b.lift('enabled', name, value);
        break;
      case 'forceActivation':
        b.lift('constant', name, value);
        break;
      case 'contextConfig':
        b.keepExtra(name, value);
        if (isRecord(value) && value.budgetPriority !== undefined) b.lift('order', 'contextConfig.budgetPriority', value.budgetPriority);
        break;
      default:
        b.keepExtra(name, value);
    }
  }
  if (b.entry.order === undefined) b.entry.order = 0;
  return b.finish();
}

export function importNovelAi(json: unknown, options: ImportOptions = {}): ImportResult {
  if (!isNovelAiLorebook(json)) throw new TypeError('Not a NovelAI lorebook (lorebookVersion + entries[])');
  const warnings: ImportWarning[] = [];
  const entries = importEntries(json.entries as unknown[], importEntry, warnings);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (k !== 'entries') extra[k] = v;
  const book = makeBook({
    name: undefined,
    description: undefined,
    extensions: undefined,
    fallbackName: options.name ?? DEFAULT_BOOK_NAME,
    entries,
    extra: { novelai: extra },
  });
  addDuplicateUidWarnings(entries, warnings);
  addRegexWarnings(entries, warnings);
  return { format: 'novelai', book, entries, warnings };
}
