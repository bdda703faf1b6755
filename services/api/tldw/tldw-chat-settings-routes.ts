/**
 * tldw_server's per-chat resources beside the session: the settings resource (`GET/PUT /chats/{id}/settings`),
 * the rendered context (`GET /chats/{id}/context`) and the export, over the chat update and the chat's queries.
 */
import { runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { createChatTranscriptQueries } from '../../../queries/chat-transcript-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { chatSettingsChangesSchema } from '../../../shared/chats/chat-fields.ts';
import { AppError } from '../../../shared/errors.ts';
import { chatExportBody } from '../../chats/export-chat.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { ownedChat } from './chat-access.ts';
import { settingsChangesFor, tldwSettingsOf } from './chat-settings-map.ts';
import { acceptedSettings } from './settings-validation.ts';
import { winningSettings } from './settings-merge.ts';
import { completionTurns } from './completion-format.ts';
import { withInlineToolCalls } from './inline-tool-calls.ts';
import { withSenderNames } from './export-sender-names.ts';
import { namesOf, renderPlaceholders } from './placeholders.ts';
import { chatSessionLocation, TLDW, tldwConflict, tldwErrors } from './tldw-route-defaults.ts';
import { chatSettingsResponseSchema, exportQuery, putSettingsBody, tldwChatParams } from './tldw-schemas.ts';

/** The original reads at most this many messages into a context. */
const CONTEXT_MESSAGES = 1000;

export function tldwChatSettingsRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const transcripts = createChatTranscriptQueries(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  /** The original's context of an empty chat: the card's greeting as the one assistant turn. */
  const greetingTurn = async (characterId: string | null, names: ReturnType<typeof namesOf>) => {
    const greeting = characterId ? (await characters.get(characterId))?.first_message : undefined;
    return greeting ? [{ role: 'assistant', content: renderPlaceholders(greeting, names) }] : [];
  };
  const owned = {
    authorize: async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
      await ownedChat(chats, actor, params.chat_id);
    },
  };
  const settingsOf = async (id: string) => {
    const row = (await chats.get(id))!;
    return {
      status: 200,
      body: {
        conversation_id: row.id,
        settings: tldwSettingsOf(row.settings),
        last_modified: row.updated_at.toISOString(),
        warnings: null,
      },
    };
  };

  return [
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'get',
      path: '/api/v1/chats/:chat_id/settings',
      operationId: 'tldwGetChatSettings',
      summary: "tldw_server: the chat's settings (404 while it has none)",
      params: tldwChatParams,
      responses: { 200: { description: 'the settings', schema: chatSettingsResponseSchema }, ...tldwErrors },
      handler: async ({ params }) => {
        const found = await settingsOf(params.chat_id);
        if (Object.keys(found.body.settings).length === 0) throw new AppError(404, 'not_found', 'Chat settings not found');
        return found;
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'put',
      path: '/api/v1/chats/:chat_id/settings',
      operationId: 'tldwPutChatSettings',
      summary: "tldw_server: merge keys into the chat's settings (a null removes one); bumps the chat's version",
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: tldwChatParams,
      body: putSettingsBody,
      responses: { 200: { description: 'the merged settings', schema: chatSettingsResponseSchema }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, body, actor }) => {
        const chat = await ownedChat(chats, actor, params.chat_id);
        const winners = winningSettings(tldwSettingsOf(chat.settings), acceptedSettings(body.settings), new Date());
        const changes = chatSettingsChangesSchema.parse(settingsChangesFor(chat.settings, winners));
        const result = await runChatCommand(
          deps,
          actor,
          chat.id,
          { type: 'UpdateChat', chatId: chat.id, changes: { settings: changes } },
          chat.version,
        );
        return respondAfterProjection(deps, result.position, `${chatSessionLocation(chat.id)}/settings`, () => settingsOf(chat.id), {
          id: chat.id,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'get',
      path: '/api/v1/chats/:chat_id/context',
      operationId: 'tldwGetChatContext',
      summary: 'tldw_server: the conversation as Chat Completions turns, placeholders rendered',
      params: tldwChatParams,
      responses: { 200: { description: 'the context' }, ...tldwErrors },
      handler: async ({ params, actor }) => {
        const chat = await ownedChat(chats, actor, params.chat_id);
        const page = await messages.pathOffsetPage(chat.id, { limit: CONTEXT_MESSAGES, offset: 0, includeDeleted: false });
        const names = namesOf(chat);
        const turns =
          page.items.length > 0
            ? completionTurns(page.items, names, { systemPrompt: null, includeMessageIds: false })
            : await greetingTurn(chat.character_id, names);
        return { status: 200, body: { character_name: chat.character_id ? chat.character_name : null, messages: turns } };
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned,
      method: 'get',
      path: '/api/v1/chats/:chat_id/export',
      operationId: 'tldwExportChat',
      summary: 'tldw_server: export the conversation (json, markdown or text; any other format is json)',
      params: tldwChatParams,
      query: exportQuery,
      responses: { 200: { description: 'the export' }, ...tldwErrors },
      handler: async ({ params, query, actor }) => {
        const chat = await ownedChat(chats, actor, params.chat_id);
        const format = query.format === 'markdown' || query.format === 'text' ? query.format : 'json';
        const entries = await transcripts.transcript(chat.id);
        return {
          status: 200,
          body: withSenderNames(
            withInlineToolCalls(chatExportBody(chat, entries, { format, page: query.page, page_size: query.page_size })),
            entries,
          ),
        };
      },
    }),
  ];
}
