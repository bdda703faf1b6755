/**
 * What a group chat changes in a speaker's prompt: the card (the speaker's own in `swap`, the members' joined in
 * the append modes), the group's world books beside the speaker's (and, when the cards are joined, the books of the
 * members whose cards are joined: their lore is part of the prompt's character), other members' turns named in the
 * content ("Name: text", SillyTavern's default for groups) and the group nudge after the history.
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { CharacterRow } from '../../queries/characters-queries.ts';
import { createGroupQueries, toGroupDefinition } from '../../queries/groups-queries.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { CanonicalCard } from '../../shared/cards/index.ts';
import { badRequest, notFound } from '../../shared/errors.ts';
import { DEFAULT_GROUP_NUDGE, groupSpeakerCard, memberCharacterNotes } from '../../shared/groups/group-card.ts';
import type { GroupDefinition } from '../../shared/groups/group-definition.ts';
import type { PromptOptions, PromptTexts } from '../../shared/prompt/index.ts';

export interface GroupPromptParts {
  group: GroupDefinition;
  card: CanonicalCard;
  worldBookIds: string[];
  prompts: PromptTexts;
  options: PromptOptions;
  /** `{{group}}`: every member's name, muted included, in list order. */
  memberNames: string;
  /** The other members' character's notes when the cards are joined (SillyTavern's group depth prompts). */
  memberNotes: ReturnType<typeof memberCharacterNotes>;
}

export function createGroupPrompts(db: Kysely<ReadModels>, schema: string) {
  const groups = createGroupQueries(db, schema);
  return {
    /** 404 for a missing or deleted group, 403 for another user's, 400 when the speaker is not a member. */
    async parts(groupId: string, speaker: CharacterRow, who: Actor): Promise<GroupPromptParts> {
      const row = await groups.get(groupId);
      if (!row || row.deleted_at) throw notFound('group', groupId);
      assertOwned(who, row, 'this group belongs to another user');
      const group = toGroupDefinition(row);
      if (!group.members.some((m) => m.character_id === speaker.id))
        throw badRequest('not_a_member', `character ${speaker.id} is not a member of group ${groupId}`);
      const memberIds = group.members.map((m) => m.character_id);
      const cards =
        group.generation_mode === 'swap'
          ? new Map([[speaker.id, speaker.card]])
          : new Map(
              (
                await db
                  .withSchema(schema)
                  .selectFrom('characters')
                  .select(['id', 'card'])
                  .where('id', 'in', memberIds)
                  .where('deleted_at', 'is', null)
                  .execute()
              ).map((c) => [c.id, c.card]),
            );
      const members = group.members.flatMap((m) => {
        const card = cards.get(m.character_id);
        return card ? [{ id: m.character_id, enabled: m.enabled, card: card as unknown as CanonicalCard }] : [];
      });
      const card = groupSpeakerCard({
        mode: group.generation_mode,
        members,
        speakerId: speaker.id,
        joinPrefix: group.join_prefix,
        joinSuffix: group.join_suffix,
      });
      // Joined cards bring their characters' books (enabled attachments; the card's own book is one of them).
      const joined = members.filter((m) => m.id !== speaker.id && (group.generation_mode === 'append_disabled' || m.enabled));
      const memberBooks =
        joined.length === 0
          ? []
          : (
              await db
                .withSchema(schema)
                .selectFrom('character_world_books')
                .select('world_book_id')
                .where(
                  'character_id',
                  'in',
                  joined.map((m) => m.id),
                )
                .where('enabled', '=', true)
                .where('detached_at', 'is', null)
                .orderBy('priority', 'desc')
                .execute()
            ).map((b) => b.world_book_id);
      const characters = await groups.memberCharacters([row]);
      const memberNames = group.members.flatMap((m) => characters.get(m.character_id)?.name ?? []).join(', ');
      return {
        group,
        memberNames,
        memberNotes: memberCharacterNotes({ mode: group.generation_mode, members, speakerId: speaker.id }),
        card,
        worldBookIds: [...new Set([...group.world_book_ids, ...memberBooks])],
        prompts: { groupNudge: DEFAULT_GROUP_NUDGE },
        options: { names: 'content' },
      };
    },
  };
}
