import { z } from 'zod';
import {
  MAX_PERSONA_DESCRIPTION,
  MAX_PERSONA_LOCKS,
  MAX_PERSONA_NAME,
  personaPositionSchema,
  personaRoleSchema,
} from '../../../shared/personas/persona-fields.ts';
import { asOfParam } from './as-of-param.ts';

/** Request and response schemas of the persona routes (they validate and generate OpenAPI). */
export const personaParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
export const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();
export const getPersonaQuery = z.object({ as_of: asOfParam.optional() }).strict();
export const listPersonasQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    include_deleted: z.stringbool().default(false),
  })
  .strict();

const editable = {
  description: z.string().max(MAX_PERSONA_DESCRIPTION),
  position: personaPositionSchema,
  depth: z.number().int().min(0).max(10_000),
  role: personaRoleSchema,
  world_book_id: z.uuid().nullable(),
  is_default: z.boolean(),
  locked_character_ids: z.array(z.uuid()).max(MAX_PERSONA_LOCKS),
};

export const createPersonaBody = z
  .object({
    name: z.string().trim().min(1).max(MAX_PERSONA_NAME),
    ...editable,
    /** The persona's image: base64 or a `data:` URL (PNG, JPEG, GIF, WebP). */
    avatar_base64: z.string().min(1),
  })
  .partial()
  .required({ name: true })
  .strict();

export const updatePersonaBody = z
  .object({
    name: z.string().trim().min(1).max(MAX_PERSONA_NAME),
    ...editable,
    /** A new image (base64 or a `data:` URL); null removes it. */
    avatar_base64: z.string().min(1).nullable(),
  })
  .partial()
  .strict();

export const personaViewSchema = z.object({
  id: z.uuid(),
  version: z.number().int(),
  owner_id: z.string(),
  name: z.string(),
  description: z.string(),
  position: personaPositionSchema,
  depth: z.number().int(),
  role: personaRoleSchema,
  world_book_id: z.uuid().nullable(),
  is_default: z.boolean(),
  locked_character_ids: z.array(z.uuid()),
  avatar: z.object({ media_type: z.string(), size: z.number().int(), url: z.string() }).nullable(),
  source: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  deleted_at: z.iso.datetime().nullable(),
  as_of_version: z.number().int().optional(),
});

export const personaListSchema = z.object({
  items: z.array(personaViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable(),
});

export const importReportSchema = z.object({
  imported: z.array(z.object({ id: z.uuid(), name: z.string(), sillytavern_id: z.string() })),
  skipped: z.array(z.object({ sillytavern_id: z.string(), reason: z.string() })),
  warnings: z.array(z.string()),
  default_persona_id: z.uuid().nullable(),
});

export const backupSchema = z.object({
  personas: z.record(z.string(), z.string()),
  persona_descriptions: z.record(z.string(), z.record(z.string(), z.unknown())),
  default_persona: z.string().nullable(),
});
