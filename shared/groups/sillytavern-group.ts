import { z } from 'zod';
import { ACTIVATION_STRATEGIES, GENERATION_MODES, type GroupDefinition } from './group-definition.ts';

/**
 * SillyTavern's group definition file (`groups/<id>.json`, src/endpoints/groups.js): members are character avatar
 * file names in list order, muted ones also in `disabled_members`; the strategy and the mode are numeric codes
 * (activation 0 natural, 1 list, 2 manual, 3 pooled; generation 0 swap, 1 append, 2 append_disabled). Chat fields
 * (`chat_id`, `chats`, metadata) and UI fields are not part of a group here and are left out.
 */
export const sillyTavernGroupSchema = z.looseObject({
  name: z.string().trim().min(1).max(200).catch('New Group'),
  members: z.array(z.string().min(1).max(500)).min(1).max(1000),
  disabled_members: z.array(z.string()).max(1000).catch([]),
  activation_strategy: z.number().int().min(0).max(3).catch(0),
  generation_mode: z.number().int().min(0).max(2).catch(0),
  generation_mode_join_prefix: z.string().max(2000).catch(''),
  generation_mode_join_suffix: z.string().max(2000).catch(''),
  allow_self_responses: z.boolean().catch(false),
});
export type SillyTavernGroup = z.infer<typeof sillyTavernGroupSchema>;

/** A member's avatar file name without its extension: SillyTavern names the file after the character. */
export const avatarBaseName = (avatar: string) => avatar.replace(/\.[A-Za-z0-9]{1,5}$/, '');

/** The group's definition, its members resolved to character ids by `resolve` (avatar file name -> id, or null). */
export function fromSillyTavernGroup(
  file: SillyTavernGroup,
  resolve: (avatar: string) => string | null,
): { group: GroupDefinition; unresolved: string[] } {
  const muted = new Set(file.disabled_members);
  const unresolved: string[] = [];
  const members: GroupDefinition['members'] = [];
  for (const avatar of file.members) {
    const id = resolve(avatar);
    if (!id) unresolved.push(avatar);
    else if (!members.some((m) => m.character_id === id))
      members.push({ character_id: id, enabled: !muted.has(avatar), talkativeness: null });
  }
  return {
    group: {
      name: file.name,
      members,
      activation_strategy: ACTIVATION_STRATEGIES[file.activation_strategy]!,
      generation_mode: GENERATION_MODES[file.generation_mode]!,
      allow_self_responses: file.allow_self_responses,
      world_book_ids: [],
      join_prefix: file.generation_mode_join_prefix,
      join_suffix: file.generation_mode_join_suffix,
    },
    unresolved,
  };
}

/** The group as SillyTavern writes it; `avatarOf` gives each member's avatar file name. */
export function toSillyTavernGroup(id: string, group: GroupDefinition, avatarOf: (characterId: string) => string): Record<string, unknown> {
  const members = group.members.map((m) => avatarOf(m.character_id));
  return {
    id,
    name: group.name,
    members,
    disabled_members: group.members.filter((m) => !m.enabled).map((m) => avatarOf(m.character_id)),
    activation_strategy: ACTIVATION_STRATEGIES.indexOf(group.activation_strategy),
    generation_mode: GENERATION_MODES.indexOf(group.generation_mode),
    generation_mode_join_prefix: group.join_prefix,
    generation_mode_join_suffix: group.join_suffix,
    allow_self_responses: group.allow_self_responses,
    avatar_url: '',
    fav: false,
    auto_mode_delay: 5,
    chat_id: '',
    chats: [],
  };
}
