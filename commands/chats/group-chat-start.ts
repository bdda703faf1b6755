import type { Actor } from '../../shared/access/actor.ts';
import type { ChatSettings } from '../../shared/chats/chat-fields.ts';
import { characterFold, characterStream } from '../../shared/characters/character-fold.ts';
import { badRequest } from '../../shared/errors.ts';
import { groupGreetings, type GreetingMember } from '../../shared/groups/group-greetings.ts';
import { newId } from '../../shared/ids.ts';
import type { CommandResult } from '../command-handler.ts';
import { loadState } from '../command-handler.ts';
import { accessibleGroup } from '../groups/group-workflows.ts';
import type { SeedMessage } from './chat-decider.ts';
import { createChat, type ChatCommandDeps } from './chat-workflows.ts';
import type { ChatState } from './chat-decider.ts';
import { isOwnedBy } from '../../shared/access/access-rules.ts';

function defaultTitle(groupName: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `${groupName} Chat (${stamp} UTC)`;
}

/**
 * A chat with one of the caller's groups: its members' greetings open it, each after the previous one, each
 * naming its speaker. Members whose character has been deleted since are left out.
 */
export async function startGroupChat(
  deps: ChatCommandDeps,
  actor: Actor,
  input: { chatId: string; groupId: string; title?: string; settings: ChatSettings },
): Promise<CommandResult<ChatState>> {
  const { state: group } = await accessibleGroup({ eventStore: deps.eventStore, cache: deps.stateCache }, actor, input.groupId);
  const members: GreetingMember[] = [];
  for (const m of group.group!.members) {
    const { state } = await loadState(deps.eventStore, characterStream(m.character_id), characterFold);
    if (!state.exists || state.deleted || !isOwnedBy(state, group.ownerId!)) continue;
    const data = state.stored!.card.data;
    members.push({
      id: m.character_id,
      name: data.name,
      firstMessage: data.first_mes ?? '',
      alternateGreetings: data.alternate_greetings ?? [],
      groupOnlyGreetings: data.group_only_greetings ?? [],
    });
  }
  if (members.length === 0) throw badRequest('group_without_members', `group ${input.groupId} has no member left to talk to`);
  const greetings = groupGreetings(input.chatId, members, input.settings.user_name ?? 'User');
  const messages: SeedMessage[] = [];
  for (const g of greetings) {
    messages.push({
      messageId: newId(),
      parentId: messages[messages.length - 1]?.messageId ?? null,
      sender: 'assistant',
      name: g.name,
      content: g.content,
      image: null,
      metadata: null,
      sentAt: null,
      active: true,
      speakerId: g.speakerId,
    });
  }
  const name = group.group!.name;
  return createChat(deps, actor, {
    chatId: input.chatId,
    characterId: null,
    characterName: name,
    title: input.title ?? defaultTitle(name, new Date()),
    settings: input.settings,
    forkedFrom: null,
    importedFrom: null,
    messages,
    groupId: input.groupId,
  });
}
