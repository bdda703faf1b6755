/**
 * Shared pieces of the lorebook converters: the import report, field lifting with type checks against the model
 * schema, and JSON helpers.
 */
import { worldInfoEntrySchema } from '../entry.ts';
import type { WorldBook, WorldInfoEntry } from '../entry.ts';
import { findEntryRegexProblems } from '../validate.ts';

export type LorebookFormat = 'sillytavern' | 'character_book' | 'card' | 'lorebook_v3' | 'novelai' | 'agnai' | 'risu' | 'tldw';

export type ImportWarningCode =
  /** A regex key that does not compile (kept as written; it never matches until fixed). */
  | 'invalid_regex'
  /** A known field with a value of the wrong type: kept verbatim in `extra`, the model field is left absent. */
  | 'invalid_field'
  /** A required field was missing or unusable and was filled (keys → [], content → ''). */
  | 'coerced_field'
  /** Two entries share an id; both are kept. */
  | 'duplicate_uid'
  /** A RisuAI folder pseudo-entry: imported disabled. */
  | 'folder_entry'
  /** An entry that is not an object was skipped (the only data an import drops). */
  | 'invalid_entry';

export interface ImportWarning {
  /** Index in `book.entries` (null for book-level warnings; for `invalid_entry`, the index in the source list). */
  entryIndex: number | null;
  code: ImportWarningCode;
  detail: string;
  /** Model field or source path concerned, e.g. `keys[2]`. */
  field?: string;
}

export interface ImportResult {
  format: LorebookFormat;
  book: WorldBook;
  /** Same array as `book.entries`. */
  entries: WorldInfoEntry[];
  warnings: ImportWarning[];
}

export interface ImportOptions {
  /** Book name to use when the source has none (SillyTavern files are named by their file name). */
  name?: string;
}

export const DEFAULT_BOOK_NAME = 'Imported lorebook';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepClone<T>(value: T): T {
  return value === undefined ? value : (structuredClone(value) as T);
}

type EntryShape = typeof worldInfoEntrySchema.shape;
export type EntryField = keyof EntryShape;

/** Collects model fields and `extra` for one entry while reading a source object. */
export class EntryBuilder {
  readonly entry: Partial<WorldInfoEntry> & { extra: Record<string, unknown> };
  readonly #warnings: ImportWarning[];
  readonly #index: number;

  constructor(index: number, warnings: ImportWarning[]) {
    this.entry = { extra: {} };
    this.#index = index;
    this.#warnings = warnings;
  }

  /** Sets model field `field` from a source value when it has the model's type; otherwise keeps it in `extra`. */
  lift(field: EntryField, sourceName: string, value: unknown): boolean {
    if (value === undefined) return false;
    const parsed = worldInfoEntrySchema.shape[field].safeParse(value);
    if (parsed.success && parsed.data !== undefined) {
      (this.entry as Record<string, unknown>)[field] = deepClone(parsed.data);
      return true;
    }
    this.invalid(sourceName, value);
    return false;
  }

  /** Keeps a wrongly typed source value verbatim in `extra`, with an `invalid_field` warning. */
  invalid(sourceName: string, value: unknown): void {
    this.keepExtra(sourceName, value);
    this.#warnings.push({
      entryIndex: this.#index,
      code: 'invalid_field',
      field: sourceName,
      detail: `${sourceName} has an unexpected value (${JSON.stringify(value)?.slice(0, 80)}); kept verbatim`,
    });
  }

  keepExtra(sourceName: string, value: unknown): void {
    this.entry.extra[sourceName] = deepClone(value);
  }

  /** `keys` and `content` are required by the model: fill them (with a warning) when the source has none. */
  finish(): WorldInfoEntry {
    const e = this.entry as Record<string, unknown>;
    if (!Array.isArray(e.keys)) {
      e.keys = [];
      this.#warnings.push({ entryIndex: this.#index, code: 'coerced_field', field: 'keys', detail: 'no usable keys; set to []' });
    }
    if (typeof e.content !== 'string') {
      e.content = '';
      this.#warnings.push({
        entryIndex: this.#index,
        code: 'coerced_field',
        field: 'content',
        detail: 'no usable content; set to ""',
      });
    }
    if (Object.keys(this.entry.extra).length === 0) delete e.extra;
    return worldInfoEntrySchema.parse(e);
  }
}

/**
 * The entries of a source book, each through the format's `importEntry`; a source entry that is not an object is
 * skipped with an `invalid_entry` warning (`index` is then the position among the imported entries).
 */
export function importEntries(
  sources: readonly unknown[],
  importEntry: (source: Record<string, unknown>, index: number, warnings: ImportWarning[]) => WorldInfoEntry,
  warnings: ImportWarning[],
): WorldInfoEntry[] {
  const entries: WorldInfoEntry[] = [];
  sources.forEach((source, sourceIndex) => {
    if (!isRecord(source)) {
      warnings.push({ entryIndex: sourceIndex, code: 'invalid_entry', detail: `entry ${sourceIndex} is not an object; skipped` });
      return;
    }
    entries.push(importEntry(source, entries.length, warnings));
  });
  return entries;
}

/** Adds `invalid_regex` warnings for every key that is written as a regex (or is one, with `useRegex`) and fails. */
export function addRegexWarnings(entries: WorldInfoEntry[], warnings: ImportWarning[]): void {
  entries.forEach((entry, entryIndex) => {
    for (const problem of findEntryRegexProblems(entry)) {
      warnings.push({ entryIndex, code: 'invalid_regex', field: problem.field, detail: `${problem.key}: ${problem.detail}` });
    }
  });
}

export function addDuplicateUidWarnings(entries: WorldInfoEntry[], warnings: ImportWarning[]): void {
  const seen = new Map<string, number>();
  entries.forEach((entry, entryIndex) => {
    if (entry.uid === undefined) return;
    const key = String(entry.uid);
    const first = seen.get(key);
    if (first !== undefined) {
      warnings.push({
        entryIndex,
        code: 'duplicate_uid',
        field: 'uid',
        detail: `uid ${key} is also used by entry ${first}; both are kept`,
      });
    } else seen.set(key, entryIndex);
  });
}

/** Writes `extra` first, then the known fields (so a known field of the target format wins over an `extra` key). */
export function withExtra(extra: Record<string, unknown> | undefined, known: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = extra ? deepClone(extra) : {};
  for (const [k, v] of Object.entries(known)) if (v !== undefined) out[k] = deepClone(v);
  return out;
}

/** Builds a book with the defaulted-field bookkeeping of `WorldBook.absentFields`. */
export function makeBook(fields: {
  name: string | undefined;
  description: string | undefined;
  extensions: Record<string, unknown> | undefined;
  fallbackName: string;
  entries: WorldInfoEntry[];
  scan_depth?: number | null | undefined;
  token_budget?: number | null | undefined;
  recursive_scanning?: boolean | null | undefined;
  extra?: Record<string, unknown>;
}): WorldBook {
  const absent: Array<'name' | 'description' | 'extensions'> = [];
  if (fields.name === undefined) absent.push('name');
  if (fields.description === undefined) absent.push('description');
  if (fields.extensions === undefined) absent.push('extensions');
  const book: WorldBook = {
    name: fields.name ?? fields.fallbackName,
    description: fields.description ?? '',
    extensions: deepClone(fields.extensions ?? {}),
    entries: fields.entries,
  };
  if (fields.scan_depth !== undefined) book.scan_depth = fields.scan_depth;
  if (fields.token_budget !== undefined) book.token_budget = fields.token_budget;
  if (fields.recursive_scanning !== undefined) book.recursive_scanning = fields.recursive_scanning;
  if (fields.extra && Object.keys(fields.extra).length > 0) book.extra = deepClone(fields.extra);
  if (absent.length > 0) book.absentFields = absent;
  return book;
}

/** Whether an exporter should write a book field that may have been defaulted at import. */
export function shouldWriteBookField(book: WorldBook, field: 'name' | 'description' | 'extensions'): boolean {
  if (!book.absentFields?.includes(field)) return true;
  if (field === 'description') return book.description !== '';
  if (field === 'extensions') return Object.keys(book.extensions).length > 0;
  return false;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function optionalNumberOrNull(value: unknown): number | null | undefined {
  return value === null || (typeof value === 'number' && Number.isFinite(value)) ? value : undefined;
}

export function optionalBooleanOrNull(value: unknown): boolean | null | undefined {
  return value === null || typeof value === 'boolean' ? value : undefined;
}

/** Book fields and their expected types; a value that fails (a null name included) is kept verbatim in `extra`. */
const BOOK_FIELD_CHECKS: ReadonlyArray<readonly [string, (v: unknown) => boolean]> = [
  ['name', (v) => typeof v === 'string'],
  ['description', (v) => typeof v === 'string'],
  ['extensions', isRecord],
  ['scan_depth', (v) => optionalNumberOrNull(v) !== undefined],
  ['token_budget', (v) => optionalNumberOrNull(v) !== undefined],
  ['recursive_scanning', (v) => optionalBooleanOrNull(v) !== undefined],
];

/** Book-level source fields the model does not take: unknown ones and known ones with unusable values. */
export function bookExtra(json: Record<string, unknown>, known: ReadonlySet<string>, warnings: ImportWarning[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (!known.has(k)) extra[k] = v;
  for (const [k, isValid] of BOOK_FIELD_CHECKS) {
    const v = json[k];
    if (!known.has(k) || v === undefined || isValid(v)) continue;
    extra[k] = v;
    if (v !== null) {
      warnings.push({ entryIndex: null, code: 'invalid_field', field: k, detail: `book ${k} has an unexpected value; kept verbatim` });
    }
  }
  return extra;
}

const TOP_LEVEL_BOOK_FIELDS = new Set(['entries', 'name', 'description', 'extensions', 'scan_depth', 'token_budget', 'recursive_scanning']);

/**
 * A book whose fields stand at the top level of `json` (a SillyTavern world-info file, a card's `character_book`):
 * the fields the model does not take are kept in `extra` (with `moreExtra`), and the entries get their duplicate-uid
 * and regex warnings.
 */
export function topLevelBook(
  json: Record<string, unknown>,
  entries: WorldInfoEntry[],
  warnings: ImportWarning[],
  fallbackName: string,
  moreExtra: Record<string, unknown> = {},
): WorldBook {
  const book = makeBook({
    name: optionalString(json.name),
    description: optionalString(json.description),
    extensions: isRecord(json.extensions) ? json.extensions : undefined,
    fallbackName,
    entries,
    scan_depth: optionalNumberOrNull(json.scan_depth),
    token_budget: optionalNumberOrNull(json.token_budget),
    recursive_scanning: optionalBooleanOrNull(json.recursive_scanning),
    extra: { ...bookExtra(json, TOP_LEVEL_BOOK_FIELDS, warnings), ...moreExtra },
  });
  addDuplicateUidWarnings(entries, warnings);
  addRegexWarnings(entries, warnings);
  return book;
}
