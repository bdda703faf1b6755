import { MAX_TITLE } from '../../shared/chats/chat-fields.ts';
import { notFound } from '../../shared/errors.ts';
import type { ChatEvent, MessagePostedData } from '../../shared/events/chat-events.ts';
import { newId } from '../../shared/ids.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { toDomainEvent, type CommandResult } from '../command-handler.ts';
import { chatDecider, chatStream, type ChatState, type SeedMessage } from './chat-decider.ts';
import { childrenOf, findNode, nodeAt, ROOT } from '../../shared/chats/message-tree.ts';
import { createChat, type ChatCommandDeps } from './chat-workflows.ts';
import { postedOf } from '../../shared/chats/imported-messages.ts';

/**
 * A fork (SillyTavern's branch or checkpoint): a new chat holding the conversation up to a message of
 * another chat, each message with its alternates, the chosen ones selected. The new chat remembers the chat
 * and message it came from. It is built from the source chat's events, not from a read model.
 */
export async function forkChat(
  deps: ChatCommandDeps,
  context: Actor,
  input: { sourceChatId: string; messageId: string; newChatId: string; title?: string },
): Promise<CommandResult<ChatState>> {
  const recorded = await deps.eventStore.readStream(chatStream(input.sourceChatId));
  let state = chatDecider.initialState();
  const posted = new Map<string, MessagePostedData & { at: string }>();
  for (const raw of recorded) {
    if (raw.redacted) continue; // its owner was forgotten: nothing to copy (and the source folds to "missing")
    const event = toDomainEvent(raw) as ChatEvent;
    state = chatDecider.evolve(state, event);
    if (event.type === 'MessagePosted') posted.set(event.data.messageId, { ...event.data, at: raw.createdAt.toISOString() });
    if (event.type === 'MessagesImported')
      for (const data of postedOf(event.data)) posted.set(data.messageId, { ...data, at: raw.createdAt.toISOString() });
    if (event.type === 'MessageEdited') posted.get(event.data.messageId)!.content = event.data.content;
  }
  // Existence and ownership of the source, as any command on it would decide them.
  chatDecider.decide({ type: 'SelectMessage', chatId: input.sourceChatId, messageId: input.messageId }, state, context);
  const tree = state.tree;
  const chain: number[] = [];
  for (let at = findNode(tree, input.messageId); at !== ROOT; at = nodeAt(tree, at).parent) chain.unshift(at);
  if (chain.length === 0) throw notFound('message', input.messageId);

  const seeds: SeedMessage[] = [];
  const copies = new Map<string, string>();
  let parentCopy: string | null = null;
  for (const ordinal of chain) {
    const node = nodeAt(tree, ordinal);
    if (node.deleted) continue; // a hidden message in the middle: its child follows the previous one
    const siblings = childrenOf(tree, node.parent).filter((o) => !nodeAt(tree, o).deleted);
    const chosen = siblings.indexOf(ordinal);
    siblings.forEach((sibling, i) => {
      const original = posted.get(nodeAt(tree, sibling).id)!;
      const copyId = newId();
      copies.set(original.messageId, copyId);
      seeds.push({
        messageId: copyId,
        parentId: parentCopy,
        sender: original.sender,
        name: original.name,
        content: original.content,
        image: original.image,
        metadata: original.metadata,
        sentAt: original.sentAt ?? original.at,
        active: i <= chosen,
        ...(original.speakerId ? { speakerId: original.speakerId } : {}),
      });
    });
    parentCopy = copies.get(node.id)!;
  }
  const title = (input.title ?? `${state.title} (branch)`).slice(0, MAX_TITLE);
  return createChat(deps, context, {
    chatId: input.newChatId,
    characterId: state.characterId,
    characterName: state.characterName,
    title,
    settings: state.settings,
    forkedFrom: { chatId: input.sourceChatId, messageId: input.messageId, rootChatId: state.forkedFrom?.rootChatId ?? input.sourceChatId },
    importedFrom: null,
    messages: seeds,
    ...(state.groupId ? { groupId: state.groupId } : {}),
  });
}
