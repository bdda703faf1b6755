/**
 * SillyTavern world info files (`worlds/<name>.json`): `{ entries: { "<uid>": {...} }, originalData?, ... }`.
 * Reads the 2023 minimal and the 2024/2025 full field sets (and an `entries` array, written by some tools).
 * Every source field is either lifted into a model field under the same meaning or kept verbatim in `extra`,
 * so `exportToSillyTavern(importSillyTavern(x).book)` deep-equals `x`.
 */
import type { WorldBook, WorldInfoEntry } from '../entry.ts';
import {
  DEFAULT_BOOK_NAME,
  EntryBuilder,
  importEntries,
  topLevelBook,
  deepClone,
  isRecord,
  shouldWriteBookField,
  withExtra,
} from './common.ts';
import type { EntryField, ImportOptions, ImportResult, ImportWarning } from './common.ts';

/** SillyTavern entry field → model field (same meaning). `disable` is handled separately (inverted `enabled`). */
export const ST_ENTRY_FIELDS: ReadonlyArray<readonly [string, EntryField]> = [
  ['uid', 'uid'],
  ['key', 'keys'],
  ['keysecondary', 'secondaryKeys'],
  ['comment', 'comment'],
  ['content', 'content'],
  ['constant', 'constant'],
  ['vectorized', 'vectorized'],
  ['selective', 'selective'],
  ['selectiveLogic', 'selectiveLogic'],
  ['addMemo', 'addMemo'],
  ['order', 'order'],
  ['position', 'position'],
  // 'disable' goes here in SillyTavern's own order
  ['excludeRecursion', 'excludeRecursion'],
  ['preventRecursion', 'preventRecursion'],
  ['delayUntilRecursion', 'delayUntilRecursion'],
  ['probability', 'probability'],
  ['useProbability', 'useProbability'],
  ['depth', 'depth'],
  ['outletName', 'outletName'],
  ['group', 'group'],
  ['groupOverride', 'groupOverride'],
  ['groupWeight', 'groupWeight'],
  ['scanDepth', 'scanDepth'],
  ['caseSensitive', 'caseSensitive'],
  ['matchWholeWords', 'matchWholeWords'],
  ['useGroupScoring', 'useGroupScoring'],
  ['automationId', 'automationId'],
  ['role', 'role'],
  ['sticky', 'sticky'],
  ['cooldown', 'cooldown'],
  ['delay', 'delay'],
  ['displayIndex', 'displayIndex'],
  ['characterFilter', 'characterFilter'],
  ['matchPersonaDescription', 'matchPersonaDescription'],
  ['matchCharacterDescription', 'matchCharacterDescription'],
  ['matchCharacterPersonality', 'matchCharacterPersonality'],
  ['matchCharacterDepthPrompt', 'matchCharacterDepthPrompt'],
  ['matchScenario', 'matchScenario'],
  ['matchCreatorNotes', 'matchCreatorNotes'],
  ['triggers', 'triggers'],
  ['ignoreBudget', 'ignoreBudget'],
  ['extensions', 'extensions'],
  // Not SillyTavern fields: model fields without a SillyTavern equivalent, written under these names so that a
  // card book survives a trip through a SillyTavern file.
  ['name', 'name'],
  ['priority', 'priority'],
  ['useRegex', 'useRegex'],
];

const ST_FIELD_BY_SOURCE = new Map(ST_ENTRY_FIELDS.map(([s, m]) => [s, m]));

function importEntry(source: Record<string, unknown>, index: number, warnings: ImportWarning[]): WorldInfoEntry {
  const b = new EntryBuilder(index, warnings);
  for (const [name, value] of Object.entries(source)) {
    if (name === 'disable') {
      if (typeof value === 'boolean') b.entry.enabled = !value;
      else b.invalid('disable', value);
      continue;
    }
    const field = ST_FIELD_BY_SOURCE.get(name);
    if (field) b.lift(field, name, value);
    else b.keepExtra(name, value);
  }
  return b.finish();
}

/** Whether `json` looks like a SillyTavern world info file. */
export function isSillyTavernWorldInfo(json: unknown): json is Record<string, unknown> {
  if (!isRecord(json)) return false;
  const entries = json.entries;
  if (isRecord(entries)) {
    const values = Object.values(entries);
    return values.length === 0 || values.some((e) => isRecord(e) && ('key' in e || 'uid' in e || 'content' in e));
  }
  if (Array.isArray(entries)) return entries.length > 0 && entries.every((e) => isRecord(e) && 'key' in e && !('keys' in e));
  return false;
}

export function importSillyTavern(json: unknown, options: ImportOptions = {}): ImportResult {
  if (!isRecord(json)) throw new TypeError('A SillyTavern world info file must be a JSON object');
  const warnings: ImportWarning[] = [];
  const rawEntries = json.entries;
  const sources: unknown[] = Array.isArray(rawEntries) ? rawEntries : isRecord(rawEntries) ? Object.values(rawEntries) : [];
  const entries = importEntries(sources, importEntry, warnings);
  const book = topLevelBook(
    json,
    entries,
    warnings,
    options.name ?? DEFAULT_BOOK_NAME,
    Array.isArray(rawEntries) ? { 'entries@array': true } : {},
  );
  return { format: 'sillytavern', book, entries, warnings };
}

/** One model entry as a SillyTavern entry (fields that are absent in the model are not written). */
export function toSillyTavernEntry(entry: WorldInfoEntry, uid: number | string): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  const e = entry as Record<string, unknown>;
  for (const [source, field] of ST_ENTRY_FIELDS) {
    if (field === 'uid') {
      known.uid = uid;
      continue;
    }
    if (source === 'position' || field === 'position') {
      known.position = e.position;
      if (entry.enabled !== undefined) known.disable = !entry.enabled;
      continue;
    }
    known[source] = e[field];
  }
  return withExtra(entry.extra, known);
}

function nextFreeUid(used: Set<string>, start: number): number {
  let n = start;
  while (used.has(String(n))) n++;
  return n;
}

/**
 * A SillyTavern world info document. Entries without a uid get the smallest free integer (SillyTavern's rule);
 * `entries` is keyed by uid.
 */
export function exportToSillyTavern(book: WorldBook): Record<string, unknown> {
  const used = new Set(book.entries.filter((e) => e.uid !== undefined).map((e) => String(e.uid)));
  const asArray = book.extra?.['entries@array'] === true;
  const list: Record<string, unknown>[] = [];
  const byUid: Record<string, unknown> = {};
  let free = 0;
  for (const entry of book.entries) {
    let uid = entry.uid;
    if (uid === undefined) {
      free = nextFreeUid(used, free);
      uid = free;
      used.add(String(uid));
    }
    const out = toSillyTavernEntry(entry, uid);
    list.push(out);
    byUid[String(uid)] = out;
  }
  const extra = book.extra ? deepClone(book.extra) : {};
  delete extra['entries@array'];
  const doc: Record<string, unknown> = { ...extra, entries: asArray ? list : byUid };
  if (shouldWriteBookField(book, 'name')) doc.name = book.name;
  if (shouldWriteBookField(book, 'description')) doc.description = book.description;
  if (shouldWriteBookField(book, 'extensions')) doc.extensions = deepClone(book.extensions);
  if (book.scan_depth !== undefined) doc.scan_depth = book.scan_depth;
  if (book.token_budget !== undefined) doc.token_budget = book.token_budget;
  if (book.recursive_scanning !== undefined) doc.recursive_scanning = book.recursive_scanning;
  return doc;
}
