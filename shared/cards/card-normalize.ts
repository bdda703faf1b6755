/**
 * Field-level normalisation of a card's `data` object into the canonical V3 shape.
 *
 * Policy: unknown keys are kept verbatim; missing fields that the specs require get the spec default ("" / [] / {});
 * common real-world type slips are repaired with a warning (a comma string for `tags`, a single string for
 * `alternate_greetings`, numbers where strings belong, numeric strings where numbers belong, `null` for optional
 * fields); anything else is a 422 `invalid_card` naming the field. Normalising a normalised card is a no-op, which is
 * what makes export → import lossless.
 */
import type { CardAssetRef, CardData, CharacterBook, CharacterBookEntry } from './card-schema.ts';
import { fail } from './card-errors.ts';
import {
  assertJsonShape,
  copyObject,
  describeType,
  getOwn,
  hasOwn,
  isPlainObject,
  type JsonObject,
  type JsonShapeLimits,
} from './json-value.ts';

export interface NormalizeContext {
  warnings: string[];
  limits: JsonShapeLimits;
}

const STRING_FIELDS = [
  'name',
  'description',
  'personality',
  'scenario',
  'first_mes',
  'mes_example',
  'creator_notes',
  'system_prompt',
  'post_history_instructions',
  'creator',
  'character_version',
] as const;

function warn(ctx: NormalizeContext, message: string): void {
  ctx.warnings.push(message);
}

function toStringValue(value: unknown, path: string, ctx: NormalizeContext): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') {
    warn(ctx, `${path} was a ${typeof value}; converted to a string`);
    return String(value);
  }
  return fail('invalid_card', `${path} must be a string, got ${describeType(value)}`);
}

type StringListMode = 'comma-split' | 'single';

function toStringList(value: unknown, path: string, ctx: NormalizeContext, mode: StringListMode): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    if (mode === 'comma-split') {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      warn(ctx, `${path} was a comma-separated string; split into ${items.length} item(s)`);
      return items;
    }
    warn(ctx, `${path} was a single string; wrapped in a list`);
    return value === '' ? [] : [value];
  }
  if (!Array.isArray(value)) return fail('invalid_card', `${path} must be a list of strings, got ${describeType(value)}`);
  const out: string[] = [];
  let repaired = false;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') {
      out.push(String(item));
      repaired = true;
    } else if (item === null || item === undefined) repaired = true;
    else fail('invalid_card', `${path}[${i}] must be a string, got ${describeType(item)}`);
  }
  if (repaired) warn(ctx, `${path} contained non-string items; numbers/booleans converted, nulls dropped`);
  return out;
}

function toRecord(value: unknown, path: string, ctx: NormalizeContext): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (isPlainObject(value)) return value;
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return fail('invalid_card', `${path} must be an object, got a string that is not JSON`);
    }
    if (!isPlainObject(parsed)) return fail('invalid_card', `${path} must be an object, got a string holding ${describeType(parsed)}`);
    assertJsonShape(parsed, ctx.limits, path, 'invalid_json');
    warn(ctx, `${path} was a JSON string; parsed into an object`);
    return parsed;
  }
  return fail('invalid_card', `${path} must be an object, got ${describeType(value)}`);
}

function toNumber(value: unknown, path: string, ctx: NormalizeContext): number | undefined {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return fail('invalid_card', `${path} must be a finite number`);
  }
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    warn(ctx, `${path} was a numeric string; converted to a number`);
    return Number(value);
  }
  return undefined;
}

function toBoolean(value: unknown, path: string, ctx: NormalizeContext): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') {
    warn(ctx, `${path} was the string "${value}"; converted to a boolean`);
    return value === 'true';
  }
  if (value === 0 || value === 1) {
    warn(ctx, `${path} was the number ${value}; converted to a boolean`);
    return value === 1;
  }
  return undefined;
}

/** Unix seconds. Accepts numbers, numeric strings and ISO-8601 date strings (some exporters write those). */
function toTimestamp(value: unknown, path: string, ctx: NormalizeContext): number {
  const n = toNumber(value, path, ctx);
  if (n !== undefined) return n;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) {
      warn(ctx, `${path} was a date string; converted to Unix seconds`);
      return Math.floor(ms / 1000);
    }
  }
  return fail('invalid_card', `${path} must be a Unix timestamp in seconds, got ${describeType(value)}`);
}

type OptionalKind = 'string' | 'number' | 'boolean' | 'id' | 'string-list' | 'position';

/** Optional lorebook fields: absent stays absent, `null` is kept (common in real books), wrong types repaired or rejected. */
function normalizeOptional(obj: JsonObject, key: string, kind: OptionalKind, path: string, ctx: NormalizeContext): void {
  if (!hasOwn(obj, key)) return;
  const value = obj[key];
  if (value === null || value === undefined) {
    if (value === undefined) delete obj[key];
    return;
  }
  const p = `${path}.${key}`;
  switch (kind) {
    case 'string':
      obj[key] = toStringValue(value, p, ctx);
      return;
    case 'number': {
      const n = toNumber(value, p, ctx);
      if (n === undefined) fail('invalid_card', `${p} must be a number, got ${describeType(value)}`);
      obj[key] = n;
      return;
    }
    case 'boolean': {
      const b = toBoolean(value, p, ctx);
      if (b === undefined) fail('invalid_card', `${p} must be a boolean, got ${describeType(value)}`);
      obj[key] = b;
      return;
    }
    case 'id':
      if (typeof value === 'number' || typeof value === 'string') return;
      fail('invalid_card', `${p} must be a number or a string, got ${describeType(value)}`);
      return;
    case 'string-list':
      obj[key] = toStringList(value, p, ctx, 'comma-split');
      return;
    case 'position':
      if (typeof value === 'string') return;
      if (value === 0 || value === 1) {
        // SillyTavern's world-info numbering leaking into a card: 0 = before, anything else = after the character.
        obj[key] = value === 0 ? 'before_char' : 'after_char';
        warn(ctx, `${p} was the number ${value}; converted to "${String(obj[key])}"`);
        return;
      }
      fail('invalid_card', `${p} must be a string, got ${describeType(value)}`);
  }
}

function normalizeBookEntry(raw: unknown, path: string, ctx: NormalizeContext): CharacterBookEntry {
  if (!isPlainObject(raw)) return fail('invalid_card', `${path} must be an object, got ${describeType(raw)}`);
  const entry = copyObject(raw);
  const keys = getOwn(raw, 'keys');
  entry.keys = toStringList(keys, `${path}.keys`, ctx, 'comma-split');
  entry.content = toStringValue(getOwn(raw, 'content'), `${path}.content`, ctx);
  entry.extensions = toRecord(getOwn(raw, 'extensions'), `${path}.extensions`, ctx);
  const enabled = getOwn(raw, 'enabled');
  entry.enabled =
    enabled === undefined || enabled === null
      ? true
      : (toBoolean(enabled, `${path}.enabled`, ctx) ??
        fail('invalid_card', `${path}.enabled must be a boolean, got ${describeType(enabled)}`));
  const order = getOwn(raw, 'insertion_order');
  entry.insertion_order =
    order === undefined || order === null
      ? 0
      : (toNumber(order, `${path}.insertion_order`, ctx) ??
        fail('invalid_card', `${path}.insertion_order must be a number, got ${describeType(order)}`));
  const useRegex = getOwn(raw, 'use_regex');
  entry.use_regex =
    useRegex === undefined || useRegex === null
      ? false
      : (toBoolean(useRegex, `${path}.use_regex`, ctx) ??
        fail('invalid_card', `${path}.use_regex must be a boolean, got ${describeType(useRegex)}`));
  normalizeOptional(entry, 'case_sensitive', 'boolean', path, ctx);
  normalizeOptional(entry, 'constant', 'boolean', path, ctx);
  normalizeOptional(entry, 'selective', 'boolean', path, ctx);
  normalizeOptional(entry, 'name', 'string', path, ctx);
  normalizeOptional(entry, 'comment', 'string', path, ctx);
  normalizeOptional(entry, 'priority', 'number', path, ctx);
  normalizeOptional(entry, 'id', 'id', path, ctx);
  normalizeOptional(entry, 'secondary_keys', 'string-list', path, ctx);
  normalizeOptional(entry, 'position', 'position', path, ctx);
  return entry as CharacterBookEntry;
}

export function normalizeCharacterBook(raw: unknown, path: string, ctx: NormalizeContext): CharacterBook {
  if (!isPlainObject(raw)) return fail('invalid_card', `${path} must be an object, got ${describeType(raw)}`);
  const book = copyObject(raw);
  const entries = getOwn(raw, 'entries');
  if (entries === undefined || entries === null) book.entries = [];
  else if (Array.isArray(entries)) book.entries = entries.map((e, i) => normalizeBookEntry(e, `${path}.entries[${i}]`, ctx));
  else fail('invalid_card', `${path}.entries must be a list, got ${describeType(entries)}`);
  book.extensions = toRecord(getOwn(raw, 'extensions'), `${path}.extensions`, ctx);
  normalizeOptional(book, 'name', 'string', path, ctx);
  normalizeOptional(book, 'description', 'string', path, ctx);
  normalizeOptional(book, 'scan_depth', 'number', path, ctx);
  normalizeOptional(book, 'token_budget', 'number', path, ctx);
  normalizeOptional(book, 'recursive_scanning', 'boolean', path, ctx);
  return book as CharacterBook;
}

function extensionOf(uri: string): string {
  const tail = uri.split(/[?#]/, 1)[0] ?? '';
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(tail);
  return match?.[1] ? match[1].toLowerCase() : 'unknown';
}

function normalizeAssets(raw: unknown, path: string, ctx: NormalizeContext): CardAssetRef[] {
  if (!Array.isArray(raw)) return fail('invalid_card', `${path} must be a list, got ${describeType(raw)}`);
  return raw.map((item, i) => {
    const p = `${path}[${i}]`;
    if (!isPlainObject(item)) return fail('invalid_card', `${p} must be an object, got ${describeType(item)}`);
    const asset = copyObject(item);
    const uri = getOwn(item, 'uri');
    if (typeof uri !== 'string') return fail('invalid_card', `${p}.uri must be a string, got ${describeType(uri)}`);
    const type = getOwn(item, 'type');
    if (typeof type !== 'string') return fail('invalid_card', `${p}.type must be a string, got ${describeType(type)}`);
    const name = getOwn(item, 'name');
    if (name === undefined || name === null) {
      asset.name = '';
      warn(ctx, `${p}.name was missing; set to ""`);
    } else asset.name = toStringValue(name, `${p}.name`, ctx);
    const ext = getOwn(item, 'ext');
    if (ext === undefined || ext === null) {
      asset.ext = extensionOf(uri);
      warn(ctx, `${p}.ext was missing; set to "${String(asset.ext)}"`);
    } else asset.ext = toStringValue(ext, `${p}.ext`, ctx);
    return asset as CardAssetRef;
  });
}

function normalizeMultilingual(raw: unknown, path: string, ctx: NormalizeContext): Record<string, string> {
  if (!isPlainObject(raw)) return fail('invalid_card', `${path} must be an object, got ${describeType(raw)}`);
  const out = copyObject(raw);
  for (const key of Object.keys(raw)) out[key] = toStringValue(raw[key], `${path}.${key}`, ctx);
  return out as Record<string, string>;
}

/** True when an optional field is absent; a `null` value (Chub and others write `"character_book": null`) is removed. */
function isAbsent(data: JsonObject, key: string, path: string, ctx: NormalizeContext): boolean {
  if (!hasOwn(data, key)) return true;
  const value = data[key];
  if (value !== null && value !== undefined) return false;
  delete data[key];
  if (value === null) warn(ctx, `${path}.${key} was null; removed`);
  return true;
}

/** Normalises a V2/V3 `data` object (or the field set built from a V1/Pygmalion/text source). `path` prefixes messages. */
export function normalizeCardData(raw: JsonObject, ctx: NormalizeContext, path = 'data'): CardData {
  const data = copyObject(raw);
  for (const key of STRING_FIELDS) data[key] = toStringValue(getOwn(raw, key), `${path}.${key}`, ctx);
  data.alternate_greetings = toStringList(getOwn(raw, 'alternate_greetings'), `${path}.alternate_greetings`, ctx, 'single');
  data.tags = toStringList(getOwn(raw, 'tags'), `${path}.tags`, ctx, 'comma-split');
  data.group_only_greetings = toStringList(getOwn(raw, 'group_only_greetings'), `${path}.group_only_greetings`, ctx, 'single');
  data.extensions = toRecord(getOwn(raw, 'extensions'), `${path}.extensions`, ctx);

  const absent = (key: string): boolean => isAbsent(data, key, path, ctx);
  if (!absent('character_book')) data.character_book = normalizeCharacterBook(data.character_book, `${path}.character_book`, ctx);
  if (!absent('nickname')) data.nickname = toStringValue(data.nickname, `${path}.nickname`, ctx);
  if (!absent('creator_notes_multilingual')) {
    data.creator_notes_multilingual = normalizeMultilingual(data.creator_notes_multilingual, `${path}.creator_notes_multilingual`, ctx);
  }
  if (!absent('source')) data.source = toStringList(data.source, `${path}.source`, ctx, 'single');
  if (!absent('creation_date')) data.creation_date = toTimestamp(data.creation_date, `${path}.creation_date`, ctx);
  if (!absent('modification_date')) data.modification_date = toTimestamp(data.modification_date, `${path}.modification_date`, ctx);
  if (!absent('assets')) data.assets = normalizeAssets(data.assets, `${path}.assets`, ctx);
  return data as CardData;
}
