/**
 * tldw_server's completion helpers on a chat: `completions` (the prepared messages, no provider call),
 * `complete-v2` (the reply, saved or streamed) and the deprecated `complete`, over the native prompt
 * assembly and completion use case.
 */
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError, badRequest } from '../../../shared/errors.ts';
import { createCharacterCompletion } from '../../completions/character-completion.ts';
import { createCharacterPrompts } from '../../completions/character-prompt.ts';
import { characterTarget, previewModel } from '../../completions/completion-request.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { characterCompleteBody } from '../routes/completion-schemas.ts';
import { generationDefaultsOf } from './character-generation-defaults.ts';
import { tldwSettingsOf } from './chat-settings-map.ts';
import { ownedChat } from './chat-access.ts';
import { TLDW, tldwErrors } from './tldw-route-defaults.ts';
import { completeV2Body, prepareBody, tldwChatParams } from './tldw-schemas.ts';

const DEPRECATED_BODY = 'Request body is deprecated and must be omitted. Use /{chat_id}/complete-v2 or /{chat_id}/completions.';

export function tldwChatCompletionRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  /** The chat's sampling defaults: its character's, then its settings' override (character-generation-defaults.ts). */
  const defaultsOf = async (chatId: string) => {
    const chat = await chats.get(chatId);
    const row = chat?.character_id ? await characters.get(chat.character_id) : undefined;
    return generationDefaultsOf(row?.extensions ?? {}, chat ? tldwSettingsOf(chat.settings) : {});
  };
  const prompts = createCharacterPrompts(deps.db, deps.readSchema, deps.cpu, deps.memoryEmbeddings ?? null);
  const complete = createCharacterCompletion(deps);
  const { providers } = deps.completions;
  const owned = {
    authorize: async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
      await ownedChat(chats, actor, params.chat_id);
    },
  };

  return [
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'post',
      path: '/api/v1/chats/:chat_id/completions',
      operationId: 'tldwPrepareCompletion',
      summary: 'tldw_server: the messages a completion of this chat would send (no provider call)',
      params: tldwChatParams,
      body: prepareBody,
      // the original counts a prepare against its per-minute completion limit (the prompt is assembled as for one)
      rateLimit: 'chat_completion',
      rateLimitInHandler: true,
      responses: { 200: { description: 'the prepared messages' }, ...tldwErrors },
      handler: async ({ params, body, actor, consumeRateLimit }) => {
        const chat = await ownedChat(chats, actor, params.chat_id);
        if (!chat.character_id) throw badRequest('chat_without_character', `Chat ${chat.id} has no character`);
        const request = characterCompleteBody.parse({
          mode: 'normal',
          ...(body.append_user_message ? { message: body.append_user_message } : {}),
        });
        const target = characterTarget(chat.id, chat.character_id, request, false);
        await prompts.check(target, actor);
        await consumeRateLimit();
        const built = await prompts.build(target, actor, previewModel(providers, {}), { dryRun: true });
        const turns = built.prompt.messages
          .filter((m) => body.include_character_context || m.role !== 'system')
          .map((m) => ({ role: m.role, content: m.content }));
        const page = turns.slice(body.offset, body.offset + body.limit);
        return {
          status: 200,
          body: {
            chat_id: chat.id,
            character_id: chat.character_id,
            character_name: chat.character_name,
            messages: page,
            total: turns.length,
            usage_instructions: 'Use these messages with POST /api/v1/chat/completions',
          },
        };
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'post',
      path: '/api/v1/chats/:chat_id/complete-v2',
      operationId: 'tldwCompleteV2',
      summary: "tldw_server: the character's reply (saved unless save_to_db=false; SSE with stream=true)",
      params: tldwChatParams,
      body: completeV2Body,
      rateLimit: ['chat_completion', { action: 'message_send', when: (body) => !!body.append_user_message }],
      rateLimitInHandler: true,
      responses: { 200: { description: 'the reply, or SSE chunks with stream=true' }, ...tldwErrors },
      handler: async (ctx) => {
        const { body } = ctx;
        const given = (value: unknown) => value !== null && value !== undefined;
        const sampling = { ...(await defaultsOf(ctx.params.chat_id)) };
        if (given(body.temperature)) sampling.temperature = body.temperature!;
        if (given(body.top_p)) sampling.top_p = body.top_p!;
        if (given(body.repetition_penalty)) sampling.repetition_penalty = body.repetition_penalty!;
        if (given(body.stop)) sampling.stop = body.stop!;
        const request = characterCompleteBody.parse({
          mode: 'normal',
          stream: body.stream,
          ...(body.append_user_message ? { message: body.append_user_message } : {}),
          ...(body.provider ? { provider: body.provider } : {}),
          ...(body.model ? { model: body.model } : {}),
          ...sampling,
          ...(body.max_tokens ? { max_tokens: body.max_tokens } : {}),
          ...(body.save_to_db !== null && body.save_to_db !== undefined ? { save_to_db: body.save_to_db } : {}),
        });
        const outcome = await complete(ctx, ctx.params.chat_id, request, 'tldw.chats.complete-v2');
        if (outcome.streamed) return undefined;
        const { result } = outcome;
        const saved = result.saved;
        const turnIds = saved?.turnMessageIds ?? [];
        return {
          status: 200,
          body: {
            chat_id: outcome.chatId,
            character_id: outcome.characterId,
            provider: result.provider,
            model: result.model,
            saved: saved !== null,
            user_message_id: body.append_user_message && turnIds.length > 0 ? turnIds[0] : null,
            assistant_message_id: saved?.replyMessageId ?? null,
            assistant_content: result.fullText ?? result.completion.choices[0]?.message.content ?? '',
            speaker_character_id: outcome.characterId,
            speaker_character_name: (await chats.get(outcome.chatId))?.character_name ?? null,
            mood_label: null,
            mood_confidence: null,
            mood_topic: null,
            lorebook_diagnostics: null,
          },
        };
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'post',
      path: '/api/v1/chats/:chat_id/complete',
      operationId: 'tldwCompleteDeprecated',
      summary: 'tldw_server (deprecated): acknowledges the chat; use complete-v2 or completions',
      // As in the original, a call counts against the per-minute completion limit although nothing is generated.
      rateLimit: 'chat_completion',
      rateLimitInHandler: true,
      params: tldwChatParams,
      responses: { 200: { description: '{status: "ok", chat_id}' }, ...tldwErrors },
      handler: async ({ params, req, consumeRateLimit }) => {
        const sent = req.body as unknown;
        if (sent !== undefined && sent !== null && !(typeof sent === 'object' && Object.keys(sent).length === 0))
          throw new AppError(422, 'deprecated_body', DEPRECATED_BODY);
        await consumeRateLimit();
        const successor = `/api/v1/chats/${params.chat_id}/complete-v2`;
        const sunset = new Date(Date.now() + 90 * 86_400_000).toUTCString();
        return {
          status: 200,
          body: { status: 'ok', chat_id: params.chat_id },
          headers: { Deprecation: 'true', Sunset: sunset, Link: `<${successor}>; rel="successor-version"` },
        };
      },
    }),
  ];
}
