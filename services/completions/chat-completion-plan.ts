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

export interface ChatCompletionPlan {
  target: CompletionJob['target'];
  /** Whose data the prompt and reply are: the character's owner (an administrator may complete a user's chat). */
  dataSubject: string;
  /** The conversation this completion opens (its id derived from the completion's, so a retry reuses it). */
  newChat: { chatId: string; characterId: string } | null;
  /** The rate limits the request spends once it is known to be valid. */
  rateLimitActions: RateLimitAction[];
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

  async function plan(actor: Actor, completionId: string, body: ChatCompletionBody, save: boolean): Promise<ChatCompletionPlan> {
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
    if (characterId) {
      const character = usableCharacter(await characters.get(characterId), characterId, actor);
      dataSubject = character.owner_id;
      if (save && !chatId) {
        chatId = completionChatId(completionId);
        if (!(await chats.get(chatId))) newChatId = chatId;
      }
      const characterTarget: CharacterTarget = {
        kind: 'character',
        characterId: character.id,
        chatId,
        mode: 'normal',
        messages: body.messages,
        userText: null,
        targetMessageId: null,
        userName: body.user_name ?? null,
        save: save && chatId !== null,
        contextSize: body.context_size ?? null,
        worldBookIds: body.world_book_ids ?? null,
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
    return { target, dataSubject, newChat: newChatId && characterId ? { chatId: newChatId, characterId } : null, rateLimitActions };
  }

  /** Opens the planned conversation; reads right after see it (bounded wait, as for every write). */
  async function openChat(actor: Actor, newChat: NonNullable<ChatCompletionPlan['newChat']>, userName: string | undefined): Promise<void> {
    const created = await startChat(deps.chats, actor, {
      chatId: newChat.chatId,
      characterId: newChat.characterId,
      settings: userName ? { user_name: userName } : {},
    });
    if (created.position) await deps.waiter.waitFor(created.position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
  }

  return { plan, openChat };
}
