import { badRequest, conflict, limitExceeded, notFound } from '../../shared/errors.ts';
import { chatFold, chatStream, type ChatState } from '../../shared/chats/chat-fold.ts';
import {
  mergeSettings,
  type ChatChanges,
  type ChatSettings,
  type ForkOrigin,
  type ImageRef,
  type Sender,
} from '../../shared/chats/chat-fields.ts';
import type {
  ChatEvent,
  ChatVariablesChangedData,
  MessagePostedData,
  PathChange,
  WorldInfoTimedEffectsChangedData,
} from '../../shared/events/chat-events.ts';
import type { ChatDictionaryEffectsRecordedData } from '../../shared/events/chat-dictionary-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { Decider } from '../command-handler.ts';
import {
  activationDelta,
  activeLeaf,
  addNode,
  findNode,
  nodeAt,
  refreshDelta,
  ROOT,
  updateNode,
  type MessageTree,
  type PathDelta,
} from '../../shared/chats/message-tree.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import { importedMessageEvents } from '../../shared/chats/imported-messages.ts';

// The fold lives in shared/ (history folds with it); re-exported for the command side.
export { chatStream, type ChatState };

/** A message of a chat being created (greetings, an import, a fork); parents refer to earlier ones. */
export interface SeedMessage {
  messageId: string;
  parentId: string | null;
  sender: Sender;
  name: string | null;
  content: string;
  image: ImageRef | null;
  metadata: Record<string, unknown> | null;
  sentAt: string | null;
  /** Selected among its alternates (the last active one of a sibling group wins). */
  active: boolean;
  /** A group chat's greeting or reply: the member who said it. */
  speakerId?: string | null;
}

/** A chat to create: its identity, settings and the messages it starts with. */
export interface NewChat {
  chatId: string;
  characterId: string | null;
  characterName: string;
  title: string;
  settings: ChatSettings;
  forkedFrom: ForkOrigin | null;
  importedFrom: string | null;
  /** Created under a client-chosen id: that request's fingerprint (see ChatCreated). */
  createRequest?: string;
  messages: SeedMessage[];
  /** A group chat's group (`characterId` is then null). */
  groupId?: string | null;
  /** A chat that existed elsewhere first (an import): its state and its own dates (see ChatCreated). */
  state?: 'in-progress' | 'resolved' | 'backlog' | 'non-viable';
  createdAt?: string;
  lastModified?: string;
}

export type ChatCommand =
  | ({ type: 'CreateChat'; maxMessages: number } & NewChat)
  | { type: 'UpdateChat'; chatId: string; changes: ChatChanges }
  | { type: 'DeleteChat'; chatId: string }
  | { type: 'RestoreChat'; chatId: string }
  | {
      type: 'PostMessage';
      chatId: string;
      messageId: string;
      /** undefined: after the last shown message of the active path; null: a new first message. */
      parentId?: string | null;
      sender: Sender;
      name: string | null;
      content: string;
      image: ImageRef | null;
      metadata: Record<string, unknown> | null;
      maxMessages: number;
    }
  | {
      type: 'EditMessage';
      chatId: string;
      messageId: string;
      content: string;
      expectedVersion?: number;
      asAlternate?: { messageId: string };
      maxMessages: number;
    }
  | { type: 'DeleteMessage'; chatId: string; messageId: string; expectedVersion?: number }
  | { type: 'RestoreMessage'; chatId: string; messageId: string; expectedVersion?: number; maxMessages: number }
  | { type: 'SelectMessage'; chatId: string; messageId: string }
  | { type: 'EraseChat'; chatId: string }
  | { type: 'PinMessage'; chatId: string; messageId: string; pinned: boolean; expectedVersion?: number }
  | {
      /**
       * A generated turn, stored in one append once the reply is complete: the turn's own messages (the user's
       * message, tool results) in order, then the reply, each under the previous one. Idempotent: ids derived
       * from the completion id make a second run of the same job change nothing.
       */
      type: 'AppendCompletion';
      chatId: string;
      /** Parent of the first message. undefined: after the active path's last message; null: a first message. */
      parentId?: string | null;
      turn: CompletionMessage[];
      reply: (CompletionMessage & { alternateOf: string | null }) | null;
      maxMessages: number;
      /** What the generation's prompt changed in the chat (stored in the same append as the messages). */
      promptState?: CompletionPromptState;
      /** Timed effects of chat-dictionary entries changed by this generation (stored in the same append). */
      dictionaryEffects?: Omit<ChatDictionaryEffectsRecordedData, 'chatId'> | null;
    };

/** Chat variables written by macros and the lorebook's timed effects, from one generation. */
export interface CompletionPromptState {
  variableChanges: ChatVariablesChangedData['changes'];
  timedEffects: Omit<WorldInfoTimedEffectsChangedData, 'chatId'> | null;
}

export interface CompletionMessage {
  messageId: string;
  sender: Sender;
  name: string | null;
  content: string;
  metadata: Record<string, unknown> | null;
  /** A user turn's image (stored as a blob before the command). */
  image?: ImageRef | null;
  /** A group chat's reply: the member who said it. */
  speakerId?: string | null;
}

const ids = (tree: MessageTree, delta: PathDelta | null): PathChange =>
  delta ? { from: delta.from, ids: delta.ids.map((o) => nodeAt(tree, o).id) } : null;

function assertChatOwned(state: ChatState, chatId: string, context: Actor): void {
  if (!state.exists) throw notFound('chat', chatId);
  assertOwned(context, state, 'this chat belongs to another user');
}

function assertLive(state: ChatState, chatId: string, context: Actor): void {
  assertChatOwned(state, chatId, context);
  if (state.deleted) throw notFound('chat', chatId);
}

function liveMessage(state: ChatState, messageId: string): number {
  const ordinal = findNode(state.tree, messageId);
  if (ordinal < 0 || nodeAt(state.tree, ordinal).deleted) throw notFound('message', messageId);
  return ordinal;
}

function checkVersion(state: ChatState, ordinal: number, expected: number | undefined): void {
  const current = nodeAt(state.tree, ordinal).version;
  if (expected !== undefined && expected !== current) {
    throw conflict('version_conflict', `the message is at version ${current}, not ${expected}: reload it and retry`, {
      current_version: current,
      expected_version: expected,
    });
  }
}

function checkCap(state: ChatState, adding: number, max: number): void {
  if (state.tree.live + adding > max) throw limitExceeded(`Message limit exceeded. Maximum ${max} messages per chat.`, { limit: max });
}

type PostSpec = Omit<MessagePostedData, 'chatId' | 'depth' | 'path' | 'parentId'> & { parent: number };

function postEvent(state: ChatState, chatId: string, spec: PostSpec): ChatEvent {
  if (findNode(state.tree, spec.messageId) >= 0) throw conflict('already_exists', `message ${spec.messageId} already exists`);
  const tree = addNode(state.tree, { id: spec.messageId, parent: spec.parent, sender: spec.sender, name: spec.name, image: spec.image });
  const ordinal = tree.nodes.size - 1;
  const delta = spec.active ? activationDelta(tree, ordinal) : refreshDelta(tree, ordinal);
  if (delta === 'unreachable')
    throw conflict('message_unreachable', 'a deleted message above this one keeps it off the conversation: restore it first');
  const { parent, ...rest } = spec;
  return {
    type: 'MessagePosted',
    data: {
      ...rest,
      chatId,
      parentId: parent === ROOT ? null : nodeAt(tree, parent).id,
      depth: nodeAt(tree, ordinal).depth,
      path: ids(tree, delta),
    },
  };
}

function resolveParent(state: ChatState, parentId: string | null | undefined): number {
  if (parentId === undefined) {
    const leaf = activeLeaf(state.tree);
    return leaf >= 0 ? leaf : ROOT;
  }
  if (parentId === null) return ROOT;
  const ordinal = findNode(state.tree, parentId);
  if (ordinal < 0 || nodeAt(state.tree, ordinal).deleted)
    throw badRequest('invalid_parent', `parent message ${parentId} is not a message of this chat`);
  return ordinal;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: ChatCommand, state: ChatState, context: Actor): ChatEvent[] {
  switch (command.type) {
    case 'CreateChat': {
      if (state.exists) throw conflict('already_exists', `chat ${command.chatId} already exists`);
      if (command.messages.length > command.maxMessages)
        throw limitExceeded(`Message limit exceeded. Maximum ${command.maxMessages} messages per chat.`, { limit: command.maxMessages });
      const { type: _type, messages, maxMessages: _max, ...chat } = command;
      const events: ChatEvent[] = [{ type: 'ChatCreated', data: { ...chat, ownerId: context.userId } }];
      let next = chatFold.evolve(state, events[0]!);
      const posts: MessagePostedData[] = [];
      for (const m of messages) {
        const parent = m.parentId === null ? ROOT : findNode(next.tree, m.parentId);
        if (parent === -1 && m.parentId !== null)
          throw badRequest('invalid_parent', `parent message ${m.parentId} comes later or does not exist`);
        const event = postEvent(next, command.chatId, { ...m, parent, alternateOf: null });
        posts.push(event.data as MessagePostedData);
        next = chatFold.evolve(next, event);
      }
      // A chat made from a file stores its messages in bulk; greetings and forks post them one by one.
      if (command.importedFrom !== null) return [...events, ...importedMessageEvents(command.chatId, posts)];
      return [...events, ...posts.map((data): ChatEvent => ({ type: 'MessagePosted', data }))];
    }
    case 'UpdateChat': {
      assertLive(state, command.chatId, context);
      const { settings, ...plain } = command.changes;
      const changes: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(plain))
        if (value !== undefined && !same(value, state[key as keyof ChatState])) changes[key] = value;
      if (settings) {
        const merged = mergeSettings(state.settings, settings);
        if (!same(merged, state.settings)) changes.settings = merged;
      }
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'ChatUpdated', data: { chatId: command.chatId, changes } }];
    }
    case 'DeleteChat':
      assertLive(state, command.chatId, context);
      return [{ type: 'ChatDeleted', data: { chatId: command.chatId } }];
    case 'RestoreChat':
      assertChatOwned(state, command.chatId, context);
      return state.deleted ? [{ type: 'ChatRestored', data: { chatId: command.chatId } }] : [];
    case 'PostMessage': {
      assertLive(state, command.chatId, context);
      checkCap(state, 1, command.maxMessages);
      const parent = resolveParent(state, command.parentId);
      const { type: _type, chatId, parentId: _parentId, maxMessages: _max, ...message } = command;
      return [postEvent(state, chatId, { ...message, parent, sentAt: null, active: true, alternateOf: null })];
    }
    case 'EditMessage': {
      assertLive(state, command.chatId, context);
      const ordinal = liveMessage(state, command.messageId);
      checkVersion(state, ordinal, command.expectedVersion);
      const node = nodeAt(state.tree, ordinal);
      if (!command.asAlternate) {
        return [
          {
            type: 'MessageEdited',
            data: { chatId: command.chatId, messageId: command.messageId, content: command.content, messageVersion: node.version + 1 },
          },
        ];
      }
      checkCap(state, 1, command.maxMessages);
      return [
        postEvent(state, command.chatId, {
          messageId: command.asAlternate.messageId,
          parent: node.parent,
          sender: node.sender,
          name: node.name,
          content: command.content,
          image: node.image,
          metadata: null,
          sentAt: null,
          active: true,
          alternateOf: node.id,
        }),
      ];
    }
    case 'DeleteMessage': {
      assertLive(state, command.chatId, context);
      const ordinal = liveMessage(state, command.messageId);
      checkVersion(state, ordinal, command.expectedVersion);
      const version = nodeAt(state.tree, ordinal).version + 1;
      const tree = updateNode(state.tree, ordinal, { deleted: true, version });
      return [
        {
          type: 'MessageDeleted',
          data: {
            chatId: command.chatId,
            messageId: command.messageId,
            messageVersion: version,
            path: ids(tree, refreshDelta(tree, ordinal)),
          },
        },
      ];
    }
    case 'RestoreMessage': {
      assertLive(state, command.chatId, context);
      const ordinal = findNode(state.tree, command.messageId);
      if (ordinal < 0) throw notFound('message', command.messageId);
      checkVersion(state, ordinal, command.expectedVersion);
      const node = nodeAt(state.tree, ordinal);
      if (!node.deleted) return [];
      checkCap(state, 1, command.maxMessages);
      const tree = updateNode(state.tree, ordinal, { deleted: false, version: node.version + 1 });
      return [
        {
          type: 'MessageRestored',
          data: {
            chatId: command.chatId,
            messageId: command.messageId,
            messageVersion: node.version + 1,
            path: ids(tree, refreshDelta(tree, ordinal)),
          },
        },
      ];
    }
    case 'AppendCompletion': {
      assertLive(state, command.chatId, context);
      const all = [...command.turn, ...(command.reply ? [command.reply] : [])];
      // Already stored by an earlier run of the same completion: nothing to do.
      if (all.some((m) => findNode(state.tree, m.messageId) >= 0)) return [];
      checkCap(state, all.length, command.maxMessages);
      let parent = resolveParent(state, command.parentId);
      let next = state;
      const events: ChatEvent[] = [];
      for (const m of all) {
        const event = postEvent(next, command.chatId, {
          messageId: m.messageId,
          parent,
          sender: m.sender,
          name: m.name,
          content: m.content,
          image: m.image ?? null,
          metadata: m.metadata,
          sentAt: null,
          active: true,
          alternateOf: 'alternateOf' in m ? (m.alternateOf as string | null) : null,
          ...(m.speakerId ? { speakerId: m.speakerId } : {}),
        });
        events.push(event);
        next = chatFold.evolve(next, event);
        parent = findNode(next.tree, m.messageId);
      }
      const changed = command.promptState;
      if (changed && changed.variableChanges.length > 0)
        events.push({ type: 'ChatVariablesChanged', data: { chatId: command.chatId, changes: changed.variableChanges } });
      if (changed?.timedEffects && changed.timedEffects.effects.length > 0)
        events.push({ type: 'WorldInfoTimedEffectsChanged', data: { chatId: command.chatId, ...changed.timedEffects } });
      // First in the append: the chats read model takes the chat's version from the message events after it.
      if (command.dictionaryEffects && command.dictionaryEffects.changes.length > 0)
        events.unshift({ type: 'ChatDictionaryEffectsRecorded', data: { chatId: command.chatId, ...command.dictionaryEffects } });
      return events;
    }
    case 'SelectMessage': {
      assertLive(state, command.chatId, context);
      const ordinal = liveMessage(state, command.messageId);
      const delta = activationDelta(state.tree, ordinal);
      if (delta === 'unreachable')
        throw conflict('message_unreachable', 'a deleted message above this one keeps it off the conversation: restore it first');
      if (!delta) return [];
      return [{ type: 'MessageSelected', data: { chatId: command.chatId, messageId: command.messageId, path: ids(state.tree, delta) } }];
    }
    case 'EraseChat':
      assertChatOwned(state, command.chatId, context);
      if (!state.deleted) throw badRequest('not_in_trash', 'Chat must be in trash before permanent delete.');
      return [{ type: 'ChatErased', data: { chatId: command.chatId } }];
    case 'PinMessage': {
      assertLive(state, command.chatId, context);
      const ordinal = liveMessage(state, command.messageId);
      checkVersion(state, ordinal, command.expectedVersion);
      const messageVersion = nodeAt(state.tree, ordinal).version + 1;
      return [
        { type: 'MessagePinned', data: { chatId: command.chatId, messageId: command.messageId, pinned: command.pinned, messageVersion } },
      ];
    }
  }
}

export const chatDecider: Decider<ChatState, ChatCommand, ChatEvent> = { ...chatFold, decide };
