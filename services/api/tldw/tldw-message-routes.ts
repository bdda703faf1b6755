/**
 * tldw_server's message routes: `/api/v1/chats/{id}/messages[/search]` and `/api/v1/messages/{id}` (get, edit,
 * pin, delete), over the same chat commands and message queries as `/api/v1/character_messages`.
 */
import type { ChatCommand } from '../../../commands/chats/chat-decider.ts';
import { runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import { createChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError, badRequest } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import { decodeImagePayload } from '../../../shared/chats/image-payload.ts';
import { MAX_MESSAGE_CONTENT } from '../../../shared/chats/chat-fields.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { ownedChat, ownedMessageChat } from './chat-access.ts';
import { tldwMessageListRoute } from './tldw-message-list-route.ts';
import { offsetPagination, toTldwMessage } from './message-view.ts';
import { namesOf } from './placeholders.ts';
import { TLDW, tldwConflict, tldwErrors, tldwMessageLocation } from './tldw-route-defaults.ts';
import { postMessageWithImage } from '../../chats/post-message-with-image.ts';
import {
  deleteMessageQuery,
  editMessageBody,
  editMessageQuery,
  getMessageQuery,
  messageListSchema,
  postMessageBody,
  searchMessagesQuery,
  tldwChatParams,
  tldwMessageParams,
  tldwMessageSchema,
} from './tldw-schemas.ts';

export function tldwMessageRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const maxMessages = deps.config.MAX_MESSAGES_PER_CHAT;
  const chatOwned = {
    authorize: async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
      await ownedChat(chats, actor, params.chat_id);
    },
  };
  const messageOwned = {
    authorize: async ({ params, actor }: { params: { message_id: string }; actor: Actor }) => {
      await ownedMessageChat(chats, messages, actor, params.message_id);
    },
  };
  /** The message as the original answers after a write: placeholders rendered. */
  const rendered = async (messageId: string, status: number, includeMetadata: boolean) => {
    const row = (await messages.byId(messageId))!;
    const chat = (await chats.get(row.chat_id))!;
    return { status, body: toTldwMessage(row, { names: namesOf(chat), includeMetadata }) };
  };

  return [
    defineRoute({
      ...TLDW,
      ...chatOwned,
      method: 'post',
      path: '/api/v1/chats/:chat_id/messages',
      operationId: 'tldwPostMessage',
      summary: 'tldw_server: add a message (role user, assistant or system; content or image_base64)',
      rateLimit: ['message_send', { action: 'blob_upload', when: (body) => !!body.image_base64 }],
      params: tldwChatParams,
      body: postMessageBody,
      bodyLimitBytes: Math.ceil((deps.config.MESSAGE_IMAGE_MAX_BYTES * 4) / 3) + 4 * 1_048_576 + 65_536,
      responses: { 201: { description: 'posted', schema: tldwMessageSchema }, ...tldwErrors },
      handler: async ({ params, body, actor }) => {
        if ((body.content ?? '').length > MAX_MESSAGE_CONTENT)
          throw badRequest('content_too_long', `Message content exceeds the maximum length of ${MAX_MESSAGE_CONTENT} characters`);
        const messageId = newId();
        const image = body.image_base64 ? decodeImagePayload(body.image_base64, undefined, deps.config.MESSAGE_IMAGE_MAX_BYTES) : null;
        const post: ChatCommand & { type: 'PostMessage' } = {
          type: 'PostMessage',
          chatId: params.chat_id,
          messageId,
          ...(body.parent_message_id ? { parentId: body.parent_message_id } : {}),
          sender: body.role,
          name: null,
          content: body.content ?? '',
          image: null,
          metadata: null,
          maxMessages,
        };
        const result = await postMessageWithImage(deps, actor, post, image, (p) => runChatCommand(deps, actor, params.chat_id, p));
        return respondAfterProjection(deps, result.position, tldwMessageLocation(messageId), () => rendered(messageId, 201, false), {
          id: messageId,
        });
      },
    }),
    tldwMessageListRoute(deps, chatOwned),
    defineRoute({
      ...TLDW,
      ...chatOwned,
      method: 'get',
      path: '/api/v1/chats/:chat_id/messages/search',
      operationId: 'tldwSearchMessages',
      summary: "tldw_server: full-text search over a chat's messages (placeholders rendered)",
      rateLimit: 'message_search',
      params: tldwChatParams,
      query: searchMessagesQuery,
      responses: { 200: { description: 'matches', schema: messageListSchema }, ...tldwErrors },
      handler: async ({ params, query, actor }) => {
        const chat = await ownedChat(chats, actor, params.chat_id);
        const found = await messages.search(params.chat_id, query.query, { limit: query.limit, offset: query.offset });
        const names = namesOf(chat);
        const pagination = { ...offsetPagination(query.limit, query.offset, found.items.length, null), has_more: found.hasMore };
        const next = found.hasMore ? query.offset + query.limit : null;
        return {
          status: 200,
          body: {
            messages: found.items.map((row) => toTldwMessage(row, { names })),
            total: found.items.length,
            limit: query.limit,
            offset: query.offset,
            pagination: { ...pagination, next_offset: next },
            has_more: found.hasMore,
            next_offset: next,
          },
        };
      },
    }),
    defineRoute({
      ...TLDW,
      ...messageOwned,
      method: 'get',
      path: '/api/v1/messages/:message_id',
      operationId: 'tldwGetMessage',
      summary: 'tldw_server: a message, its stored text (placeholders not rendered)',
      params: tldwMessageParams,
      query: getMessageQuery,
      responses: { 200: { description: 'the message', schema: tldwMessageSchema }, ...tldwErrors },
      handler: async ({ params, query }) => {
        const row = await messages.byId(params.message_id);
        if (!row || row.deleted_at) throw new AppError(404, 'not_found', `Message ${params.message_id} not found`);
        return {
          status: 200,
          body: toTldwMessage(row, { names: null, includeMetadata: query.include_metadata, includeToolCalls: query.include_tool_calls }),
        };
      },
    }),
    defineRoute({
      ...TLDW,
      ...messageOwned,
      method: 'put',
      path: '/api/v1/messages/:message_id',
      operationId: 'tldwEditMessage',
      summary: 'tldw_server: edit a message and/or pin it (expected_version required)',
      rateLimit: 'message_edit',
      params: tldwMessageParams,
      query: editMessageQuery,
      body: editMessageBody,
      responses: { 200: { description: 'edited', schema: tldwMessageSchema }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, query, body, actor }) => {
        const chatId = (await messages.chatIdOf(params.message_id))!;
        let expectedVersion: number | undefined = query.expected_version;
        let result;
        if (body.content !== undefined) {
          result = await runChatCommand(deps, actor, chatId, {
            type: 'EditMessage',
            chatId,
            messageId: params.message_id,
            content: body.content,
            maxMessages,
            expectedVersion,
          });
          expectedVersion = undefined;
        }
        if (body.pinned !== undefined)
          result = await runChatCommand(deps, actor, chatId, {
            type: 'PinMessage',
            chatId,
            messageId: params.message_id,
            pinned: body.pinned,
            ...(expectedVersion !== undefined ? { expectedVersion } : {}),
          });
        if (!result) throw badRequest('empty_edit', 'Provide either non-empty content or pinned.');
        return respondAfterProjection(
          deps,
          result.position,
          tldwMessageLocation(params.message_id),
          () => rendered(params.message_id, 200, body.pinned !== undefined),
          { id: params.message_id },
        );
      },
    }),
    defineRoute({
      ...TLDW,
      ...messageOwned,
      method: 'delete',
      path: '/api/v1/messages/:message_id',
      operationId: 'tldwDeleteMessage',
      summary: 'tldw_server: soft-delete a message (expected_version required)',
      rateLimit: 'message_delete',
      params: tldwMessageParams,
      query: deleteMessageQuery,
      responses: { 204: { description: 'deleted' }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, query, actor }) => {
        const chatId = (await messages.chatIdOf(params.message_id))!;
        const result = await runChatCommand(deps, actor, chatId, {
          type: 'DeleteMessage',
          chatId,
          messageId: params.message_id,
          expectedVersion: query.expected_version,
        });
        if (result.position) await deps.waiter.waitFor(result.position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
        return { status: 204 };
      },
    }),
  ];
}
