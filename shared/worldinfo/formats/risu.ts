/**
 * RisuAI lorebook exports: `{ type: 'risu', ver, data: [{ key, secondkey, comment, content, insertorder,
 * alwaysActive, selective, activationPercent?, useRegex?, mode, ... }] }`.
 * `key` / `secondkey` are comma-separated strings (split and trimmed, empty parts dropped, as SillyTavern does);
 * alwaysActive → constant, insertorder → order, activationPercent → probability. Folder pseudo-entries
 * (`mode: 'folder'`) are imported disabled. The raw fields stay in `extra`.
 */
import type { WorldInfoEntry } from '../entry.ts';
import { DEFAULT_BOOK_NAME, EntryBuilder, importEntries, addRegexWarnings, isRecord, makeBook } from './common.ts';
import type { ImportOptions, ImportResult, ImportWarning } from './common.ts';

export function isRisuLorebook(json: unknown): json is Record<string, unknown> {
  return isRecord(json) && json.type === 'risu' && Array.isArray(json.data);
}

function splitKeys(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

function importEntry(source: Record<string, unknown>, index: number, warnings: ImportWarning[]): WorldInfoEntry {
  const b = new EntryBuilder(index, warnings);
  for (const [name, value] of Object.entries(source)) {
    switch (name) {
      case 'key': {
        const keys = splitKeys(value);
        if (keys) b.entry.keys = keys;
        b.keepExtra(name, value);
        break;
      }
      case 'secondkey': {
        const keys = splitKeys(value);
        if (keys) b.entry.secondaryKeys = keys;
        b.keepExtra(name, value);
        break;
      }
      case 'comment':
        b.lift('comment', name, value);
        break;
      case 'content':
        b.lift('content', name, value);
        break;
      case 'alwaysActive':
        b.lift('constant', name, value);
        break;
      case 'selective':
        b.lift('selective', name, value);
        break;
      case 'insertorder':
        b.lift('order', name, value);
        break;
      case 'activationPercent':
        if (b.lift('probability', name, value)) b.entry.useProbability = true;
        break;
      case 'useRegex':
        b.lift('useRegex', name, value);
        break;
      default:
        b.keepExtra(name, value);
    }
  }
  if (source.mode === 'folder') {
    b.entry.enabled = false;
    warnings.push({ entryIndex: index, code: 'folder_entry', detail: 'RisuAI folder entry imported as a disabled entry' });
  }
  b.entry.uid = index;
  return b.finish();
}

export function importRisu(json: unknown, options: ImportOptions = {}): ImportResult {
  if (!isRisuLorebook(json)) throw new TypeError("Not a RisuAI lorebook (type: 'risu' + data[])");
  const warnings: ImportWarning[] = [];
  const entries = importEntries(json.data as unknown[], importEntry, warnings);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (k !== 'data') extra[k] = v;
  const book = makeBook({
    name: typeof json.name === 'string' ? json.name : undefined,
    description: undefined,
    extensions: undefined,
    fallbackName: options.name ?? DEFAULT_BOOK_NAME,
    entries,
    extra: { risu: extra },
  });
  addRegexWarnings(entries, warnings);
  return { format: 'risu', book, entries, warnings };
}
