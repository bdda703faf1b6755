/**
 * A group chat's `/complete`: the group's strategy (or `speaker_id`) chooses the members who answer, then each
 * answers in turn as its own completion job, submitted when the previous reply is stored so it sees it. The
 * first job carries the user's new message. A stream carries the speakers one after another on one response:
 * `event: speaker` (`{speaker_id, name, completion_id, index}`) opens each, then that completion's chunks and its
 * trailer (with `speaker_id` and `name`), and `data: [DONE]` closes the turn. The JSON answer is the first
 * speaker's reply with every speaker's under `speakers`. Nobody chosen (a muted group, manual with a message):
 * the message is stored alone and `speakers` is empty.
 */
import { runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import type { ChatRow } from '../../../queries/chats-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import type { CompletionResult } from '../../../shared/completions/completion-job.ts';
import { newId } from '../../../shared/ids.ts';
import type { CharacterPrompts } from '../../completions/character-prompt.ts';
import type { CompletionGateway } from '../../completions/completion-gateway.ts';
import { preflightCompletion } from '../../completions/completion-preflight.ts';
import {
  assertParametersSupported,
  characterTarget,
  clientChoseId,
  generationParams,
  jobBase,
  requestHashOf,
  speakerCompletionId,
} from '../../completions/completion-request.ts';
import type { GroupSpeaker } from '../../completions/group-speakers.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { openSse, sseFrame } from '../http/sse.ts';
import type { RouteContext, RouteResult } from '../http/route.ts';
import { characterCompletionBody } from './completion-responses.ts';
import type { CharacterCompleteBody } from './completion-schemas.ts';

type CompleteContext = RouteContext<{ chat_id: string }, undefined, CharacterCompleteBody>;

export interface GroupCompletionDeps {
  api: ApiDependencies;
  gateway: CompletionGateway;
  preflight: { prompts: CharacterPrompts; chats: ApiDependencies };
}

/** Nobody answers: the user's message (if any) is stored alone, as SillyTavern posts it and generates nothing. */
async function storeMessageAlone(deps: GroupCompletionDeps, actor: Actor, chat: ChatRow, body: CharacterCompleteBody) {
  if (body.message === undefined || !(body.save_to_db ?? deps.api.config.COMPLETIONS_SAVE_DEFAULT)) return [];
  const messageId = newId();
  const result = await runChatCommand(deps.api, actor, chat.id, {
    type: 'PostMessage',
    chatId: chat.id,
    messageId,
    sender: 'user',
    name: null,
    content: body.message,
    image: null,
    metadata: null,
    maxMessages: deps.api.config.MAX_MESSAGES_PER_CHAT,
  });
  if (result.position) await deps.api.waiter.waitFor(result.position, deps.api.config.READ_YOUR_WRITES_TIMEOUT_MS);
  return [messageId];
}

export async function completeGroupTurn(
  deps: GroupCompletionDeps,
  ctx: CompleteContext,
  chat: ChatRow,
  speakers: GroupSpeaker[],
): Promise<RouteResult | undefined> {
  const { body, actor, req, res, consumeRateLimit } = ctx;
  const resolved = deps.api.completions.providers.resolve({ provider: body.provider, model: body.model });
  const save = (body.save_to_db ?? deps.api.config.COMPLETIONS_SAVE_DEFAULT) && body.mode !== 'impersonate';
  const generation = generationParams(body);
  const targetOf = (index: number, speaker: GroupSpeaker) => ({
    ...characterTarget(chat.id, speaker.id, index === 0 ? body : { ...body, message: undefined }, save),
    groupId: chat.group_id,
  });
  // What the first generation would refuse is refused before anything is stored or spent.
  const first = speakers[0];
  if (first) {
    const target = targetOf(0, first);
    await preflightCompletion(deps.preflight, actor, speakerCompletionId(req.headers, actor, 0), target);
    assertParametersSupported(resolved, generation, target);
  }
  await consumeRateLimit();
  if (!first) {
    const turn = await storeMessageAlone(deps, actor, chat, body);
    const answer = { chat_id: chat.id, mode: body.mode, speakers: [], saved: turn.length > 0, message_ids: { turn, reply: null } };
    if (!body.stream) return { status: 200, body: answer };
    openSse(res);
    res.write(sseFrame({ event: 'speakers', data: JSON.stringify(answer) }));
    res.end('data: [DONE]\n\n');
    return undefined;
  }
  const replies: Array<Record<string, unknown>> = [];
  for (const [index, speaker] of speakers.entries()) {
    const completionId = speakerCompletionId(req.headers, actor, index);
    const target = targetOf(index, speaker);
    if (index > 0) await preflightCompletion(deps.preflight, actor, completionId, target);
    const requestHash = requestHashOf(['character_chats.complete', chat.id, body, speaker.id, index]);
    const job = {
      ...jobBase(actor, completionId, requestHash),
      provider: resolved.providerName,
      model: resolved.model,
      params: generation,
      target,
    };
    const existing = await deps.gateway.submit(job, {
      recordFirst: clientChoseId(req.headers) || !body.stream,
      log: ctx.log,
      dataSubject: chat.owner_id,
    });
    const named = { speaker_id: speaker.id, name: speaker.name };
    if (body.stream) {
      if (index === 0) res.setHeader('X-Completion-Id', completionId);
      await deps.gateway.streamResponse(res, completionId, {
        cancelOnDisconnect: !body.resumable,
        replay: await deps.gateway.finishedReplay(completionId, existing),
        keepOpen: index < speakers.length - 1,
        preamble: sseFrame({ event: 'speaker', data: JSON.stringify({ ...named, completion_id: completionId, index }) }),
        trailer: (r: CompletionResult) => ({
          ...named,
          chat_id: r.chatId,
          saved: r.saved !== null,
          message_ids: r.saved ? { turn: r.saved.turnMessageIds, reply: r.saved.replyMessageId } : null,
          content: r.fullText ?? undefined,
        }),
      });
      // A failed speaker ended the stream with its error: the others do not answer.
      if (res.writableEnded) return undefined;
      continue;
    }
    const result = await deps.gateway.waitForResult(res, completionId, !body.resumable);
    replies.push({ ...named, ...characterCompletionBody(completionId, chat.id, body.mode, result) });
  }
  if (body.stream) return undefined;
  return {
    status: 200,
    headers: { 'X-Completion-Id': replies[0]!.completion_id as string },
    body: { ...replies[0], speakers: replies },
  };
}
