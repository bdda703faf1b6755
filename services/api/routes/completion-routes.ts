import type { ChatCompletion } from '../../../infra/llm/index.ts';
import type { CompletionResult } from '../../../shared/completions/completion-job.ts';
import { AppError, badRequest } from '../../../shared/errors.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatQueries, type ChatRow } from '../../../queries/chats-queries.ts';
import { createCharacterPrompts, usableChat } from '../../completions/character-prompt.ts';
import { createChatCompletionPlanner } from '../../completions/chat-completion-plan.ts';
import { createCompletionGateway } from '../../completions/completion-gateway.ts';
import { createCharacterCompletion } from '../../completions/character-completion.ts';
import { assertTurnImagesFit, checkRequestImages } from '../../completions/completion-images.ts';
import { characterModelRequest, isCharacterModel, resolveCharacterModel } from '../../completions/character-models.ts';
import { modelCatalogueFor } from '../../completions/model-catalogue.ts';
import {
  assertParametersSupported,
  characterTarget,
  clientChoseId,
  completionIdOf,
  generationParams,
  jobBase,
  previewModel,
  requestHashOf,
} from '../../completions/completion-request.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { OPENAI_BASES } from './openai-bases.ts';
import { createGroupSpeakers } from '../../completions/group-speakers.ts';
import { completeGroupTurn } from './group-completion.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import { chatParams } from './chat-schemas.ts';
import { characterCompletionBody, chatCompletionExtension, preparedPromptBody } from './completion-responses.ts';
import {
  characterCompleteBody,
  type CharacterCompleteBody,
  characterCompletionSchema,
  chatCompletionBody,
  chatCompletionSchema,
  type ChatCompletionBody,
  completionParams,
  preparedPromptSchema,
  streamQuery,
} from './completion-schemas.ts';

const errors = {
  400: { description: 'invalid request, unknown provider or model', schema: problemSchema },
  403: { description: "another user's character or chat", schema: problemSchema },
  404: { description: 'character or chat missing', schema: problemSchema },
  429: { description: 'rate limited (ours or the provider)', schema: problemSchema },
  502: { description: 'the provider failed', schema: problemSchema },
  503: { description: 'no provider configured, or the queue is unreachable', schema: problemSchema },
  504: { description: 'the provider timed out', schema: problemSchema },
};

export function completionRoutes(deps: ApiDependencies): RouteDefinition[] {
  const { providers } = deps.completions;
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatQueries(deps.db, deps.readSchema);
  const prompts = createCharacterPrompts(deps.db, deps.readSchema, deps.cpu, deps.memoryEmbeddings ?? null);
  const gateway = createCompletionGateway(deps);
  const planner = createChatCompletionPlanner({
    db: deps.db,
    readSchema: deps.readSchema,
    prompts,
    chats: deps,
    waiter: deps.waiter,
    config: deps.config,
  });
  const completeCharacter = createCharacterCompletion(deps);
  const preflight = { prompts, chats: deps };
  const groupSpeakers = createGroupSpeakers(deps.db, deps.readSchema);
  /** A group chat's speaker(s) for this request; a `speaker_id` in a chat with one character is a 400. */
  const speakersOf = async (chat: ChatRow, body: CharacterCompleteBody, actor: Actor) => {
    if (!chat.group_id) {
      if (body.speaker_id) throw badRequest('not_a_group_chat', `chat ${chat.id} is not a group chat: it takes no speaker_id`);
      return null;
    }
    return groupSpeakers.choose(chat, body, actor);
  };
  const catalogue = modelCatalogueFor(deps);
  const imagePolicy = { maxBytes: deps.config.MESSAGE_IMAGE_MAX_BYTES, allowUrls: deps.config.COMPLETION_IMAGE_URLS === 'allow' };

  /**
   * A `character:…` model is the caller's character (404 `model_not_found` otherwise), never a model name sent
   * upstream. Without a conversation the request is stateless: its turns name the chat they are saved in.
   */
  const characterModelOf = async (body: ChatCompletionBody, actor: Actor): Promise<{ body: ChatCompletionBody; stateless: boolean }> => {
    if (!isCharacterModel(body.model)) return { body, stateless: false };
    const { character, ref } = await resolveCharacterModel(body.model, actor, characters);
    return { body: characterModelRequest(body, character, ref), stateless: !body.conversation_id };
  };

  const chatCompletionRoute = (path: string, operationId: string) =>
    defineRoute({
      method: 'post',
      path,
      operationId,
      summary:
        "OpenAI-compatible chat completion (stream or not, tools). With character_id the prompt is the character's (card, chat history, lorebooks) and the turn is stored in the conversation; without, a plain proxy to the provider",
      tags: ['completions'],
      auth: 'user',
      body: chatCompletionBody,
      // message_send when the turn is stored in a chat, chat_create when the completion opens one
      rateLimit: ['chat_completion', 'message_send', 'chat_create'],
      rateLimitInHandler: true,
      // one image of the largest size (base64) beside the usual 4 MiB of messages
      bodyLimitBytes: Math.ceil((deps.config.MESSAGE_IMAGE_MAX_BYTES * 4) / 3) + 4 * 1_048_576,
      responses: {
        200: {
          description: 'the completion (JSON, or an SSE stream of chat.completion.chunk when stream=true)',
          schema: chatCompletionSchema,
        },
        413: { description: "a stored turn's image would pass the chat owner's storage quota (`quota_exceeded`)", schema: problemSchema },
        ...errors,
      },
      handler: async (ctx) => {
        const { actor, req, res, consumeRateLimit } = ctx;
        const images = checkRequestImages(ctx.body.messages, imagePolicy);
        const { body, stateless } = await characterModelOf(ctx.body, actor);
        const resolved = providers.resolve({
          provider: body.provider ?? (body.model ? catalogue.providerOf(body.model) : undefined),
          model: body.model,
        });
        const completionId = completionIdOf(req.headers, actor);
        const save = body.save_to_db ?? deps.config.COMPLETIONS_SAVE_DEFAULT;
        const plan = await planner.plan(actor, completionId, body, save, { stateless });
        const params = generationParams(body);
        assertParametersSupported(resolved, params, plan.target);
        if (plan.target.kind === 'character' && plan.target.save)
          await assertTurnImagesFit(
            ctx.body.messages,
            images,
            { userId: plan.dataSubject, quotaBytes: deps.config.STORAGE_QUOTA_BYTES_PER_USER },
            deps.blobStore,
          );
        await consumeRateLimit(plan.rateLimitActions);
        if (plan.newChat) await planner.openChat(actor, plan.newChat, body.user_name);
        const conversationId = plan.target.kind === 'character' && plan.target.save ? plan.target.chatId : null;
        if (conversationId) res.setHeader('X-Conversation-Id', conversationId);
        const job = {
          ...jobBase(actor, completionId, requestHashOf(['chat.completions', body])),
          provider: resolved.providerName,
          model: resolved.model,
          params,
          target: plan.target,
        };
        const existing = await gateway.submit(job, {
          recordFirst: clientChoseId(req.headers) || !body.stream,
          log: ctx.log,
          dataSubject: plan.dataSubject,
        });
        if (body.stream) {
          res.setHeader('X-Completion-Id', completionId);
          const trailer = (r: CompletionResult) => (r.chatId ? chatCompletionExtension(r) : null);
          return gateway.streamResponse(res, completionId, {
            cancelOnDisconnect: !body.resumable,
            trailer,
            replay: await gateway.finishedReplay(completionId, existing),
            openAIGrammar: { includeUsage: body.stream_options?.include_usage === true },
          });
        }
        const result = await gateway.waitForResult(res, completionId, !body.resumable);
        const completion: ChatCompletion = result.completion;
        return { status: 200, body: { ...completion, ...chatCompletionExtension(result) }, headers: { 'X-Completion-Id': completionId } };
      },
    });

  return [
    ...OPENAI_BASES.map(({ base, suffix }) => chatCompletionRoute(`${base}/chat/completions`, `createChatCompletion${suffix}`)),
    defineRoute({
      method: 'get',
      path: '/api/v1/chat/completions/:completion_id/stream',
      operationId: 'resumeChatCompletionStream',
      summary: "A completion's token stream (SSE, OpenAI chunks, `id:` on every event); resume after an event with Last-Event-ID",
      tags: ['completions'],
      auth: 'user',
      params: completionParams,
      query: streamQuery,
      responses: {
        200: { description: 'SSE stream', contentType: 'text/event-stream' },
        410: { description: 'the stream expired', schema: problemSchema },
        ...errors,
      },
      handler: async ({ params, query, actor, req, res }) => {
        const job = await gateway.ownedJob(params.completion_id, actor);
        const header = req.headers['last-event-id'];
        const after = (typeof header === 'string' && header !== '' ? header : undefined) ?? query.last_event_id;
        if (!(await gateway.relayHolds(params.completion_id)) && after !== undefined)
          throw new AppError(410, 'stream_expired', 'the completion stream is no longer available');
        return gateway.streamResponse(res, params.completion_id, {
          ...(after ? { after } : { replay: await gateway.finishedReplay(params.completion_id, job) }),
          cancelOnDisconnect: false,
          trailer: (r) => (r.chatId ? { conversation_id: r.chatId, saved: r.saved !== null } : null),
          openAIGrammar: { includeUsage: false },
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/chat/completions/:completion_id/cancel',
      operationId: 'cancelChatCompletion',
      summary: 'Cancel a running completion: the upstream request is aborted and nothing is stored',
      tags: ['completions'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.cancellation,
      params: completionParams,
      responses: { 202: { description: 'cancellation requested' }, ...errors },
      handler: async ({ params, actor }) => {
        await gateway.ownedJob(params.completion_id, actor);
        await gateway.cancel(params.completion_id, 'cancelled by the client');
        return { status: 202, body: { id: params.completion_id, cancel_requested: true } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/character_chats/:chat_id/prepare',
      operationId: 'prepareCharacterCompletion',
      summary: 'The exact messages a completion would send (no provider call): token accounting and lorebook diagnostics',
      tags: ['completions'],
      auth: 'user',
      params: chatParams,
      body: characterCompleteBody,
      // a preview does the work of a send (the whole prompt is assembled)
      rateLimit: 'message_send',
      rateLimitInHandler: true,
      responses: { 200: { description: 'the prompt', schema: preparedPromptSchema }, ...errors },
      handler: async ({ params, body, actor, consumeRateLimit }) => {
        const chat = usableChat(await chats.get(params.chat_id), params.chat_id, actor);
        // A group chat previews the first speaker's prompt (or the `speaker_id` asked for).
        const speaker = (await speakersOf(chat, body, actor))?.[0];
        if (chat.group_id && !speaker) throw badRequest('no_speaker', 'nobody in the group would answer this turn: give speaker_id');
        const characterId = speaker?.id ?? chat.character_id;
        if (!characterId) throw badRequest('chat_without_character', `chat ${chat.id} has no character`);
        const model = previewModel(providers, { provider: body.provider, model: body.model });
        const target = { ...characterTarget(chat.id, characterId, body, false), ...(speaker ? { groupId: chat.group_id } : {}) };
        await prompts.check(target, actor);
        await consumeRateLimit();
        const built = await prompts.build(target, actor, model, {
          ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
          dryRun: true,
        });
        const prepared = preparedPromptBody(chat.id, characterId, body.mode, model, built);
        return { status: 200, body: speaker ? { ...prepared, speaker_id: speaker.id, speaker_name: speaker.name } : prepared };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/character_chats/:chat_id/complete',
      operationId: 'completeCharacterChat',
      summary:
        "The character's next reply: mode normal (optionally after a new user message), regenerate (a new alternate), continue (extend the last reply), impersonate (a draft in the user's voice, not stored)",
      tags: ['completions'],
      auth: 'user',
      params: chatParams,
      body: characterCompleteBody,
      rateLimit: ['chat_completion', { action: 'message_send', when: (body) => body.message !== undefined }],
      rateLimitInHandler: true,
      responses: { 200: { description: 'the reply (JSON, or SSE chunks when stream=true)', schema: characterCompletionSchema }, ...errors },
      handler: async (ctx) => {
        const chat = usableChat(await chats.get(ctx.params.chat_id), ctx.params.chat_id, ctx.actor);
        const speakers = await speakersOf(chat, ctx.body, ctx.actor);
        if (speakers) return completeGroupTurn({ api: deps, gateway, preflight }, ctx, chat, speakers);
        const outcome = await completeCharacter(ctx, ctx.params.chat_id, ctx.body, 'character_chats.complete');
        if (outcome.streamed) return undefined;
        return {
          status: 200,
          headers: { 'X-Completion-Id': outcome.completionId },
          body: characterCompletionBody(outcome.completionId, outcome.chatId, ctx.body.mode, outcome.result),
        };
      },
    }),
  ];
}
