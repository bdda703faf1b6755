/**
 * Character Card V2/V3 `character_book` (standalone, or inside a card's `data`).
 *
 * Entries carry SillyTavern's settings in `extensions` when SillyTavern wrote them (`position`, `selectiveLogic`,
 * `exclude_recursion`, ... see `CARD_EXTENSION_FIELDS`). Import lifts them into model fields and keeps
 * `extensions` verbatim; export writes the model values back into those keys (so edits reach them).
 *
 * Where a card field and a SillyTavern extension say the same thing, SillyTavern's reading wins (it is what the
 * card's author saw): `extensions.position` over `position`, `extensions.case_sensitive` over `case_sensitive`.
 * The card field is then kept verbatim in `extra`. SillyTavern writes `use_regex: true` on every entry and
 * ignores it; for entries with SillyTavern's extension block `use_regex` is therefore kept verbatim in `extra`
 * and not applied (their keys stay plain text, as in SillyTavern).
 */
import type { WorldBook, WorldInfoEntry } from '../entry.ts';
import { worldInfoEntrySchema } from '../entry.ts';
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
import type { EntryField, ImportOptions, ImportResult, ImportWarning, LorebookFormat } from './common.ts';

/** `extensions` key written by SillyTavern → model field. */
export const CARD_EXTENSION_FIELDS: ReadonlyArray<readonly [string, EntryField]> = [
  ['position', 'position'],
  ['exclude_recursion', 'excludeRecursion'],
  ['display_index', 'displayIndex'],
  ['probability', 'probability'],
  ['useProbability', 'useProbability'],
  ['depth', 'depth'],
  ['selectiveLogic', 'selectiveLogic'],
  ['outlet_name', 'outletName'],
  ['group', 'group'],
  ['group_override', 'groupOverride'],
  ['group_weight', 'groupWeight'],
  ['prevent_recursion', 'preventRecursion'],
  ['delay_until_recursion', 'delayUntilRecursion'],
  ['scan_depth', 'scanDepth'],
  ['match_whole_words', 'matchWholeWords'],
  ['use_group_scoring', 'useGroupScoring'],
  ['case_sensitive', 'caseSensitive'],
  ['automation_id', 'automationId'],
  ['role', 'role'],
  ['vectorized', 'vectorized'],
  ['sticky', 'sticky'],
  ['cooldown', 'cooldown'],
  ['delay', 'delay'],
  ['match_persona_description', 'matchPersonaDescription'],
  ['match_character_description', 'matchCharacterDescription'],
  ['match_character_personality', 'matchCharacterPersonality'],
  ['match_character_depth_prompt', 'matchCharacterDepthPrompt'],
  ['match_scenario', 'matchScenario'],
  ['match_creator_notes', 'matchCreatorNotes'],
  ['triggers', 'triggers'],
  ['ignore_budget', 'ignoreBudget'],
];

/** Keys that only SillyTavern writes into `extensions`: their presence marks SillyTavern's extension block. */
const ST_BLOCK_MARKERS = new Set([
  'selectiveLogic',
  'display_index',
  'exclude_recursion',
  'prevent_recursion',
  'delay_until_recursion',
  'useProbability',
  'group_override',
  'group_weight',
  'use_group_scoring',
  'match_whole_words',
  'automation_id',
  'scan_depth',
  'vectorized',
]);

/** Model fields that only SillyTavern's extension block can express (a card has no top-level field for them). */
const ST_ONLY_FIELDS = new Set<EntryField>(
  CARD_EXTENSION_FIELDS.map(([, f]) => f).filter((f) => f !== 'caseSensitive' && f !== 'position'),
);

function hasStBlock(extensions: Record<string, unknown> | undefined): boolean {
  if (!extensions) return false;
  for (const k of Object.keys(extensions)) if (ST_BLOCK_MARKERS.has(k)) return true;
  return typeof extensions.position === 'number';
}

const TOP_LEVEL_FIELDS: ReadonlyArray<readonly [string, EntryField]> = [
  ['id', 'uid'],
  ['keys', 'keys'],
  ['secondary_keys', 'secondaryKeys'],
  ['comment', 'comment'],
  ['content', 'content'],
  ['constant', 'constant'],
  ['selective', 'selective'],
  ['insertion_order', 'order'],
  ['enabled', 'enabled'],
  ['name', 'name'],
  ['priority', 'priority'],
  ['character_filter', 'characterFilter'],
];
const TOP_LEVEL_BY_SOURCE = new Map(TOP_LEVEL_FIELDS.map(([s, f]) => [s, f]));

function importCardEntry(source: Record<string, unknown>, index: number, warnings: ImportWarning[]): WorldInfoEntry {
  const b = new EntryBuilder(index, warnings);
  const rawExt = source.extensions;
  let ext: Record<string, unknown> | undefined;
  if (isRecord(rawExt)) {
    ext = rawExt;
    b.entry.extensions = deepClone(rawExt);
    for (const [key, field] of CARD_EXTENSION_FIELDS) {
      if (!(key in rawExt)) continue;
      const parsed = worldInfoEntrySchema.shape[field].safeParse(rawExt[key]);
      if (parsed.success && parsed.data !== undefined) (b.entry as Record<string, unknown>)[field] = deepClone(parsed.data);
      else {
        warnings.push({
          entryIndex: index,
          code: 'invalid_field',
          field: `extensions.${key}`,
          detail: `extensions.${key} has an unexpected value (${JSON.stringify(rawExt[key])?.slice(0, 80)}); kept in extensions, not applied`,
        });
      }
    }
  } else if (rawExt !== undefined) b.invalid('extensions', rawExt);
  const stBlock = hasStBlock(ext);

  for (const [name, value] of Object.entries(source)) {
    if (name === 'extensions') continue;
    const field = TOP_LEVEL_BY_SOURCE.get(name);
    if (field) {
      b.lift(field, name, value);
      continue;
    }
    if (name === 'use_regex') {
      if (stBlock) b.keepExtra(name, value);
      else b.lift('useRegex', name, value);
      continue;
    }
    if (name === 'case_sensitive') {
      if (ext && 'case_sensitive' in ext) b.keepExtra(name, value);
      else b.lift('caseSensitive', name, value);
      continue;
    }
    if (name === 'position') {
      if (b.entry.position !== undefined || value === null || (value !== 'before_char' && value !== 'after_char')) {
        b.keepExtra(name, value);
      } else b.entry.position = value === 'before_char' ? 0 : 1;
      continue;
    }
    b.keepExtra(name, value);
  }
  return b.finish();
}

export interface CharacterBookExportOptions {
  /**
   * Write the fields the V3 spec requires even when the source did not have them (`use_regex` on entries,
   * `extensions` on the book). `lorebook_v3` export sets it.
   */
  fillRequired?: boolean;
}

/** One model entry as a V2/V3 `character_book` entry. */
export function toCharacterBookEntry(entry: WorldInfoEntry, options: CharacterBookExportOptions = {}): Record<string, unknown> {
  const e = entry as Record<string, unknown>;
  const sourceExt = entry.extensions ?? {};
  const cardOrigin = hasStBlock(sourceExt);
  const blockMode =
    cardOrigin ||
    [...ST_ONLY_FIELDS].some((f) => e[f] !== undefined) ||
    (entry.position !== undefined && entry.position !== 0 && entry.position !== 1);

  const ext: Record<string, unknown> = deepClone(sourceExt);
  const wroteToExt = new Set<string>();
  for (const [key, field] of CARD_EXTENSION_FIELDS) {
    const value = e[field];
    if (value === undefined) continue;
    const stOnly = ST_ONLY_FIELDS.has(field) || (field === 'position' && value !== 0 && value !== 1);
    const write = key in sourceExt || stOnly || (!cardOrigin && blockMode);
    if (write) {
      ext[key] = deepClone(value);
      wroteToExt.add(key);
    }
  }

  const known: Record<string, unknown> = {
    id: entry.uid,
    keys: entry.keys,
    secondary_keys: entry.secondaryKeys,
    comment: entry.comment,
    content: entry.content,
    constant: entry.constant,
    selective: entry.selective,
    insertion_order: entry.order ?? 100,
    enabled: entry.enabled ?? true,
    name: entry.name,
    priority: entry.priority,
    character_filter: entry.characterFilter,
    extensions: ext,
  };
  if (entry.position !== undefined) known.position = entry.position === 0 ? 'before_char' : 'after_char';
  if (entry.caseSensitive !== undefined && !wroteToExt.has('case_sensitive')) known.case_sensitive = entry.caseSensitive;
  if (entry.useRegex !== undefined) known.use_regex = entry.useRegex;
  else if (options.fillRequired && entry.extra?.use_regex === undefined) known.use_regex = false;
  return withExtra(entry.extra, known);
}

export function isCharacterBook(json: unknown): json is Record<string, unknown> {
  return (
    isRecord(json) &&
    Array.isArray(json.entries) &&
    json.entries.every((e) => isRecord(e) && ('keys' in e || 'content' in e) && !('keywords' in e) && !('key' in e))
  );
}

export function isCard(json: unknown): json is { spec: string; data: Record<string, unknown> } {
  return (
    isRecord(json) &&
    (json.spec === 'chara_card_v2' || json.spec === 'chara_card_v3') &&
    isRecord(json.data) &&
    isRecord(json.data.character_book)
  );
}

/** Imports a `character_book` object. `format` only labels the result. */
export function importCharacterBook(json: unknown, options: ImportOptions = {}, format: LorebookFormat = 'character_book'): ImportResult {
  if (!isRecord(json)) throw new TypeError('A character_book must be a JSON object');
  const warnings: ImportWarning[] = [];
  const entries = importEntries(Array.isArray(json.entries) ? json.entries : [], importCardEntry, warnings);
  const book = topLevelBook(json, entries, warnings, options.name ?? DEFAULT_BOOK_NAME);
  return { format, book, entries, warnings };
}

/** Imports the `character_book` embedded in a V2/V3 card object. The card's name names a book without one. */
export function importCardBook(card: unknown, options: ImportOptions = {}): ImportResult {
  if (!isCard(card)) throw new TypeError('Not a V2/V3 card with a character_book');
  const charName = typeof card.data.name === 'string' && card.data.name !== '' ? `${card.data.name}'s Lorebook` : undefined;
  return importCharacterBook(card.data.character_book, { name: options.name ?? charName }, 'card');
}

/** A V2/V3 `character_book` object (to embed in a card's `data`). */
export function exportToCharacterBook(book: WorldBook, options: CharacterBookExportOptions = {}): Record<string, unknown> {
  const known: Record<string, unknown> = {
    scan_depth: book.scan_depth,
    token_budget: book.token_budget,
    recursive_scanning: book.recursive_scanning,
    entries: book.entries.map((e) => toCharacterBookEntry(e, options)),
  };
  if (shouldWriteBookField(book, 'name')) known.name = book.name;
  if (shouldWriteBookField(book, 'description')) known.description = book.description;
  if (options.fillRequired || shouldWriteBookField(book, 'extensions')) known.extensions = book.extensions;
  return withExtra(book.extra, known);
}
