/**
 * Creating a chat the way tldw_server's clients ask for one: with or without a character, with or without its
 * greeting, and optionally under an id the client chose. Under a client id the chat keeps the fingerprint of the
 * create request: the same owner sending the same request again gets the same chat (a replay: nothing is
 * appended), whatever happened to the chat since; any other use of a taken id is a 409 `chat_id_conflict` (a
 * chat named by the server included), and the owner's own chat in the trash a 410 `chat_deleted`.
 */
import type { Actor } from '../../shared/access/actor.ts';
import { isOwnedBy } from '../../shared/access/access-rules.ts';
import { ConcurrencyError } from '../../infra/eventstore/event-store.ts';
import { AppError } from '../../shared/errors.ts';
import { loadState, type CommandResult } from '../command-handler.ts';
import { chatDecider, chatStream, type ChatState } from './chat-decider.ts';
import { createChat, runChatCommand, startChat, type ChatCommandDeps } from './chat-workflows.ts';

export interface ChatSessionInput {
  chatId: string;
  /** The fingerprint of the create request when the client chose the id (then a taken id is a replay or a conflict). */
  clientRequest: string | null;
  characterId: string | null;
  title?: string;
  /** A state other than the default `in-progress` to start in. */
  state?: 'in-progress' | 'resolved' | 'backlog' | 'non-viable';
  seedGreeting: boolean;
  greetingIndex?: number | 'random';
}

export type ChatSessionCreated =
  { replayed: false; result: CommandResult<ChatState>; seeded: boolean } | { replayed: true; revision: number };

const idConflict = (chatId: string) =>
  new AppError(409, 'chat_id_conflict', `Chat id ${chatId} is already in use by another request`, { error_code: 'chat_id_conflict' });

function plainChatTitle(at: Date): string {
  return `Chat (${at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)} UTC)`;
}

/**
 * Under a client-chosen id: the chat's revision when it exists and this owner created it with this very
 * request (a replay), undefined when the id is free; a 409 or 410 otherwise.
 */
export async function replayedChat(deps: ChatCommandDeps, actor: Actor, chatId: string, request: string): Promise<number | undefined> {
  const { state, revision } = await loadState(deps.eventStore, chatStream(chatId), chatDecider, { cache: deps.stateCache });
  if (!state.exists) return undefined;
  // Another owner, another request, or a server-named chat: nothing about the existing chat is told.
  if (!isOwnedBy(state, actor.userId) || state.createRequest !== request) throw idConflict(chatId);
  if (state.deleted)
    throw new AppError(410, 'chat_deleted', `Chat ${chatId} is in the trash; restore it to use this id`, { error_code: 'chat_deleted' });
  return revision;
}

/** A create that lost the race for a client id to another one: the same conflict as a taken id. */
export function asIdConflict(err: unknown, chatId: string): unknown {
  return err instanceof AppError && err.code === 'already_exists' ? idConflict(chatId) : err;
}

/** How often a create under a client id is tried again after losing a race on one of the streams it appends to. */
const CLIENT_ID_CREATE_ATTEMPTS = 3;

export async function createChatSession(deps: ChatCommandDeps, actor: Actor, input: ChatSessionInput): Promise<ChatSessionCreated> {
  for (let attempt = 1; ; attempt++) {
    if (input.clientRequest !== null) {
      const revision = await replayedChat(deps, actor, input.chatId, input.clientRequest);
      if (revision !== undefined) return { replayed: true, revision };
    }
    try {
      return await createOnce(deps, actor, input);
    } catch (err) {
      // Two creates under one client id at once: the loser looks again, and finds the winner's chat (a replay of
      // the same request, a 409 for another) or, when it lost on another stream first, tries again.
      const lostRace = err instanceof ConcurrencyError || (err instanceof AppError && err.code === 'already_exists');
      if (input.clientRequest === null || !lostRace || attempt >= CLIENT_ID_CREATE_ATTEMPTS) throw asIdConflict(err, input.chatId);
    }
  }
}

async function createOnce(deps: ChatCommandDeps, actor: Actor, input: ChatSessionInput): Promise<ChatSessionCreated> {
  const createRequest = input.clientRequest !== null ? { createRequest: input.clientRequest } : {};
  let result: CommandResult<ChatState> =
    input.characterId === null
      ? await createChat(deps, actor, {
          chatId: input.chatId,
          characterId: null,
          characterName: '',
          title: input.title ?? plainChatTitle(new Date()),
          settings: {},
          forkedFrom: null,
          importedFrom: null,
          messages: [],
          ...createRequest,
        })
      : await startChat(deps, actor, {
          chatId: input.chatId,
          characterId: input.characterId,
          settings: {},
          seedGreeting: input.seedGreeting,
          ...createRequest,
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.greetingIndex !== undefined ? { greetingIndex: input.greetingIndex } : {}),
        });
  const seeded = result.events.some((e) => e.type === 'MessagePosted' || e.type === 'MessagesImported');
  if (input.state && input.state !== 'in-progress')
    result = await runChatCommand(deps, actor, input.chatId, { type: 'UpdateChat', chatId: input.chatId, changes: { state: input.state } });
  return { replayed: false, result, seeded };
}
