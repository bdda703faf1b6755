/** Requests and responses of tldw_server's character listing, search, query and tag routes (`characters_endpoint.py`). */
import { z } from 'zod';
import { BASIC_FIELD_NAMES } from '../../../shared/cards/index.ts';
import { fastApiBool, isoDate, repeatable } from './tldw-params.ts';

export const tldwCharacterSchema = z
  .object({
    id: z.string(),
    ...Object.fromEntries(BASIC_FIELD_NAMES.map((f) => [f, z.unknown()])),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    last_modified: z.string(),
    image_present: z.boolean(),
    image_base64: z.string().nullable().optional(),
  })
  .describe("tldw_server's CharacterResponse (ids are our UUIDs)");

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const searchQuery = z.object({
  query: z.string().max(500),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const filterQuery = z.object({
  tags: repeatable(z.string().max(200)).optional(),
  match_all: fastApiBool.default(false),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const QUERY_SORTS = ['name', 'creator', 'created_at', 'updated_at', 'last_used_at', 'conversation_count'] as const;

export const queryQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(25),
  query: z.string().max(500).optional(),
  tags: repeatable(z.string().max(200)).optional(),
  match_all_tags: fastApiBool.default(false),
  creator: z.string().max(500).optional(),
  has_conversations: fastApiBool.optional(),
  favorite_only: fastApiBool.default(false),
  created_from: isoDate.optional(),
  created_to: isoDate.optional(),
  updated_from: isoDate.optional(),
  updated_to: isoDate.optional(),
  include_deleted: fastApiBool.default(false),
  deleted_only: fastApiBool.default(false),
  sort_by: z.enum(QUERY_SORTS).default('name'),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
  include_image_base64: fastApiBool.default(false),
});

export const offsetPaginationSchema = z.object({
  mode: z.literal('offset'),
  limit: z.number().int(),
  offset: z.number().int(),
  total: z.number().int().nullable(),
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
});

export const queryResponseSchema = z.object({
  items: z.array(tldwCharacterSchema),
  total: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
  pagination: offsetPaginationSchema,
});

const tag = z.string().trim().min(1).max(200);

export const tagOperationBody = z
  .object({
    operation: z.enum(['rename', 'merge', 'delete']),
    source_tag: tag,
    target_tag: z.string().trim().max(200).optional().nullable(),
  })
  .refine((b) => b.operation === 'delete' || (b.target_tag ?? '') !== '', {
    message: 'target_tag is required for rename and merge operations',
  });

export const tagOperationResponseSchema = z.object({
  operation: z.enum(['rename', 'merge', 'delete']),
  source_tag: z.string(),
  target_tag: z.string().nullable(),
  matched_count: z.number().int(),
  updated_count: z.number().int(),
  failed_count: z.number().int(),
  updated_character_ids: z.array(z.string()),
  failed_character_ids: z.array(z.string()),
});

/** FastAPI's offset pagination block: `has_more` when the page does not reach the total. */
export function offsetPagination(limit: number, offset: number, count: number, total: number) {
  const hasMore = offset + count < total;
  return { mode: 'offset' as const, limit, offset, total, has_more: hasMore, next_offset: hasMore ? offset + limit : null };
}
