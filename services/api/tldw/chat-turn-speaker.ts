/**
 * Who answers a tldw_server completion (`_resolve_chat_turn_context` there): the participants are the chat's own
 * character and the chat settings' `participantCharacterIds` (in that order, each once; ids that are no usable
 * character of the caller's are left out). A `directed_character_id` picks one of them (any other is a 400); with
 * `turnTakingMode: "round_robin"` and more than one participant the turn passes to the participant after the one
 * who spoke last on the conversation's path (a reply stored without a speaker is the chat's own character's);
 * otherwise the chat's own character answers.
 */
import { z } from 'zod';
import type { CharacterQueries, CharacterRow } from '../../../queries/characters-queries.ts';
import type { ChatRow } from '../../../queries/chats-queries.ts';
import type { CompletionQueries } from '../../../queries/completion-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { canRead } from '../../../shared/access/access-rules.ts';
import { badRequest } from '../../../shared/errors.ts';

/** The most participants a chat's settings name that are considered (the original sets no bound; a turn reads each card). */
const MAX_PARTICIPANTS = 32;

export interface TurnSpeaker {
  id: string;
  name: string;
  participantCount: number;
  primaryName: string;
}

const isUuid = (id: string) => z.uuid().safeParse(id).success;
const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function participantIdsOf(chat: ChatRow): string[] {
  const extensions = isMap(chat.settings.extensions) ? chat.settings.extensions : {};
  const raw = extensions.participantCharacterIds ?? extensions.participant_character_ids;
  const listed = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  const ids = [chat.character_id!, ...listed.map((v) => String(v).trim().toLowerCase()).filter(Boolean)];
  return [...new Set(ids)].slice(0, MAX_PARTICIPANTS + 1);
}

/** The chat settings' `turnTakingMode`: `round_robin` (also spelt `round-robin`, `round robin`) or `single`. */
export function turnTakingModeOf(chat: ChatRow): 'round_robin' | 'single' {
  const extensions = isMap(chat.settings.extensions) ? chat.settings.extensions : {};
  const mode = typeof extensions.turnTakingMode === 'string' ? extensions.turnTakingMode.trim().toLowerCase() : '';
  return ['round_robin', 'round-robin', 'round robin'].includes(mode) ? 'round_robin' : 'single';
}

export function createTurnSpeakers(characters: CharacterQueries, completions: CompletionQueries) {
  async function participantsOf(chat: ChatRow, actor: Actor): Promise<CharacterRow[]> {
    const rows = await Promise.all(participantIdsOf(chat).map((id) => (isUuid(id) ? characters.get(id) : undefined)));
    return rows.filter((row): row is CharacterRow => !!row && !row.deleted_at && canRead(actor, row));
  }

  return async function speakerOf(chat: ChatRow, actor: Actor, directed: string | number | null | undefined): Promise<TurnSpeaker> {
    const participants = await participantsOf(chat, actor);
    const primary = participants[0];
    const primaryName = primary?.name ?? chat.character_name;
    const answer = (row: CharacterRow | undefined): TurnSpeaker => ({
      id: row?.id ?? chat.character_id!,
      name: row?.name ?? chat.character_name,
      participantCount: Math.max(1, participants.length),
      primaryName,
    });
    if (directed !== null && directed !== undefined) {
      const chosen = participants.find((p) => p.id === String(directed).trim().toLowerCase());
      if (!chosen)
        throw badRequest('directed_character_not_participant', 'directed_character_id must reference a selected participant in this chat');
      return answer(chosen);
    }
    if (participants.length <= 1 || turnTakingModeOf(chat) !== 'round_robin') return answer(primary);
    const last = await completions.lastReply(chat.id);
    if (!last) return answer(primary);
    const byId = last.speakerId ? participants.findIndex((p) => p.id === last.speakerId) : -1;
    const byName = participants.findIndex((p) => p.name.trim().toLowerCase() === (last.name ?? '').trim().toLowerCase());
    const index = byId >= 0 ? byId : Math.max(byName, 0);
    return answer(participants[(index + 1) % participants.length]);
  };
}
