/**
 * Who answers a group chat's turn: the group and its members from the read models, the conversation's active
 * path, and the choice of `shared/groups/speaker-selection.ts` with a seeded random (the request's
 * `speaker_seed`, else the chat's id and version, so the same turn on the same chat replays).
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { ChatRow } from '../../queries/chats-queries.ts';
import { createCompletionQueries } from '../../queries/completion-queries.ts';
import { createGroupQueries, toGroupDefinition } from '../../queries/groups-queries.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { badRequest, notFound } from '../../shared/errors.ts';
import { cardTalkativeness } from '../../shared/groups/group-definition.ts';
import { seededRandom } from '../../shared/groups/seeded-random.ts';
import { chooseSpeakers, type SpeakerCandidate, type SpokenMessage } from '../../shared/groups/speaker-selection.ts';

export interface GroupSpeaker {
  id: string;
  name: string;
}

export interface GroupTurnRequest {
  mode: 'normal' | 'regenerate' | 'continue' | 'impersonate';
  message?: string | undefined;
  message_id?: string | undefined;
  speaker_id?: string | undefined;
  speaker_seed?: string | undefined;
}

/** The conversation the choice looks at: enough to reach back past the user's last message. */
const HISTORY = 500;

export function createGroupSpeakers(db: Kysely<ReadModels>, schema: string) {
  const groups = createGroupQueries(db, schema);
  const completions = createCompletionQueries(db, schema);
  return {
    /** The members who answer, in order (none: the user's message is stored alone). 400 for a speaker outside the group. */
    async choose(chat: ChatRow, request: GroupTurnRequest, who: Actor): Promise<GroupSpeaker[]> {
      const row = await groups.get(chat.group_id!);
      if (!row || row.deleted_at) throw notFound('group', chat.group_id!);
      assertOwned(who, row, 'this group belongs to another user');
      const group = toGroupDefinition(row);
      const characters = await groups.memberCharacters([row]);
      const members: SpeakerCandidate[] = group.members.flatMap((m) => {
        const c = characters.get(m.character_id);
        if (!c || c.deleted) return [];
        return [
          { id: m.character_id, name: c.name, enabled: m.enabled, talkativeness: m.talkativeness ?? cardTalkativeness(c.extensions) },
        ];
      });
      if (request.speaker_id && !members.some((m) => m.id === request.speaker_id))
        throw badRequest('not_a_member', `character ${request.speaker_id} is not a member of this group`);
      const stored = await completions.activePath(chat.id, HISTORY);
      const history: SpokenMessage[] = stored.map((m) => ({
        sender: m.sender === 'assistant' || m.sender === 'system' ? m.sender : 'user',
        speakerId: m.speakerId ?? null,
        name: m.name,
        content: m.content,
      }));
      // Regenerating or continuing a named reply keeps that reply's speaker.
      const target = request.message_id ? stored.find((m) => m.id === request.message_id) : undefined;
      const requested = request.speaker_id ?? (request.mode !== 'normal' && target?.speakerId ? target.speakerId : null);
      const chosen = chooseSpeakers({
        members,
        strategy: group.activation_strategy,
        allowSelfResponses: group.allow_self_responses,
        history,
        userText: request.message ?? null,
        kind: request.mode,
        requested,
        random: seededRandom(request.speaker_seed ?? `${chat.id}:${chat.version}`),
      });
      const byId = new Map(members.map((m) => [m.id, m]));
      return chosen.map((id) => ({ id, name: byId.get(id)!.name }));
    },
  };
}
