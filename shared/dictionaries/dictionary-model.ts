/**
 * Chat dictionaries: ordered literal or regex replacements applied to chat text (the original system's
 * `chat_dictionaries` / `dictionary_entries`, digest §2.7 and §5). The model as stored in events and read models:
 * snake_case field names as the API speaks them, so an entry travels unchanged from request to event to response.
 */
import { z } from 'zod';

export const MAX_DICTIONARY_NAME = 100;
export const MAX_DICTIONARY_DESCRIPTION = 500;
export const MAX_DICTIONARY_CATEGORY = 100;
export const MAX_DICTIONARY_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
export const MAX_INCLUDED_DICTIONARIES = 50;
export const MAX_PATTERN_LENGTH = 2000;
export const MAX_REPLACEMENT_LENGTH = 100_000;
export const MAX_GROUP_LENGTH = 100;
/** Longest text `process` accepts (the original's limit). */
export const MAX_PROCESS_TEXT = 400_000;
export const MAX_ITERATIONS = 20;
export const DEFAULT_ITERATIONS = 5;

/** Counted in messages (chat length), like world info: sticky and cooldown last that many messages, delay waits for that chat length. */
export const timedEffectsSchema = z
  .object({
    sticky: z.number().int().min(0).max(100_000).default(0),
    cooldown: z.number().int().min(0).max(100_000).default(0),
    delay: z.number().int().min(0).max(100_000).default(0),
  })
  .strict();
export type TimedEffects = z.infer<typeof timedEffectsSchema>;

export const entryTypeSchema = z.enum(['literal', 'regex']);
export type EntryType = z.infer<typeof entryTypeSchema>;

/** One replacement rule, whole. */
export const dictionaryEntrySchema = z.object({
  pattern: z.string().min(1).max(MAX_PATTERN_LENGTH),
  replacement: z.string().max(MAX_REPLACEMENT_LENGTH),
  type: entryTypeSchema,
  /** 0..1: the chance the entry fires in one processing run (rolled once, when it first matches). */
  probability: z.number().min(0).max(1),
  /** Most replacements of this entry in one processing run; 0 = unlimited. */
  max_replacements: z.number().int().min(0).max(1_000_000),
  group: z.string().max(MAX_GROUP_LENGTH).nullable(),
  timed_effects: timedEffectsSchema,
  enabled: z.boolean(),
  case_sensitive: z.boolean(),
  /** Processing order within the dictionary: lower first (the original's `sort_order`); ties keep insertion order. */
  priority: z.number().int().min(-1_000_000_000).max(1_000_000_000),
});
export type DictionaryEntry = z.infer<typeof dictionaryEntrySchema>;

/** Dictionary-level fields. */
export const dictionaryMetaSchema = z.object({
  name: z.string().trim().min(1).max(MAX_DICTIONARY_NAME),
  description: z.string().max(MAX_DICTIONARY_DESCRIPTION),
  category: z.string().max(MAX_DICTIONARY_CATEGORY).nullable(),
  tags: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_DICTIONARY_TAGS),
  included_dictionary_ids: z.array(z.uuid()).max(MAX_INCLUDED_DICTIONARIES),
  default_token_budget: z.number().int().min(1).nullable(),
  is_active: z.boolean(),
});
export type DictionaryMeta = z.infer<typeof dictionaryMetaSchema>;

export const DEFAULT_ENTRY: Omit<DictionaryEntry, 'pattern' | 'replacement'> = {
  type: 'literal',
  probability: 1,
  max_replacements: 0,
  group: null,
  timed_effects: { sticky: 0, cooldown: 0, delay: 0 },
  enabled: true,
  case_sensitive: true,
  priority: 0,
};

/**
 * The original's probability rules: floats in 0..1 as given, integers above 1 (up to 100) are percentages,
 * booleans 1/0; anything else is invalid (null).
 */
export function normalizeProbability(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const t = value.trim();
    if (t.endsWith('%')) return normalizeProbability(Number(t.slice(0, -1)) / 100);
    return normalizeProbability(Number(t));
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  if (value <= 1) return value;
  if (Number.isInteger(value) && value <= 100) return value / 100;
  return null;
}

/** Tags as the original cleans them: trimmed, empty dropped, case-insensitive duplicates dropped (first kept). */
export function cleanTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
  }
  return out;
}

/** Category as the original cleans it: trimmed, empty → null. */
export function cleanCategory(category: string | null | undefined): string | null {
  const c = category?.trim();
  return c ? c : null;
}
