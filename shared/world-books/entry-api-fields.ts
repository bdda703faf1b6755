/**
 * World-book entries over the API: the lorebook model's fields (`shared/worldinfo/entry.ts`) under snake_case names
 * (`secondaryKeys` → `secondary_keys`, `matchWholeWords` → `match_whole_words`, ...). `extensions` and `extra` stay
 * verbatim. Input also takes the original system's names (`keywords`, `regex_match`, `whole_word_match`) and names
 * for `position`, `role` and `selective_logic`.
 */
import { z } from 'zod';
import { POSITION_NAMES, SELECTIVE_LOGIC, WI_POSITION, WI_ROLE, worldInfoEntrySchema, type WorldInfoEntry } from '../worldinfo/index.ts';

type ModelField = keyof typeof worldInfoEntrySchema.shape;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const MODEL_FIELDS = Object.keys(worldInfoEntrySchema.shape) as ModelField[];
const API_TO_MODEL = new Map<string, ModelField>(MODEL_FIELDS.map((f) => [snake(f), f]));

/** The original system's entry field names. */
const ALIASES: Record<string, ModelField> = { keywords: 'keys', regex_match: 'useRegex', whole_word_match: 'matchWholeWords' };

const POSITION_BY_NAME: Record<string, number> = {
  ...Object.fromEntries(Object.entries(POSITION_NAMES).map(([code, name]) => [name, Number(code)])),
  before_char: WI_POSITION.before,
  after_char: WI_POSITION.after,
};

const positionSchema = z.union([
  z.number().int().min(0),
  z.enum(Object.keys(POSITION_BY_NAME) as [string, ...string[]]).transform((n) => POSITION_BY_NAME[n]!),
]);
const roleSchema = z
  .union([z.number().int().min(0).max(2), z.enum(['system', 'user', 'assistant']).transform((n) => WI_ROLE[n])])
  .nullable();
const logicSchema = z.union([
  z.number().int().min(0).max(3),
  z
    .enum(['AND_ANY', 'NOT_ALL', 'NOT_ANY', 'AND_ALL', 'and_any', 'not_all', 'not_any', 'and_all'])
    .transform((n) => SELECTIVE_LOGIC[n.toUpperCase() as keyof typeof SELECTIVE_LOGIC]),
]);
const characterFilterSchema = z
  .object({ is_exclude: z.boolean().optional(), names: z.array(z.string()).optional(), tags: z.array(z.string()).optional() })
  .strict();

const MAX_KEYS = 1000;
const keyList = z.array(z.string().max(10_000)).max(MAX_KEYS);

function apiFieldSchema(field: ModelField): z.ZodType {
  switch (field) {
    case 'position':
      return positionSchema;
    case 'role':
      return roleSchema;
    case 'selectiveLogic':
      return logicSchema;
    case 'characterFilter':
      return characterFilterSchema;
    case 'keys':
    case 'secondaryKeys':
      return keyList;
    case 'content':
      return z.string().max(1_000_000);
    default:
      return worldInfoEntrySchema.shape[field] as z.ZodType;
  }
}

const shape: Record<string, z.ZodType> = {};
for (const field of MODEL_FIELDS) shape[snake(field)] = apiFieldSchema(field).optional();
for (const [alias, field] of Object.entries(ALIASES)) shape[alias] = apiFieldSchema(field).optional();

/** Any subset of the entry's fields (an update; also the body of a create, where `keys` and `content` default). */
export const entryFieldsSchema = z
  .object(shape)
  .strict()
  .refine((o) => !(o.keys !== undefined && o.keywords !== undefined), { message: 'give keys or keywords, not both' });

export type EntryFieldsInput = Record<string, unknown>;

/** Parsed API fields → model fields (only those given). */
export function entryChangesFromApi(input: EntryFieldsInput): Partial<WorldInfoEntry> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const field = API_TO_MODEL.get(name) ?? ALIASES[name];
    if (!field) continue;
    if (field === 'characterFilter') {
      const f = value as { is_exclude?: boolean; names?: string[]; tags?: string[] };
      out.characterFilter = {
        ...(f.is_exclude !== undefined ? { isExclude: f.is_exclude } : {}),
        ...(f.names ? { names: f.names } : {}),
        ...(f.tags ? { tags: f.tags } : {}),
      };
    } else out[field] = value;
  }
  return out as Partial<WorldInfoEntry>;
}

/** A model entry → API fields (only the fields the entry has: absent means "not in the source"). */
export function entryToApi(entry: WorldInfoEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of MODEL_FIELDS) {
    const value = entry[field];
    if (value === undefined) continue;
    if (field === 'characterFilter') {
      const { isExclude, ...rest } = value as { isExclude?: boolean } & Record<string, unknown>;
      out.character_filter = { ...(isExclude !== undefined ? { is_exclude: isExclude } : {}), ...rest };
    } else out[snake(field)] = value;
  }
  return out;
}
