import { z } from 'zod';

/** Limits of a persona's text (SillyTavern keeps no limit; these bound what one event carries). */
export const MAX_PERSONA_NAME = 200;
export const MAX_PERSONA_DESCRIPTION = 50_000;
export const MAX_PERSONA_LOCKS = 100;

/**
 * Where the persona description goes (SillyTavern's `persona_description_positions`): `in_prompt` (0, the story
 * string's / prompt manager's persona slot), `an_top` (2) and `an_bottom` (3) around the Author's Note, `at_depth`
 * (4, an in-chat injection at `depth` with `role`), `none` (9, not inserted; `{{persona}}` still expands).
 */
export const personaPositionSchema = z.enum(['in_prompt', 'an_top', 'an_bottom', 'at_depth', 'none']);
export type PersonaDescriptionPosition = z.infer<typeof personaPositionSchema>;

export const personaRoleSchema = z.enum(['system', 'user', 'assistant']);
export type PersonaRole = z.infer<typeof personaRoleSchema>;

export const storedAvatarSchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), mime: z.string(), size: z.number().int() });
export type StoredAvatar = z.infer<typeof storedAvatarSchema>;

/** A persona's fields as its events carry them (API names). */
export const personaFieldsSchema = z.object({
  name: z.string().min(1).max(MAX_PERSONA_NAME),
  description: z.string().max(MAX_PERSONA_DESCRIPTION),
  position: personaPositionSchema,
  /** For `at_depth`; SillyTavern's default 2. */
  depth: z.number().int().min(0).max(10_000),
  role: personaRoleSchema,
  /** Persona lore: a world book of the owner (source `persona` in the lorebook engine). */
  world_book_id: z.uuid().nullable(),
  is_default: z.boolean(),
  /** Characters a chat opens as this persona when none is given (SillyTavern's persona lock / connections). */
  locked_character_ids: z.array(z.uuid()).max(MAX_PERSONA_LOCKS),
  avatar: storedAvatarSchema.nullable(),
});
export type PersonaFields = z.infer<typeof personaFieldsSchema>;

export const personaChangesSchema = personaFieldsSchema.partial();
export type PersonaChanges = z.infer<typeof personaChangesSchema>;

export const DEFAULT_PERSONA_FIELDS: Omit<PersonaFields, 'name'> = {
  description: '',
  position: 'in_prompt',
  depth: 2,
  role: 'system',
  world_book_id: null,
  is_default: false,
  locked_character_ids: [],
  avatar: null,
};
