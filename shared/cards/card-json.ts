/**
 * Card JSON dialects → canonical V3 card, and canonical card → V3 / V2 JSON.
 *
 * Dialects (checked in this order):
 *  - V3: `spec: "chara_card_v3"` with a `data` object (`spec_version` other than 3.0 is accepted with a warning).
 *  - V2: `spec: "chara_card_v2"` with a `data` object; also a `data` object with no `spec` (read as V2, warned).
 *  - SillyTavern hybrid: either of the above plus top-level V1 fields. A top-level field equal to its `data` field is
 *    recorded in `v1Mirror` (re-derived from `data` on export); one that differs is kept verbatim in `topLevelExtras`.
 *  - Pygmalion/Gradio: `char_name`, `char_persona` → description, `char_greeting` → first_mes,
 *    `world_scenario` → scenario, `example_dialogue` → mes_example.
 *  - text-generation-webui: `name` with `context` → description and/or `greeting` → first_mes (+ `example_dialogue`).
 *  - V1: flat fields (`name`, `description`, …, `creatorcomment` → creator_notes as SillyTavern does).
 * Keys a dialect does not consume go to `topLevelExtras`.
 */
import { KNOWN_DATA_KEYS, dataKeyForMirror, type CanonicalCard, type CardData } from './card-schema.ts';
import { fail } from './card-errors.ts';
import { normalizeCardData, type NormalizeContext } from './card-normalize.ts';
import { assertJsonShape, copyObject, getOwn, hasOwn, isPlainObject, jsonEqual, setOwn, type JsonObject } from './json-value.ts';
import type { CardLimits } from './limits.ts';
import { decodeUtf8 } from './text-decode.ts';
import { assertCardWithinLimits } from './validate-card.ts';

export type CardDialect = 'v1' | 'v2' | 'v3' | 'pygmalion' | 'textgen' | 'markdown' | 'text' | 'image-only';

export interface CardSourceInfo {
  dialect: CardDialect;
  /** The source's `spec` value, or null (V1 and the other spec-less dialects). */
  spec: string | null;
  specVersion: string | null;
  /** True when the source carried SillyTavern's top-level V1 mirror next to `data`. */
  hybrid: boolean;
}

export interface CardBuildContext extends NormalizeContext {
  limits: CardLimits;
  /** Name used when the card's own name is empty (derived from the upload's file name). */
  fallbackName?: string | undefined;
}

export interface CanonicalizedCard {
  card: CanonicalCard;
  source: CardSourceInfo;
}

const RESERVED_TOP_LEVEL = new Set(['spec', 'spec_version', 'data']);
const MIRRORABLE = new Set<string>([...KNOWN_DATA_KEYS, 'creatorcomment']);
const V1_FIELDS = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'];

const PYGMALION_MAP: Record<string, string> = {
  char_name: 'name',
  char_persona: 'description',
  world_scenario: 'scenario',
  char_greeting: 'first_mes',
  example_dialogue: 'mes_example',
};

const TEXTGEN_MAP: Record<string, string> = {
  name: 'name',
  context: 'description',
  greeting: 'first_mes',
  example_dialogue: 'mes_example',
};

function specVersionOf(raw: JsonObject): string | null {
  const v = getOwn(raw, 'spec_version');
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v.toFixed(1);
  return null;
}

function applyFallbackName(data: CardData, ctx: CardBuildContext): void {
  if (data.name.trim() !== '') return;
  if (ctx.fallbackName && ctx.fallbackName.trim() !== '') {
    data.name = ctx.fallbackName;
    ctx.warnings.push(`the card has no name; using "${ctx.fallbackName}" from the file name`);
    return;
  }
  fail('missing_name', 'the card has no name');
}

/** Splits the source's top-level keys into mirrored ones and verbatim extras. */
function splitTopLevel(raw: JsonObject, data: CardData, consumed: ReadonlySet<string>, allowMirror: boolean, ctx: CardBuildContext) {
  const topLevelExtras: JsonObject = {};
  const v1Mirror: string[] = [];
  for (const key of Object.keys(raw)) {
    if (consumed.has(key)) continue;
    if (RESERVED_TOP_LEVEL.has(key)) {
      ctx.warnings.push(`top-level "${key}" is not valid here and was dropped`);
      continue;
    }
    const value = raw[key];
    const dataKey = dataKeyForMirror(key);
    if (allowMirror && MIRRORABLE.has(key) && hasOwn(data, dataKey) && jsonEqual(value, data[dataKey])) v1Mirror.push(key);
    else setOwn(topLevelExtras, key, value);
  }
  return { topLevelExtras, v1Mirror };
}

function finish(
  data: CardData,
  raw: JsonObject,
  consumed: ReadonlySet<string>,
  allowMirror: boolean,
  source: CardSourceInfo,
  ctx: CardBuildContext,
): CanonicalizedCard {
  applyFallbackName(data, ctx);
  const { topLevelExtras, v1Mirror } = splitTopLevel(raw, data, consumed, allowMirror, ctx);
  const card: CanonicalCard = { spec: 'chara_card_v3', spec_version: '3.0', data, topLevelExtras, v1Mirror };
  assertCardWithinLimits(card, ctx.limits);
  if (source.dialect === 'v2' || source.dialect === 'v3')
    source.hybrid = v1Mirror.some((k) => V1_FIELDS.includes(k) || k === 'creatorcomment');
  return { card, source };
}

function fromMapped(raw: JsonObject, map: Record<string, string>, dialect: CardDialect, ctx: CardBuildContext): CanonicalizedCard {
  const fields: JsonObject = {};
  for (const [from, to] of Object.entries(map)) if (hasOwn(raw, from)) fields[to] = raw[from];
  const data = normalizeCardData(fields, ctx, dialect);
  return finish(data, raw, new Set(Object.keys(map)), false, { dialect, spec: null, specVersion: null, hybrid: false }, ctx);
}

/** Builds a canonical card from a field set produced by a text-format parser (no top level to preserve). */
export function canonicalizeFields(fields: JsonObject, dialect: CardDialect, ctx: CardBuildContext): CanonicalizedCard {
  const data = normalizeCardData(fields, ctx, dialect);
  return finish(data, {}, new Set(), false, { dialect, spec: null, specVersion: null, hybrid: false }, ctx);
}

function fromV1(raw: JsonObject, ctx: CardBuildContext): CanonicalizedCard {
  const fields: JsonObject = {};
  for (const key of KNOWN_DATA_KEYS) if (hasOwn(raw, key)) setOwn(fields, key, raw[key]);
  if (hasOwn(raw, 'creatorcomment')) fields.creator_notes = raw.creatorcomment;
  const data = normalizeCardData(fields, ctx, 'card');
  return finish(data, raw, new Set(), true, { dialect: 'v1', spec: null, specVersion: null, hybrid: false }, ctx);
}

function fromSpec(
  raw: JsonObject,
  rawData: JsonObject,
  dialect: 'v2' | 'v3',
  spec: string | null,
  ctx: CardBuildContext,
): CanonicalizedCard {
  const data = normalizeCardData(rawData, ctx, 'data');
  return finish(data, raw, RESERVED_TOP_LEVEL, true, { dialect, spec, specVersion: specVersionOf(raw), hybrid: false }, ctx);
}

/** Turns a parsed card document (any supported dialect) into a canonical card. Throws CardFailure. */
export function canonicalizeCardObject(raw: unknown, ctx: CardBuildContext): CanonicalizedCard {
  if (!isPlainObject(raw)) return fail('invalid_card', `a card must be a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  const spec = getOwn(raw, 'spec');
  const data = getOwn(raw, 'data');
  if (spec !== undefined && typeof spec !== 'string') return fail('invalid_card', 'spec must be a string');
  if (typeof spec === 'string') {
    if (!isPlainObject(data)) {
      if (spec === 'chara_card_v2' || spec === 'chara_card_v3') return fail('invalid_card', `a ${spec} card must have a data object`);
      return fail('invalid_card', `a "${spec}" document is not a character card`);
    }
    if (spec === 'chara_card_v3') {
      const version = specVersionOf(raw);
      const n = version === null ? NaN : Number.parseFloat(version);
      if (!Number.isFinite(n))
        ctx.warnings.push(`spec_version ${JSON.stringify(getOwn(raw, 'spec_version'))} is not a number; read as 3.0`);
      else if (n > 3)
        ctx.warnings.push(`spec_version ${version} is newer than 3.0; fields this version does not know are kept as they are`);
      return fromSpec(raw, data, 'v3', spec, ctx);
    }
    if (spec !== 'chara_card_v2') ctx.warnings.push(`unknown spec "${spec}"; read as a V2 card`);
    return fromSpec(raw, data, 'v2', spec, ctx);
  }
  if (isPlainObject(data) && (hasOwn(data, 'name') || hasOwn(data, 'first_mes'))) {
    ctx.warnings.push('the card has a data object but no spec; read as V2');
    return fromSpec(raw, data, 'v2', null, ctx);
  }
  if (hasOwn(raw, 'char_name')) return fromMapped(raw, PYGMALION_MAP, 'pygmalion', ctx);
  if (
    hasOwn(raw, 'name') &&
    (hasOwn(raw, 'context') || hasOwn(raw, 'greeting')) &&
    !hasOwn(raw, 'first_mes') &&
    !hasOwn(raw, 'description')
  ) {
    return fromMapped(raw, TEXTGEN_MAP, 'textgen', ctx);
  }
  if (V1_FIELDS.some((key) => hasOwn(raw, key))) return fromV1(raw, ctx);
  return fail('invalid_card', 'no character card fields found (expected spec and data, name, or char_name)');
}

/** Parses a JSON document with the depth/size/shape limits. `what` names it in error details. */
export function parseJsonDocument(text: string, ctx: CardBuildContext, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail('invalid_json', `${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  assertJsonShape(value, ctx.limits, what, 'invalid_json');
  return value;
}

export function checkCardDocumentSize(byteLength: number, limits: CardLimits, what: string): void {
  if (byteLength > limits.maxCardJsonBytes)
    fail('card_too_large', `${what} is ${byteLength} bytes; at most ${limits.maxCardJsonBytes} are allowed`);
}

/** UTF-8 JSON bytes → canonical card. */
export function parseCardJsonBytes(bytes: Uint8Array, ctx: CardBuildContext, what = 'card JSON'): CanonicalizedCard {
  checkCardDocumentSize(bytes.length, ctx.limits, what);
  return canonicalizeCardObject(parseJsonDocument(decodeUtf8(bytes, what), ctx, what), ctx);
}

function withTopLevel(card: CanonicalCard, spec: string, specVersion: string): JsonObject {
  const out: JsonObject = { spec, spec_version: specVersion, data: card.data };
  for (const key of card.v1Mirror) {
    if (RESERVED_TOP_LEVEL.has(key)) continue;
    const dataKey = dataKeyForMirror(key);
    if (hasOwn(card.data, dataKey)) setOwn(out, key, card.data[dataKey]);
  }
  for (const key of Object.keys(card.topLevelExtras)) {
    if (!RESERVED_TOP_LEVEL.has(key) && !hasOwn(out, key)) setOwn(out, key, card.topLevelExtras[key]);
  }
  return out;
}

/** The card as a Character Card V3 document (with the source's top-level mirror and extras). */
export function toV3Json(card: CanonicalCard): JsonObject {
  return withTopLevel(card, 'chara_card_v3', '3.0');
}

/**
 * The card as a Character Card V2 document. V3-only `data` fields (`assets`, `nickname`, `creator_notes_multilingual`,
 * `source`, `group_only_greetings`, `creation_date`, `modification_date`) and V3 lorebook fields (`use_regex`) stay
 * in `data` as fields a V2 reader does not know (the V2 spec requires keeping those; SillyTavern itself writes
 * `group_only_greetings` into V2 cards). Nothing is moved into `extensions`, so V2 → import gives the same card back.
 */
export function toV2Json(card: CanonicalCard): JsonObject {
  return withTopLevel({ ...card, data: copyObject(card.data) as CardData }, 'chara_card_v2', '2.0');
}
