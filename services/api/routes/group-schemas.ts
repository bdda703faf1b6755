import { z } from 'zod';
import { asOfParam } from './as-of-param.ts';
import { activationStrategySchema, generationModeSchema, type GroupMember } from '../../../shared/groups/group-definition.ts';

/** Request and response schemas of the group routes (they validate and generate OpenAPI). */
const uuid = () => z.uuid({ message: 'must be a UUID' });
export const groupParams = z.object({ id: uuid() });

/** A member as a character id (enabled, the card's talkativeness) or an object that says otherwise. */
const memberInput = z.union([
  uuid(),
  z
    .object({
      character_id: uuid(),
      enabled: z.boolean().default(true),
      talkativeness: z.number().min(0).max(1).nullable().default(null),
    })
    .strict(),
]);
export type MemberInput = z.infer<typeof memberInput>;

const groupFields = {
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  member_ids: z.array(memberInput).min(1, 'a group needs at least one member').max(1000),
  activation_strategy: activationStrategySchema,
  generation_mode: generationModeSchema,
  allow_self_responses: z.boolean(),
  world_book_ids: z.array(uuid()).max(100),
  join_prefix: z.string().max(2000),
  join_suffix: z.string().max(2000),
  /** The group's image: base64 or a `data:` URL of a PNG, JPEG, GIF or WebP; null removes it (update). */
  avatar_base64: z.string().min(1).nullable(),
};

export const createGroupBody = z
  .object({
    ...groupFields,
    activation_strategy: groupFields.activation_strategy.default('natural'),
    generation_mode: groupFields.generation_mode.default('swap'),
    allow_self_responses: groupFields.allow_self_responses.default(false),
    world_book_ids: groupFields.world_book_ids.default([]),
    join_prefix: groupFields.join_prefix.default(''),
    join_suffix: groupFields.join_suffix.default(''),
    avatar_base64: z.string().min(1).optional(),
  })
  .strict();

export const updateGroupBody = z
  .object(groupFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');

export const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();
export const getGroupQuery = z.object({ as_of: asOfParam.optional() }).strict();
export const listGroupsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
    include_deleted: z.stringbool().default(false),
  })
  .strict();

export const groupViewSchema = z.object({
  id: z.uuid(),
  version: z.number().int(),
  owner_id: z.string(),
  name: z.string(),
  members: z.array(
    z.object({
      character_id: z.uuid(),
      name: z.string().nullable(),
      enabled: z.boolean(),
      talkativeness: z.number().describe("in effect: the member's own, else the card's extensions.talkativeness, else 0.5"),
      talkativeness_override: z.number().nullable(),
      character_deleted: z.boolean(),
    }),
  ),
  activation_strategy: activationStrategySchema,
  generation_mode: generationModeSchema,
  allow_self_responses: z.boolean(),
  world_book_ids: z.array(z.uuid()),
  join_prefix: z.string(),
  join_suffix: z.string(),
  avatar: z.object({ media_type: z.string(), size: z.number().int(), url: z.string() }).nullable(),
  source: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  deleted_at: z.iso.datetime().nullable(),
  as_of_version: z.number().int().optional(),
});

/** Members as stored: a bare id is an enabled member with the card's talkativeness. */
export function toMembers(input: readonly MemberInput[]): GroupMember[] {
  return input.map((m) =>
    typeof m === 'string' ? { character_id: m, enabled: true, talkativeness: null } : { ...m, talkativeness: m.talkativeness ?? null },
  );
}
