import type { EventStore, InlineWork } from '../../infra/eventstore/event-store.ts';
import type { ChatSettings } from '../../shared/chats/chat-fields.ts';
import { characterGreetings, fillNames } from '../../shared/chats/greetings.ts';
import { badRequest } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import { assertAccessible, characterDecider, characterStream } from '../characters/character-decider.ts';
import type { StateCache } from '../state-cache.ts';
import { chatDecider, chatStream, type ChatCommand, type ChatState, type NewChat, type SeedMessage } from './chat-decider.ts';
import { userChatsDecider, userChatsStream } from './user-chats-decider.ts';
import { userDefaultsDecider, userDefaultsStream } from '../users/user-defaults-decider.ts';
import { cardFromRisuAI } from '../../shared/cards/risuai-origin.ts';
import type { CompatibilityMode } from '../../shared/worldinfo/index.ts';

/**
 * Commands on chats, including those that span a chat's stream and its owner's chat-slot stream. The slot
 * is taken first and given back when the chat's own append fails, so a crash in between can only leave a
 * slot too many (never a chat over the cap).
 */
export interface ChatCommandDeps {
  eventStore: EventStore;
  stateCache: StateCache;
  config: { MAX_CHATS_PER_USER: number; MAX_MESSAGES_PER_CHAT: number };
}

/** Many writers on one stream (a user's slots, a busy chat): a lost race reloads and decides again. */
const CONTENDED_ATTEMPTS = 50;

export interface ChatCharacter {
  id: string;
  name: string;
  firstMessage: string;
  alternateGreetings: string[];
  /** The character's owner (whose defaults a new chat follows). */
  ownerId: string;
  /** The lorebook profile the card suggests (`risuai` for a RisuAI card), or null. */
  suggestedCompatibility: CompatibilityMode | null;
}

/** The chat's character, decided from its own stream: 404 when missing or deleted, 403 when not the caller's. */
export async function loadOwnedCharacter(
  deps: Pick<ChatCommandDeps, 'eventStore'>,
  context: Actor,
  characterId: string,
): Promise<ChatCharacter> {
  const { state } = await loadState(deps.eventStore, characterStream(characterId), characterDecider);
  assertAccessible(state, characterId, context);
  const stored = state.stored!;
  const data = stored.card.data;
  return {
    id: characterId,
    name: data.name,
    firstMessage: data.first_mes ?? '',
    alternateGreetings: [...(data.alternate_greetings ?? [])],
    ownerId: state.ownerId!,
    suggestedCompatibility: cardFromRisuAI(
      stored.card,
      stored.assets.map((a) => a.path),
    )
      ? 'risuai'
      : null,
  };
}

/** Runs a command on a chat's stream (cached state; `expectedRevision` is the chat's version). */
export function runChatCommand(
  deps: ChatCommandDeps,
  context: Actor,
  chatId: string,
  command: ChatCommand,
  expectedRevision?: number,
): Promise<CommandResult<ChatState>> {
  return handleCommand(deps.eventStore, chatStream(chatId), chatDecider, command, context, {
    cache: deps.stateCache,
    ...(expectedRevision !== undefined ? { expectedRevision } : { maxAttempts: CONTENDED_ATTEMPTS }),
  });
}

/**
 * A new message on a chat, decided from the cached state without a read first (a stale cache is a lost race,
 * decided again), with `inline` (read-model work, e.g. the chat projection of the post) committed with it where
 * the event store can (`inline` in the result then).
 */
export function postChatMessage<Inline>(
  deps: ChatCommandDeps,
  context: Actor,
  command: ChatCommand & { type: 'PostMessage' },
  inline?: InlineWork<Inline>,
): Promise<CommandResult<ChatState> & { inline?: Inline }> {
  return handleCommand(deps.eventStore, chatStream(command.chatId), chatDecider, command, context, {
    cache: deps.stateCache,
    maxAttempts: CONTENDED_ATTEMPTS,
    optimistic: true,
    ...(inline ? { inline } : {}),
  });
}

/** Decides a command without appending it: refuses (404, 403, 409, limits) before a caller stores bytes for it. */
export async function preflightChatCommand(
  deps: ChatCommandDeps,
  context: Actor,
  chatId: string,
  command: ChatCommand,
): Promise<{ ownerId: string }> {
  const { state } = await loadState(deps.eventStore, chatStream(chatId), chatDecider, { cache: deps.stateCache });
  chatDecider.decide(command, state, context);
  return { ownerId: state.ownerId! };
}

async function takeSlot(deps: ChatCommandDeps, context: Actor, ownerId: string, chatId: string): Promise<void> {
  await handleCommand(
    deps.eventStore,
    userChatsStream(ownerId),
    userChatsDecider,
    { type: 'TakeChatSlot', userId: ownerId, chatId, max: deps.config.MAX_CHATS_PER_USER },
    context,
    {
      cache: deps.stateCache,
      maxAttempts: CONTENDED_ATTEMPTS,
      dataSubject: ownerId,
    },
  );
}

async function freeSlot(deps: ChatCommandDeps, context: Actor, ownerId: string, chatId: string): Promise<void> {
  await handleCommand(
    deps.eventStore,
    userChatsStream(ownerId),
    userChatsDecider,
    { type: 'FreeChatSlot', userId: ownerId, chatId },
    context,
    {
      cache: deps.stateCache,
      maxAttempts: CONTENDED_ATTEMPTS,
      dataSubject: ownerId,
    },
  );
}

/** Creates a chat (with its first messages) in one append, after taking one of the caller's chat slots. */
export async function createChat<Inline = never>(
  deps: ChatCommandDeps,
  context: Actor,
  chat: NewChat,
  /** Read-model work committed with the chat's appends where the event store can (an import's chat rows). */
  inline?: InlineWork<Inline>,
): Promise<CommandResult<ChatState> & { inline?: Inline }> {
  const command: ChatCommand = { type: 'CreateChat', ...chat, maxMessages: deps.config.MAX_MESSAGES_PER_CHAT };
  // Decide once before taking a slot, so a refused chat (too many messages, bad parents) takes none.
  chatDecider.decide(command, chatDecider.initialState(), context);
  await takeSlot(deps, context, context.userId, chat.chatId);
  try {
    if (inline)
      return await handleCommand(deps.eventStore, chatStream(chat.chatId), chatDecider, command, context, {
        cache: deps.stateCache,
        maxAttempts: CONTENDED_ATTEMPTS,
        inline,
      });
    return await runChatCommand(deps, context, chat.chatId, command);
  } catch (err) {
    await freeSlot(deps, context, context.userId, chat.chatId).catch(() => undefined);
    throw err;
  }
}

function defaultTitle(characterName: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `${characterName} Chat (${stamp} UTC)`;
}

/**
 * A new chat of a card that suggests a lorebook profile (a RisuAI card: `risuai`) gets it in its settings, unless
 * the request sets `compatibility` or the owner's defaults do (request > user default > the card's suggestion).
 */
async function withSuggestedCompatibility(
  deps: Pick<ChatCommandDeps, 'eventStore'>,
  character: ChatCharacter,
  settings: ChatSettings,
): Promise<ChatSettings> {
  if (settings.compatibility !== undefined || character.suggestedCompatibility === null) return settings;
  const defaults = await loadState(deps.eventStore, userDefaultsStream(character.ownerId), userDefaultsDecider);
  if (defaults.state.defaults.compatibility != null) return settings;
  return { ...settings, compatibility: character.suggestedCompatibility };
}

/**
 * A chat with one of the caller's characters. Its greeting opens it and the alternate greetings are that
 * message's alternates; `greetingIndex` chooses the one shown (0 is the first message).
 */
export async function startChat(
  deps: ChatCommandDeps,
  context: Actor,
  input: {
    chatId: string;
    characterId: string;
    title?: string;
    /** Which greeting is shown (0 is the first message); `random`: one of the alternate greetings, if any. */
    greetingIndex?: number | 'random';
    /** false: the chat starts with no message at all (tldw_server's default, `seed_first_message=false`). */
    seedGreeting?: boolean;
    /** Created under a client-chosen id: the create request's fingerprint (tldw_server's client chat ids). */
    createRequest?: string;
    settings: ChatSettings;
    /** `{{user}}` in the greetings: the persona the chat opens as; default the `user_name` setting. */
    userName?: string;
    /** The turns a stateless client already shows (its greeting first): the chat starts with them, not the greetings. */
    history?: ReadonlyArray<{ sender: 'user' | 'assistant'; content: string }>;
  },
): Promise<CommandResult<ChatState>> {
  const character = await loadOwnedCharacter(deps, context, input.characterId);
  const settings = await withSuggestedCompatibility(deps, character, input.settings);
  const greetings = characterGreetings(character.firstMessage, character.alternateGreetings);
  const chosen =
    input.greetingIndex === 'random'
      ? greetings.length > 1
        ? 1 + Math.floor(Math.random() * (greetings.length - 1))
        : 0
      : (input.greetingIndex ?? 0);
  if (typeof input.greetingIndex === 'number' && chosen >= greetings.length) {
    throw badRequest('greeting_index_out_of_range', `Greeting index ${chosen} out of range (0..${greetings.length - 1})`);
  }
  const names = { char: character.name, user: input.userName ?? input.settings.user_name ?? 'User' };
  const seeded = (input.history ?? []).map((m) => ({ ...m, messageId: newId() }));
  const history: SeedMessage[] = seeded.map((m, i) => ({
    messageId: m.messageId,
    parentId: seeded[i - 1]?.messageId ?? null,
    sender: m.sender,
    name: null,
    content: m.content,
    image: null,
    metadata: null,
    sentAt: null,
    active: true,
  }));
  const messages: SeedMessage[] =
    history.length > 0 || input.seedGreeting === false
      ? history
      : greetings.map((text, i) => ({
          messageId: newId(),
          parentId: null,
          sender: 'assistant',
          name: null,
          content: fillNames(text, names),
          image: null,
          metadata: null,
          sentAt: null,
          active: i <= chosen,
        }));
  return createChat(deps, context, {
    chatId: input.chatId,
    characterId: character.id,
    characterName: character.name,
    title: input.title ?? defaultTitle(character.name, new Date()),
    settings,
    forkedFrom: null,
    importedFrom: null,
    ...(input.createRequest !== undefined ? { createRequest: input.createRequest } : {}),
    messages,
  });
}

export async function deleteChat(
  deps: ChatCommandDeps,
  context: Actor,
  chatId: string,
  expectedRevision?: number,
): Promise<CommandResult<ChatState>> {
  const result = await runChatCommand(deps, context, chatId, { type: 'DeleteChat', chatId }, expectedRevision);
  await freeSlot(deps, context, result.state.ownerId!, chatId);
  return result;
}

/** Restores a deleted chat; it takes a slot again, so a user at the cap gets 403 limit_exceeded. */
export async function restoreChat(
  deps: ChatCommandDeps,
  context: Actor,
  chatId: string,
  expectedRevision?: number,
): Promise<CommandResult<ChatState>> {
  const current = await loadState(deps.eventStore, chatStream(chatId), chatDecider, { cache: deps.stateCache });
  const pending = chatDecider.decide({ type: 'RestoreChat', chatId }, current.state, context);
  if (pending.length === 0) return runChatCommand(deps, context, chatId, { type: 'RestoreChat', chatId }, expectedRevision);
  const ownerId = current.state.ownerId!;
  await takeSlot(deps, context, ownerId, chatId);
  try {
    const result = await runChatCommand(deps, context, chatId, { type: 'RestoreChat', chatId }, expectedRevision);
    if (result.events.length === 0) await freeSlot(deps, context, ownerId, chatId);
    return result;
  } catch (err) {
    await freeSlot(deps, context, ownerId, chatId).catch(() => undefined);
    throw err;
  }
}
