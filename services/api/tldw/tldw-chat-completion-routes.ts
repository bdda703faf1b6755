/**
 * tldw_server's completion helpers on a chat: `completions` (the prepared messages, no provider call),
 * `complete-v2` (the reply, saved or streamed) and the deprecated `complete`, over the native prompt
 * assembly and completion use case.
 */
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatQueries, type ChatRow } from '../../../queries/chats-queries.ts';
import { createCompletionQueries } from '../../../queries/completion-queries.ts';
import type { CharacterTarget } from '../../../shared/completions/completion-job.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError, badRequest } from '../../../shared/errors.ts';
import { parseEmoteDirectives } from '../../../shared/chats/emote-directives.ts';
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
import { completeV2Body, prepareBody, tldwChatParams, type PrepareBody } from './tldw-schemas.ts';
import { createTurnSpeakers, type TurnSpeaker } from './chat-turn-speaker.ts';
import { createAutoSummaryRecorder } from './auto-summary-record.ts';

/** The original's prompt layout for this turn (services/completions/tldw-prompt-layout.ts). */
function tldwLayoutOf(body: PrepareBody, speaker: TurnSpeaker): NonNullable<CharacterTarget['tldwLayout']> {
  return {
    includeCharacterContext: body.include_character_context,
    continueAsUser: body.continue_as_user === true,
    impersonateUser: body.impersonate_user === true,
    forceNarrate: body.force_narrate === true,
    participantCount: speaker.participantCount,
    primaryName: speaker.primaryName,
  };
}

const DEPRECATED_BODY = 'Request body is deprecated and must be omitted. Use /{chat_id}/complete-v2 or /{chat_id}/completions.';

export function tldwChatCompletionRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const recordAutoSummary = createAutoSummaryRecorder(deps);
  const speakerOf = createTurnSpeakers(characters, createCompletionQueries(deps.db, deps.readSchema));
  /** The turn's sampling defaults: the speaking character's, then the chat settings' override (character-generation-defaults.ts). */
  const defaultsOf = async (chat: ChatRow, speakerId: string) => {
    const row = await characters.get(speakerId);
    return generationDefaultsOf(row?.extensions ?? {}, tldwSettingsOf(chat.settings));
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
        const speaker = await speakerOf(chat, actor, body.directed_character_id);
        const request = characterCompleteBody.parse({
          mode: 'normal',
          ...(body.append_user_message ? { message: body.append_user_message } : {}),
        });
        const target = { ...characterTarget(chat.id, speaker.id, request, false), tldwLayout: tldwLayoutOf(body, speaker) };
        await prompts.check(target, actor);
        await consumeRateLimit();
        await recordAutoSummary(chat, actor);
        const built = await prompts.build(target, actor, previewModel(providers, {}), { dryRun: true });
        const turns = built.messages.map((m) => ({ role: m.role, content: m.content }));
        const page = turns.slice(body.offset, body.offset + body.limit);
        return {
          status: 200,
          body: {
            chat_id: chat.id,
            character_id: speaker.id,
            character_name: speaker.name,
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
        const chat = await ownedChat(chats, ctx.actor, ctx.params.chat_id);
        if (!chat.character_id) throw badRequest('chat_without_character', `Chat ${chat.id} has no character`);
        const speaker = await speakerOf(chat, ctx.actor, body.directed_character_id);
        const given = (value: unknown) => value !== null && value !== undefined;
        const sampling = { ...(await defaultsOf(chat, speaker.id)) };
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
        // The auto-summary is recorded once the request is accepted (checked, rate limit spent), before the job runs:
        // the original records it while building the prompt; a refused request changes nothing.
        const accepted = {
          ...ctx,
          consumeRateLimit: async () => {
            await ctx.consumeRateLimit();
            await recordAutoSummary(chat, ctx.actor);
          },
        };
        const outcome = await complete(accepted, chat.id, request, 'tldw.chats.complete-v2', {
          speakerId: speaker.id,
          tldwLayout: tldwLayoutOf(body, speaker),
        });
        if (outcome.streamed) return undefined;
        const { result } = outcome;
        const saved = result.saved;
        const turnIds = saved?.turnMessageIds ?? [];
        // The reply as stored: without its `Emote:` lines, its mood the last state they set (completion-runner.ts).
        const reply = parseEmoteDirectives(result.fullText ?? result.completion.choices[0]?.message.content ?? '');
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
            assistant_content: reply.text,
            speaker_character_id: outcome.characterId,
            speaker_character_name: speaker.name,
            mood_label: reply.mood,
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
