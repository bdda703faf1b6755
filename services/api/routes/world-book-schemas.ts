import { z } from 'zod';
import { bulkOperationSchema, MAX_BOOK_DESCRIPTION, MAX_BOOK_NAME } from '../../../shared/events/world-book-events.ts';
import { TOKENIZER_NAMES, resolveTokenizerFamily } from '../../../shared/tokenizer/index.ts';
import { entryFieldsSchema } from '../../../shared/world-books/entry-api-fields.ts';
import { asOfParam } from './as-of-param.ts';

/** Request and response schemas of the world-book routes (they validate and generate OpenAPI). */
export const bookParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
export const entryParams = bookParams.extend({ entry_id: z.uuid({ message: 'must be a UUID' }) });
export const characterParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
export const attachmentParams = characterParams.extend({ world_book_id: z.uuid({ message: 'must be a UUID' }) });
/** A new entry: `content` is required (it may be empty), `keys` default to none (a constant entry needs none). */
export const createEntryBody = entryFieldsSchema.refine((o) => typeof o.content === 'string', {
  message: 'content is required',
  path: ['content'],
});

export const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();

const bookFields = {
  name: z.string().trim().min(1, 'name must not be empty').max(MAX_BOOK_NAME),
  description: z.string().max(MAX_BOOK_DESCRIPTION),
  scan_depth: z.number().int().min(0).max(1000).nullable(),
  token_budget: z.number().int().min(0).nullable(),
  recursive_scanning: z.boolean().nullable(),
  extensions: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  is_global: z.boolean(),
};

export const createBookBody = z
  .object({
    ...bookFields,
    description: bookFields.description.default(''),
    enabled: bookFields.enabled.default(true),
    is_global: bookFields.is_global.default(false),
  })
  .partial({ scan_depth: true, token_budget: true, recursive_scanning: true, extensions: true })
  .strict();

export const updateBookBody = z.object(bookFields).partial().strict();

export const listBooksQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    include_disabled: z.stringbool().default(false),
    include_deleted: z.stringbool().default(false),
    global_only: z.stringbool().default(false),
  })
  .strict();

export const getBookQuery = z.object({ include_entries: z.stringbool().default(true), as_of: asOfParam.optional() }).strict();

export const listEntriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    offset: z.coerce.number().int().min(0).default(0),
    enabled_only: z.stringbool().default(false),
  })
  .strict();

export const bulkBody = z
  .object({
    entry_ids: z.array(z.uuid()).min(1).max(10_000),
    operation: bulkOperationSchema,
    value: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
    /** The original system's name of the value for `set_priority`. */
    priority: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  })
  .strict();

export const importQuery = z
  .object({
    name: z.string().trim().min(1).max(MAX_BOOK_NAME).optional(),
    is_global: z.stringbool().optional(),
  })
  .strict();

export const exportQuery = z.object({ format: z.enum(['sillytavern', 'lorebook_v3', 'character_book']).default('sillytavern') }).strict();

export const statisticsQuery = z
  .object({ tokenizer: z.enum(TOKENIZER_NAMES).default('cl100k').transform(resolveTokenizerFamily) })
  .strict();

export const attachBody = z
  .object({
    world_book_id: z.uuid(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    enabled: z.boolean().default(true),
  })
  .strict();

export const attachmentsQuery = z.object({ enabled_only: z.stringbool().default(true) }).strict();

export const bookViewSchema = z.object({
  id: z.uuid(),
  version: z.number().int(),
  owner_id: z.string(),
  name: z.string(),
  description: z.string(),
  scan_depth: z.number().nullable(),
  token_budget: z.number().nullable(),
  recursive_scanning: z.boolean().nullable(),
  enabled: z.boolean(),
  is_global: z.boolean(),
  extensions: z.record(z.string(), z.unknown()),
  entry_count: z.number().int(),
  source: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  deleted_at: z.iso.datetime().nullable(),
  entries: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const entryViewSchema = z.looseObject({
  entry_id: z.uuid(),
  world_book_id: z.uuid(),
  keys: z.array(z.string()),
  content: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const attachmentViewSchema = bookViewSchema.extend({
  world_book_id: z.uuid(),
  character_id: z.uuid(),
  attachment_enabled: z.boolean(),
  attachment_priority: z.number().int(),
  attached_at: z.iso.datetime(),
});
