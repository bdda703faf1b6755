/**
 * tldw_server's message listing, `GET /api/v1/chats/{id}/messages`: the conversation oldest first by offset,
 * placeholders rendered unless `render_placeholders=false`, with the card as `character_context`, or as
 * Chat Completions turns with `format_for_completions=true`.
 */
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { ownedChat } from './chat-access.ts';
import { characterContextOf, characterSystemMessage, completionTurns } from './completion-format.ts';
import { offsetPagination, toTldwMessage } from './message-view.ts';
import { namesOf } from './placeholders.ts';
import { TLDW, tldwErrors } from './tldw-route-defaults.ts';
import { listMessagesQuery, messageListSchema, tldwChatParams } from './tldw-schemas.ts';

export function tldwMessageListRoute(
  deps: ApiDependencies,
  guard: { authorize: (ctx: { params: { chat_id: string }; actor: Actor }) => Promise<void> },
): RouteDefinition {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  return defineRoute({
    ...TLDW,
    ...guard,
    method: 'get',
    path: '/api/v1/chats/:chat_id/messages',
    operationId: 'tldwListMessages',
    summary: 'tldw_server: the conversation by offset (rendered placeholders, character context, completion format)',
    params: tldwChatParams,
    query: listMessagesQuery,
    responses: { 200: { description: 'a page of messages', schema: messageListSchema }, ...tldwErrors },
    handler: async ({ params, query, actor }) => {
      const chat = await ownedChat(chats, actor, params.chat_id);
      const [page, character] = await Promise.all([
        messages.pathOffsetPage(chat.id, { limit: query.limit, offset: query.offset, includeDeleted: query.include_deleted }),
        chat.character_id ? characters.get(chat.character_id) : undefined,
      ]);
      const names = namesOf(chat);
      const pagination = offsetPagination(query.limit, query.offset, page.items.length, page.total);
      const paging = {
        total: page.total,
        limit: query.limit,
        offset: query.offset,
        pagination,
        has_more: pagination.has_more,
        next_offset: pagination.next_offset,
      };
      if (query.format_for_completions) {
        const wantsSystem = query.include_character_context && query.offset === 0 && character !== undefined;
        const metadata = query.include_metadata
          ? Object.fromEntries(page.items.filter((r) => r.metadata).map((r) => [r.id, r.metadata]))
          : undefined;
        return {
          status: 200,
          body: {
            character_name: character?.name ?? null,
            character_id: chat.character_id,
            chat_id: chat.id,
            messages: completionTurns(page.items, names, {
              systemPrompt: wantsSystem ? characterSystemMessage(character, names) : null,
              includeMessageIds: query.include_message_ids,
            }),
            ...paging,
            usage_instructions: 'Use these messages with POST /api/v1/chat/completions',
            ...(metadata ? { metadata_extra: metadata } : {}),
          },
        };
      }
      const view = {
        names: query.render_placeholders ? names : null,
        includeMetadata: query.include_metadata,
        includeToolCalls: query.include_tool_calls,
      };
      return {
        status: 200,
        body: {
          messages: page.items.map((row) => toTldwMessage(row, view)),
          ...paging,
          ...(query.include_character_context && character ? { character_context: characterContextOf(character, names) } : {}),
        },
      };
    },
  });
}
