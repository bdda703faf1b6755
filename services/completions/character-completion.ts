/**
 * A character's next reply in a chat, as a use case both route families call (`/api/v1/character_chats/{id}/
 * complete` and tldw_server's `/api/v1/chats/{id}/complete-v2`): check the chat and character, resolve the
 * provider, refuse what the job would refuse, spend the rate limit, queue the job, then stream it or wait for it.
 */
import type { Request, Response } from 'express';
import type { Actor } from '../../shared/access/actor.ts';
import type { CharacterTarget, CompletionResult } from '../../shared/completions/completion-job.ts';
import { badRequest } from '../../shared/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import { createCharacterQueries } from '../../queries/characters-queries.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import type { ApiDependencies } from '../api/api-dependencies.ts';
import type { CharacterCompleteBody } from '../api/routes/completion-schemas.ts';
import { createCharacterPrompts, usableCharacter, usableChat } from './character-prompt.ts';
import { createCompletionGateway } from './completion-gateway.ts';
import { preflightCompletion } from './completion-preflight.ts';
import {
  assertParametersSupported,
  characterTarget,
  clientChoseId,
  completionIdOf,
  generationParams,
  jobBase,
  requestHashOf,
} from './completion-request.ts';

export interface CharacterCompletionCall {
  actor: Actor;
  req: Request;
  res: Response;
  log: Logger;
  consumeRateLimit: () => Promise<void>;
}

/** Who answers (default: the chat's character) and, for tldw_server's routes, the original's prompt layout. */
export interface CharacterTurnChoice {
  speakerId?: string;
  tldwLayout?: CharacterTarget['tldwLayout'];
}

/** The reply, or `streamed` when it went out as SSE (the response is written). */
export type CharacterCompletionOutcome =
  { streamed: true } | { streamed: false; completionId: string; chatId: string; characterId: string; result: CompletionResult };

export function createCharacterCompletion(deps: ApiDependencies) {
  const { providers } = deps.completions;
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatQueries(deps.db, deps.readSchema);
  const prompts = createCharacterPrompts(deps.db, deps.readSchema, deps.cpu, deps.memoryEmbeddings ?? null);
  const gateway = createCompletionGateway(deps);
  const preflight = { prompts, chats: deps };

  return async function complete(
    call: CharacterCompletionCall,
    chatId: string,
    body: CharacterCompleteBody,
    requestKey: string,
    turn: CharacterTurnChoice = {},
  ): Promise<CharacterCompletionOutcome> {
    const { actor, req, res } = call;
    const chat = usableChat(await chats.get(chatId), chatId, actor);
    if (!chat.character_id) throw badRequest('chat_without_character', `chat ${chat.id} has no character`);
    const speakerId = turn.speakerId ?? chat.character_id;
    usableCharacter(await characters.get(speakerId), speakerId, actor);
    const resolved = providers.resolve({ provider: body.provider, model: body.model });
    const completionId = completionIdOf(req.headers, actor);
    const save = (body.save_to_db ?? deps.config.COMPLETIONS_SAVE_DEFAULT) && body.mode !== 'impersonate';
    const target = {
      ...characterTarget(chat.id, speakerId, body, save),
      ...(turn.tldwLayout ? { tldwLayout: turn.tldwLayout } : {}),
    };
    // What the generation would refuse is refused here: no job, no failure recorded, no point spent.
    await preflightCompletion(preflight, actor, completionId, target);
    const generation = generationParams(body);
    assertParametersSupported(resolved, generation, target);
    await call.consumeRateLimit();
    const requestHash = requestHashOf([requestKey, chatId, body]);
    const job = {
      ...jobBase(actor, completionId, requestHash),
      provider: resolved.providerName,
      model: resolved.model,
      params: generation,
      target,
    };
    const existing = await gateway.submit(job, {
      recordFirst: clientChoseId(req.headers) || !body.stream,
      log: call.log,
      dataSubject: chat.owner_id,
    });
    if (body.stream) {
      res.setHeader('X-Completion-Id', completionId);
      await gateway.streamResponse(res, completionId, {
        cancelOnDisconnect: !body.resumable,
        replay: await gateway.finishedReplay(completionId, existing),
        trailer: (r) => ({
          chat_id: r.chatId,
          saved: r.saved !== null,
          message_ids: r.saved ? { turn: r.saved.turnMessageIds, reply: r.saved.replyMessageId } : null,
          content: r.fullText ?? undefined,
        }),
      });
      return { streamed: true };
    }
    const result = await gateway.waitForResult(res, completionId, !body.resumable);
    return { streamed: false, completionId, chatId: chat.id, characterId: speakerId, result };
  };
}
