import { z } from 'zod';
import { storedAvatarSchema } from '../personas/persona-fields.ts';

/**
 * A group (SillyTavern's group chat definition): its members in list order, how the next speaker is chosen
 * (`activation_strategy`) and how the speakers' cards make a prompt (`generation_mode`). The codes SillyTavern
 * stores as numbers are names here; `shared/groups/sillytavern-group.ts` maps them.
 */
export const ACTIVATION_STRATEGIES = ['natural', 'list', 'manual', 'pooled'] as const;
export const GENERATION_MODES = ['swap', 'append', 'append_disabled'] as const;

export const activationStrategySchema = z.enum(ACTIVATION_STRATEGIES);
export const generationModeSchema = z.enum(GENERATION_MODES);
export type ActivationStrategy = z.infer<typeof activationStrategySchema>;
export type GenerationMode = z.infer<typeof generationModeSchema>;

/** SillyTavern's default when a card has no (or no numeric) talkativeness. */
export const DEFAULT_TALKATIVENESS = 0.5;

export const groupMemberSchema = z.object({
  character_id: z.uuid(),
  /** false: muted (SillyTavern's `disabled_members`): never chosen automatically. */
  enabled: z.boolean(),
  /** The member's own talkativeness; null takes the card's `extensions.talkativeness`. */
  talkativeness: z.number().min(0).max(1).nullable(),
});
export type GroupMember = z.infer<typeof groupMemberSchema>;

export const groupDefinitionSchema = z.object({
  name: z.string().min(1).max(200),
  members: z.array(groupMemberSchema),
  activation_strategy: activationStrategySchema,
  generation_mode: generationModeSchema,
  allow_self_responses: z.boolean(),
  /** The group's own world books (SillyTavern's group chat lorebook), in the order given. */
  world_book_ids: z.array(z.uuid()),
  /** Put around each member's joined card field in the append modes (`{{char}}` and `<FIELDNAME>` expand). */
  join_prefix: z.string().max(2000),
  join_suffix: z.string().max(2000),
  /** The group's own image, stored as a persona's; absent in groups made before groups had one. */
  avatar: storedAvatarSchema.nullable().optional(),
});
export type GroupDefinition = z.infer<typeof groupDefinitionSchema>;

export const groupChangesSchema = groupDefinitionSchema.partial();
export type GroupChanges = z.infer<typeof groupChangesSchema>;

/** A card's talkativeness as SillyTavern reads it: a number or numeric string; anything else is the default. */
export function cardTalkativeness(extensions: Record<string, unknown> | null | undefined): number {
  const raw = extensions?.talkativeness;
  if (raw === undefined || raw === null || raw === '') return DEFAULT_TALKATIVENESS;
  const n = Number(raw);
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : DEFAULT_TALKATIVENESS;
}
