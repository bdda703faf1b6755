/**
 * The V3 standalone lorebook file: `{ "spec": "lorebook_v3", "data": Lorebook }` (SPEC_V3.md), where `Lorebook`
 * is a V3 `character_book`. Fields next to `spec`/`data` are kept in the book's `extra` under `lorebook_v3`.
 */
import type { WorldBook } from '../entry.ts';
import { exportToCharacterBook, importCharacterBook } from './character-book.ts';
import { deepClone, isRecord } from './common.ts';
import type { ImportOptions, ImportResult } from './common.ts';

export const LOREBOOK_V3_SPEC = 'lorebook_v3';
const WRAPPER_KEY = 'lorebook_v3';

export function isLorebookV3(json: unknown): json is { spec: 'lorebook_v3'; data: Record<string, unknown> } {
  return isRecord(json) && json.spec === LOREBOOK_V3_SPEC && isRecord(json.data);
}

export function importLorebookV3(json: unknown, options: ImportOptions = {}): ImportResult {
  if (!isLorebookV3(json)) throw new TypeError('Not a lorebook_v3 document ({ spec: "lorebook_v3", data: {...} })');
  const result = importCharacterBook(json.data, options, 'lorebook_v3');
  const wrapper: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (k !== 'spec' && k !== 'data') wrapper[k] = deepClone(v);
  if (Object.keys(wrapper).length > 0) result.book.extra = { ...result.book.extra, [WRAPPER_KEY]: wrapper };
  return result;
}

/** A `lorebook_v3` document. Fields the V3 spec requires are always written (`extensions`, entries' `use_regex`). */
export function exportToLorebookV3(book: WorldBook): { spec: 'lorebook_v3'; data: Record<string, unknown> } & Record<string, unknown> {
  const extra = book.extra ?? {};
  const wrapper = isRecord(extra[WRAPPER_KEY]) ? (extra[WRAPPER_KEY] as Record<string, unknown>) : {};
  const inner: WorldBook = { ...book };
  if (WRAPPER_KEY in extra) {
    const rest = { ...extra };
    delete rest[WRAPPER_KEY];
    if (Object.keys(rest).length > 0) inner.extra = rest;
    else delete inner.extra;
  }
  return { ...deepClone(wrapper), spec: LOREBOOK_V3_SPEC, data: exportToCharacterBook(inner, { fillRequired: true }) };
}
