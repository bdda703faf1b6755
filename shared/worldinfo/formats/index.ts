/**
 * Lorebook import/export: format detection and one entry point for every supported source.
 *
 * Detection order (first match wins):
 *  1. `{ spec: 'lorebook_v3', data }`                              → lorebook_v3
 *  2. `{ spec: 'chara_card_v2' | 'chara_card_v3', data: { character_book } }` → card
 *  3. `lorebookVersion` + `entries[]`                             → novelai
 *  4. `kind: 'memory'` + `entries[]`                              → agnai
 *  5. `type: 'risu'` + `data[]`                                   → risu
 *  6. `world_book: {...}`, or `name` + `entries[]` with `keywords` → tldw (the original system's export)
 *  7. `entries` object keyed by uid (or an array of `key` entries) → sillytavern
 *  8. `entries[]` with `keys`/`content`                           → character_book
 */
import { AppError } from '../../errors.ts';
import type { WorldBook } from '../entry.ts';
import { exportToCharacterBook, importCardBook, importCharacterBook, isCard, isCharacterBook } from './character-book.ts';
import type { ImportOptions, ImportResult, LorebookFormat } from './common.ts';
import { importAgnai, isAgnaiMemoryBook } from './agnai.ts';
import { exportToLorebookV3, importLorebookV3, isLorebookV3 } from './lorebook-v3.ts';
import { importNovelAi, isNovelAiLorebook } from './novelai.ts';
import { importRisu, isRisuLorebook } from './risu.ts';
import { exportToSillyTavern, importSillyTavern, isSillyTavernWorldInfo } from './sillytavern.ts';
import { importTldw, isTldwExport } from './tldw.ts';

export type { ImportOptions, ImportResult, ImportWarning, ImportWarningCode, LorebookFormat } from './common.ts';
export type { CharacterBookExportOptions } from './character-book.ts';
export { exportToCharacterBook, importCardBook, importCharacterBook, toCharacterBookEntry } from './character-book.ts';
export { exportToLorebookV3, importLorebookV3, LOREBOOK_V3_SPEC } from './lorebook-v3.ts';
export { exportToSillyTavern, importSillyTavern, toSillyTavernEntry } from './sillytavern.ts';
export { importNovelAi } from './novelai.ts';
export { importAgnai } from './agnai.ts';
export { importRisu } from './risu.ts';
export { importTldw } from './tldw.ts';

/** The format of a parsed JSON document, or null if it is not a lorebook we can read. */
export function detectLorebookFormat(json: unknown): LorebookFormat | null {
  if (isLorebookV3(json)) return 'lorebook_v3';
  if (isCard(json)) return 'card';
  if (isNovelAiLorebook(json)) return 'novelai';
  if (isAgnaiMemoryBook(json)) return 'agnai';
  if (isRisuLorebook(json)) return 'risu';
  if (isTldwExport(json)) return 'tldw';
  if (isSillyTavernWorldInfo(json)) return 'sillytavern';
  if (isCharacterBook(json)) return 'character_book';
  return null;
}

/** Not a lorebook this service reads: 422 `unknown_lorebook_format`. */
export class UnknownLorebookFormatError extends AppError {
  declare readonly code: 'unknown_lorebook_format';
  constructor() {
    super(
      422,
      'unknown_lorebook_format',
      'Not a lorebook this service can read (SillyTavern world info, character_book, lorebook_v3, NovelAI, Agnai, RisuAI or a world-book export)',
    );
    this.name = 'UnknownLorebookFormatError';
  }
}

/** Detects the format and imports. Throws `UnknownLorebookFormatError` (code `unknown_lorebook_format`). */
export function importLorebook(json: unknown, options: ImportOptions = {}): ImportResult {
  switch (detectLorebookFormat(json)) {
    case 'lorebook_v3':
      return importLorebookV3(json, options);
    case 'card':
      return importCardBook(json, options);
    case 'novelai':
      return importNovelAi(json, options);
    case 'agnai':
      return importAgnai(json, options);
    case 'risu':
      return importRisu(json, options);
    case 'tldw':
      return importTldw(json, options);
    case 'sillytavern':
      return importSillyTavern(json, options);
    case 'character_book':
      return importCharacterBook(json, options);
    default:
      throw new UnknownLorebookFormatError();
  }
}

export type ExportFormat = 'sillytavern' | 'lorebook_v3' | 'character_book';

/** Exports a book as a JSON-ready object. */
export function exportLorebook(book: WorldBook, format: ExportFormat): Record<string, unknown> {
  switch (format) {
    case 'sillytavern':
      return exportToSillyTavern(book);
    case 'lorebook_v3':
      return exportToLorebookV3(book);
    case 'character_book':
      return exportToCharacterBook(book);
  }
}

export { isCard, isCharacterBook };
