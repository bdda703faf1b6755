import { z } from 'zod';
import { BASIC_FIELD_DATA_KEYS } from '../../../shared/cards/basic-fields.ts';
import { characterChangesSchema, characterFieldsSchema } from '../../../shared/characters/character-fields.ts';
import { COMPATIBILITY_MODES } from '../../../shared/worldinfo/compatibility.ts';

export const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
export const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();
export const booleanParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const characterViewSchema = characterFieldsSchema.extend({
  id: z.uuid(),
  version: z.number().int(),
  owner_id: z.string(),
  nickname: z.string().nullable(),
  image: z.object({ url: z.string(), mime: z.string(), size: z.number(), etag: z.string() }).nullable(),
  assets: z.array(
    z.object({
      index: z.number(),
      name: z.string().nullable(),
      type: z.string().nullable(),
      ext: z.string(),
      mime: z.string(),
      size: z.number(),
      url: z.string(),
    }),
  ),
  has_character_book: z.boolean(),
  suggested_compatibility: z
    .enum(COMPATIBILITY_MODES)
    .nullable()
    .describe('the lorebook profile a new chat of this character gets unless the request or the user default sets one'),
  source: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  last_used_at: z.iso.datetime().nullable(),
  deleted_at: z.iso.datetime().nullable(),
  image_present: z.boolean().describe('tldw_server’s member: whether the character has an image'),
  last_modified: z.iso.datetime().describe('tldw_server’s member: the same instant as updated_at'),
  card: z.record(z.string(), z.unknown()).optional(),
});

export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    tags: z.string().max(2000).optional().describe('comma-separated, case-insensitive'),
    tag_mode: z.enum(['any', 'all']).default('any'),
    creator: z.string().max(500).optional(),
    q: z.string().max(500).optional().describe('full-text search over name, description, personality, scenario and system prompt'),
    sort: z.enum(['name', 'created', 'updated', 'last_used', 'relevance']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .strict();

export const listSchema = z.object({
  items: z.array(characterViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable(),
});

/** The card `data` keys of the basic fields: a client sets those by their own names, not through `card_data`. */
export const RESERVED_DATA_KEYS = new Set<string>(Object.values(BASIC_FIELD_DATA_KEYS));
export const dataChangesSchema = z
  .record(z.string().max(200), z.unknown())
  .refine((o) => Object.keys(o).every((k) => !RESERVED_DATA_KEYS.has(k)), {
    message: `set basic fields by their own names, not through card_data (${[...RESERVED_DATA_KEYS].join(', ')})`,
  });

export const createBody = characterFieldsSchema.extend({
  card_data: dataChangesSchema.optional(),
  /** The character's image as base64 or a data: URL (tldw_server's field), stored like an imported card's image. */
  image_base64: z.string().max(20_000_000).nullable().optional(),
});
export const updateBody = characterChangesSchema
  .extend({
    card_data: dataChangesSchema.optional(),
    /** A new image, as on create (tldw_server's update takes it too). */
    image_base64: z.string().max(20_000_000).nullable().optional(),
  })
  .strict();
