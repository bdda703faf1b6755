/**
 * The OpenAI-compatible completion's target: a plain proxy of the request's messages, or (with character_id or
 * conversation_id) the character's prompt with the turn stored in a conversation, possibly one the completion opens.
 * What the generation would refuse is refused here, before any job, recorded failure or rate-limit point.
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../../shared/access/actor.ts';
import { startChat, type ChatCommandDeps } from '../../commands/chats/chat-workflows.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { RateLimitAction } from '../../infra/ratelimit/rate-limits.ts';
import type { ProgressWaiter } from '../../projections/progress-waiter.ts';
import { createCharacterQueries } from '../../queries/characters-queries.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import { completionChatId } from '../../shared/completions/completion-ids.ts';
import type { CharacterTarget, CompletionJob } from '../../shared/completions/completion-job.ts';
import { badRequest } from '../../shared/errors.ts';
import type { ChatCompletionBody } from '../api/routes/completion-schemas.ts';
import { usableCharacter, usableChat, type CharacterPrompts } from './character-prompt.ts';
import { preflightCompletion } from './completion-preflight.ts';
import { requestedScanSettings } from './completion-request.ts';
import { createStatelessChatMatcher, requestTurns, type ChatTurn } from './stateless-chat-match.ts';

export interface ChatCompletionPlan {
  target: CompletionJob['target'];
  /** Whose data the prompt and reply are: the character's owner (an administrator may complete a user's chat). */
  dataSubject: string;
  /** The conversation this completion opens (its id derived from the completion's, so a retry reuses it). */
  newChat: { chatId: string; characterId: string; history?: ChatTurn[] } | null;
  /** The rate limits the request spends once it is known to be valid. */
  rateLimitActions: RateLimitAction[];
}

/** The turns a stateless client shows before its new message(s): the history a chat it opens starts with. */
function shownHistory(body: ChatCompletionBody): ChatTurn[] {
  const turns = requestTurns(body.messages);
  let end = turns.length;
  while (end > 0 && turns[end - 1]!.role === 'user') end -= 1;
  return turns.slice(0, end);
}

export interface ChatCompletionPlanDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  prompts: CharacterPrompts;
  chats: ChatCommandDeps;
  waiter: ProgressWaiter;
  config: { READ_YOUR_WRITES_TIMEOUT_MS: number };
}

export function createChatCompletionPlanner(deps: ChatCompletionPlanDeps) {
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatQueries(deps.db, deps.readSchema);
  const preflight = { prompts: deps.prompts, chats: deps.chats };
  const matchStatelessChat = createStatelessChatMatcher(deps.db, deps.readSchema);

  /**
   * `stateless`: a client that sends the whole history and no conversation_id (a character model); when the turn is
   * saved it goes to the chat the history matches (continued, or a new alternate of its last reply), else a new one.
   */
  async function plan(
    actor: Actor,
    completionId: string,
    body: ChatCompletionBody,
    save: boolean,
    options: { stateless?: boolean } = {},
  ): Promise<ChatCompletionPlan> {
    let target: CompletionJob['target'] = { kind: 'proxy', messages: body.messages };
    let characterId = body.character_id;
    let chatId: string | null = null;
    let dataSubject = actor.userId;
    if (body.conversation_id) {
      const chat = usableChat(await chats.get(body.conversation_id), body.conversation_id, actor);
      if (!chat.character_id) throw badRequest('conversation_without_character', `chat ${chat.id} has no character to complete as`);
      if (characterId && characterId !== chat.character_id)
        throw badRequest(
          'conversation_character_mismatch',
          `chat ${chat.id} is a chat with character ${chat.character_id}, not ${characterId}`,
        );
      characterId = chat.character_id;
      chatId = chat.id;
    }
    let newChatId: string | null = null;
    // A stateless client's own prompt (lore_only) is no chat of ours: it is not stored.
    if (options.stateless && body.character_prompt === 'lore_only') save = false;
    if (characterId) {
      const character = usableCharacter(await characters.get(characterId), characterId, actor);
      dataSubject = character.owner_id;
      let mode: CharacterTarget['mode'] = 'normal';
      if (save && !chatId && options.stateless) {
        const match = await matchStatelessChat(character.owner_id, character.id, body.messages);
        if (match) ({ chatId, mode } = match);
      }
      if (save && !chatId) {
        chatId = completionChatId(completionId);
        if (!(await chats.get(chatId))) newChatId = chatId;
      }
      const characterTarget: CharacterTarget = {
        kind: 'character',
        characterId: character.id,
        chatId,
        mode,
        // A swipe generates from the chat as it is: the request's turns are already its path.
        messages: mode === 'regenerate' ? null : body.messages,
        userText: null,
        targetMessageId: null,
        userName: body.user_name ?? null,
        save: save && chatId !== null,
        contextSize: body.context_size ?? null,
        worldBookIds: body.world_book_ids ?? null,
        ...(body.tokenizer ? { tokenizer: body.tokenizer } : {}),
        ...(body.compatibility ? { compatibility: body.compatibility } : {}),
        ...requestedScanSettings(body),
        // A conversation's own history is the prompt's: the client's prompt is kept only without one.
        ...(body.character_prompt === 'lore_only' && !chatId ? { characterPrompt: 'lore_only' as const } : {}),
      };
      target = characterTarget;
      // A chat the completion opens does not exist yet: the checks see a completion without one.
      await preflightCompletion(
        preflight,
        actor,
        completionId,
        newChatId ? { ...characterTarget, chatId: null, save: false } : characterTarget,
      );
    }
    const rateLimitActions: RateLimitAction[] = [
      'chat_completion',
      ...(target.kind === 'character' && target.save ? (['message_send'] as const) : []),
      ...(newChatId ? (['chat_create'] as const) : []),
    ];
    const newChat =
      newChatId && characterId ? { chatId: newChatId, characterId, ...(options.stateless ? { history: shownHistory(body) } : {}) } : null;
    return { target, dataSubject, newChat, rateLimitActions };
  }

  /** Opens the planned conversation; reads right after see it (bounded wait, as for every write). */
  async function openChat(actor: Actor, newChat: NonNullable<ChatCompletionPlan['newChat']>, userName: string | undefined): Promise<void> {
    const created = await startChat(deps.chats, actor, {
      chatId: newChat.chatId,
      characterId: newChat.characterId,
      settings: userName ? { user_name: userName } : {},
      ...(newChat.history ? { history: newChat.history.map((t) => ({ sender: t.role, content: t.content })) } : {}),
    });
    if (created.position) await deps.waiter.waitFor(created.position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
  }

  return { plan, openChat };
}
