import { z } from 'zod';
import {
  DEFAULT_ITERATIONS,
  MAX_DICTIONARY_CATEGORY,
  MAX_DICTIONARY_DESCRIPTION,
  MAX_DICTIONARY_NAME,
  MAX_DICTIONARY_TAGS,
  MAX_GROUP_LENGTH,
  MAX_INCLUDED_DICTIONARIES,
  MAX_ITERATIONS,
  MAX_PATTERN_LENGTH,
  MAX_REPLACEMENT_LENGTH,
  MAX_TAG_LENGTH,
  timedEffectsSchema,
} from '../../../shared/dictionaries/dictionary-model.ts';
import { applyToSchema } from '../../../shared/events/chat-dictionary-events.ts';
import { TOKENIZER_NAMES, resolveTokenizerFamily } from '../../../shared/tokenizer/index.ts';

/** Request and response schemas of the chat-dictionary routes (they validate and generate OpenAPI). */
const uuid = () => z.uuid({ message: 'must be a UUID' });
export const dictionaryParams = z.object({ id: uuid() });
export const entryParams = z.object({ entry_id: uuid() });
export const characterAttachParams = z.object({ id: uuid() });
export const characterDetachParams = z.object({ id: uuid(), dictionary_id: uuid() });
export const chatAttachParams = z.object({ chat_id: uuid() });
export const chatDetachParams = z.object({ chat_id: uuid(), dictionary_id: uuid() });

/** A list, a JSON array in a string, or a comma-separated string (the original accepts all three). */
const flexibleList = <T extends z.ZodType>(item: T, max: number) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const t = v.trim();
    if (t.startsWith('[')) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return v;
      }
    }
    return t === '' ? [] : t.split(',').map((s) => s.trim());
  }, z.array(item).max(max));

const tags = flexibleList(
  z.string().trim().max(MAX_TAG_LENGTH, `each tag must be at most ${MAX_TAG_LENGTH} characters`),
  MAX_DICTIONARY_TAGS * 5,
);
const included = flexibleList(z.uuid({ message: 'must be a dictionary id (UUID)' }), MAX_INCLUDED_DICTIONARIES);

const dictionaryFields = {
  name: z.string().trim().min(1, 'name must not be empty').max(MAX_DICTIONARY_NAME),
  description: z.string().max(MAX_DICTIONARY_DESCRIPTION),
  category: z.string().max(MAX_DICTIONARY_CATEGORY).nullable(),
  tags,
  included_dictionary_ids: included,
  default_token_budget: z.number().int().min(1).nullable(),
  is_active: z.boolean(),
};

/** Probability as a fraction (0..1) or a percentage (an integer up to 100), as the original accepts it. */
const probability = z
  .number()
  .refine((p) => Number.isFinite(p) && p >= 0 && (p <= 1 || (Number.isInteger(p) && p <= 100)), {
    message: 'Probability must be between 0.0 and 1.0 (or a whole percentage 0..100)',
  })
  .transform((p) => (p > 1 ? p / 100 : p));

export const entryFields = {
  pattern: z.string().min(1, 'pattern must not be empty').max(MAX_PATTERN_LENGTH),
  replacement: z.string().max(MAX_REPLACEMENT_LENGTH),
  type: z.enum(['literal', 'regex']),
  probability,
  max_replacements: z.number().int().min(0).max(1_000_000),
  group: z
    .string()
    .trim()
    .max(MAX_GROUP_LENGTH)
    .nullable()
    .transform((g) => (g ? g : null)),
  timed_effects: timedEffectsSchema.partial(),
  enabled: z.boolean(),
  case_sensitive: z.boolean(),
  priority: z.number().int().min(-1_000_000_000).max(1_000_000_000),
};

export const createEntryBody = z.object(entryFields).partial().required({ pattern: true, replacement: true }).strict();
export const updateEntryBody = z
  .object({ ...entryFields, version: z.number().int().min(1).optional() })
  .partial()
  .strict();

export const createDictionaryBody = z
  .object({
    ...dictionaryFields,
    description: dictionaryFields.description.default(''),
    category: dictionaryFields.category.optional(),
    tags: tags.default([]),
    included_dictionary_ids: included.default([]),
    default_token_budget: dictionaryFields.default_token_budget.optional(),
    is_active: dictionaryFields.is_active.default(true),
    entries: z.array(createEntryBody).max(10_000).optional(),
  })
  .strict();

/** `version` is the expected version (the original takes it in the body); a stale one is a 409. */
export const updateDictionaryBody = z
  .object({ ...dictionaryFields, version: z.number().int().min(1) })
  .partial()
  .strict();

export const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();

export const listQuery = z
  .object({
    include_inactive: z.stringbool().default(false),
    include_deleted: z.stringbool().default(false),
    include_usage: z.stringbool().default(false),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export const listEntriesQuery = z.object({ group: z.string().max(MAX_GROUP_LENGTH).optional() }).strict();

export const reorderBody = z
  .object({
    entry_ids: z.array(z.uuid()).min(1, 'entry_ids must contain at least one entry ID').max(10_000),
    version: z.number().int().min(1).optional(),
  })
  .strict();

export const processBody = z
  .object({
    text: z.string(),
    dictionary_id: z.uuid().optional(),
    dictionary_ids: z.array(z.uuid()).max(100).optional(),
    group: z.string().max(MAX_GROUP_LENGTH).optional(),
    max_iterations: z.number().int().min(1).max(MAX_ITERATIONS).default(DEFAULT_ITERATIONS),
    token_budget: z.number().int().min(1).optional(),
    /** Evaluate timed effects against this chat's state and length (read only: nothing is recorded). */
    chat_id: z.uuid().optional(),
    /** Seed of the probability rolls (a repeatable run); random otherwise. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    tokenizer: z.enum(TOKENIZER_NAMES).default('cl100k').transform(resolveTokenizerFamily),
  })
  .strict();

export const importMarkdownBody = z
  .object({
    name: z.string().trim().min(1).max(MAX_DICTIONARY_NAME).optional(),
    content: z.string().min(1).max(5_000_000),
    activate: z.boolean().default(true),
  })
  .strict();
export const importJsonBody = z
  .object({
    data: z.record(z.string(), z.unknown()),
    name: z.string().trim().min(1).max(MAX_DICTIONARY_NAME).optional(),
    activate: z.boolean().default(true),
  })
  .strict();

export const attachBody = z
  .object({
    dictionary_id: z.uuid(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    enabled: z.boolean().default(true),
    /** Which text of a completion it rewrites: the user's turn (default), the reply, or both. */
    apply_to: applyToSchema.default('input'),
  })
  .strict();

export const attachmentsQuery = z.object({ enabled_only: z.stringbool().default(false) }).strict();

export const dictionaryViewSchema = z.looseObject({
  id: z.uuid(),
  version: z.number().int(),
  name: z.string(),
  description: z.string(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  included_dictionary_ids: z.array(z.uuid()),
  default_token_budget: z.number().int().nullable(),
  is_active: z.boolean(),
  entry_count: z.number().int(),
  entries: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const entryViewSchema = z.looseObject({
  id: z.uuid(),
  dictionary_id: z.uuid(),
  pattern: z.string(),
  replacement: z.string(),
  type: z.string(),
  priority: z.number().int(),
});
export const attachmentViewSchema = dictionaryViewSchema.extend({
  dictionary_id: z.uuid(),
  target_kind: z.string(),
  target_id: z.uuid(),
  attachment_enabled: z.boolean(),
  attachment_priority: z.number().int(),
  apply_to: applyToSchema,
});
export const processResultSchema = z.looseObject({
  original_text: z.string(),
  processed_text: z.string(),
  replacements: z.number().int(),
  iterations: z.number().int(),
  entries_used: z.array(z.string()),
  token_budget_exceeded: z.boolean(),
  token_budget_used: z.number().int().nullable(),
  processing_time_ms: z.number(),
  explanations: z.array(z.record(z.string(), z.unknown())),
});
