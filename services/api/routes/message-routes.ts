import type { ChatCommand } from '../../../commands/chats/chat-decider.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { postChatMessage, runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import type { InlinePostedRow } from '../../../projections/chats-projection.ts';
import { chatPostInline } from '../../../projections/inline-chat-post.ts';
import { createChatMessageQueries, toMessageView } from '../../../queries/chat-messages-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { decodeImagePayload } from '../../../shared/chats/image-payload.ts';
import { notFound } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import { visibleChat } from './chat-routes.ts';
import { decodeCursor, encodeCursor } from './message-cursor.ts';
import { messageViewRoutes } from './message-view-routes.ts';
import { postMessageWithImage } from '../../chats/post-message-with-image.ts';
import { summaryRequestDeps } from '../../memory/summary-deps.ts';
import { createMemoryTrigger } from '../../memory/memory-trigger.ts';
import { deleteRoute, restoreRoute } from './resource-lifecycle-routes.ts';
import {
  chatParams,
  editMessageBody,
  editMessageQuery,
  listMessagesQuery,
  messageListSchema,
  messageParams,
  messageViewSchema,
  postMessageBody,
  searchQuery,
  searchResultSchema,
} from './chat-schemas.ts';

const BASE = '/api/v1/character_messages';
export const messageLocation = (id: string) => `${BASE}/messages/${id}`;

const errors = {
  400: { description: 'invalid', schema: problemSchema },
  403: { description: "another user's, or over a limit", schema: problemSchema },
  404: { description: 'missing', schema: problemSchema },
};
const conflictResponse = { 409: { description: 'version conflict', schema: problemSchema } };

export function messageRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const maxMessages = deps.config.MAX_MESSAGES_PER_CHAT;
  const { queue, providers } = deps.completions;
  const memory = { db: deps.db, readSchema: deps.readSchema, queue };
  const summarise = createMemoryTrigger(
    summaryRequestDeps({ ...memory, eventStore: deps.eventStore, cache: deps.stateCache, providers }, deps.config),
    { ...memory, model: deps.config.MEMORY_EMBEDDING_MODEL ?? null },
    deps.logger,
  );

  const family = {
    deps,
    path: `${BASE}/messages/:message_id`,
    params: messageParams,
    id: (p: { message_id: string }) => p.message_id,
    tags: ['messages'],
    location: messageLocation,
    errors,
  };
  const current = async (id: string, status: number) => {
    const row = (await messages.byId(id))!;
    return { status, body: toMessageView(row), headers: { ETag: `W/"${row.version}"` } };
  };
  const postInline = deps.config.INLINE_PROJECTIONS ? chatPostInline(deps.readSchema) : undefined;
  type PostResult = Awaited<ReturnType<typeof postChatMessage<InlinePostedRow | undefined>>>;
  const postedView = (row: InlinePostedRow) => ({
    status: 201,
    body: toMessageView({ ...row, alternate_count: row.earlier_siblings + 1, alternate_index: row.earlier_siblings }),
    headers: { ETag: `W/"${row.version}"`, Location: messageLocation(row.id) },
  });
  /** The chat a message belongs to (routing only: the chat's own stream decides existence and ownership). */
  const chatOf = async (messageId: string) => {
    const chatId = await messages.chatIdOf(messageId);
    if (!chatId) throw notFound('message', messageId);
    return chatId;
  };
  /** Runs a command on the message's chat and answers with the message once it is readable. */
  /** `memoryCheck`: the text changed, so memory's work (a vector of the new text) may be due once it is projected. */
  const actor = async (ctx: Actor, chatId: string, cmd: ChatCommand, messageId: string, status = 200, memoryCheck = false) => {
    const result = await runChatCommand(deps, ctx, chatId, cmd);
    const answer = async () => {
      const r = await current(messageId, status);
      if (memoryCheck) summarise(ctx, chatId);
      return r;
    };
    return respondAfterProjection(deps, result.position, messageLocation(messageId), answer, {
      id: messageId,
      chat_version: result.revision,
    });
  };

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/chats/:chat_id/messages`,
      operationId: 'postMessage',
      summary: 'Post a message (after the active path by default, or under any message as an alternate or branch); optional image',
      tags: ['messages'],
      auth: 'user',
      rateLimit: ['message_send', { action: 'blob_upload', when: (body) => body.image_base64 !== undefined }],
      params: chatParams,
      body: postMessageBody,
      // base64 of the largest image plus the largest content, with room for JSON escapes
      bodyLimitBytes: Math.ceil((deps.config.MESSAGE_IMAGE_MAX_BYTES * 4) / 3) + 4 * 1_048_576 + 65_536,
      responses: {
        201: { description: 'posted', schema: messageViewSchema },
        202: { description: 'accepted; not yet readable' },
        413: {
          description: "image too large (`image_too_large`), or it would pass the chat owner's storage quota (`quota_exceeded`)",
          schema: problemSchema,
        },
        ...errors,
      },
      handler: async ({ params, body, actor: ctx }) => {
        const image = body.image_base64
          ? decodeImagePayload(body.image_base64, body.image_mime_type, deps.config.MESSAGE_IMAGE_MAX_BYTES)
          : null;
        const messageId = newId();
        const post: ChatCommand & { type: 'PostMessage' } = {
          type: 'PostMessage',
          chatId: params.chat_id,
          messageId,
          ...(body.parent_message_id !== undefined ? { parentId: body.parent_message_id } : {}),
          sender: (body.sender ?? body.role)!,
          name: body.name ?? null,
          content: body.content,
          image: null,
          metadata: body.metadata ?? null,
          maxMessages,
        };
        const result = await postMessageWithImage<PostResult>(deps, ctx, post, image, (p) =>
          postInline ? postChatMessage(deps, ctx, p, postInline) : runChatCommand(deps, ctx, params.chat_id, p),
        );
        // Projected in the append's own commit: the answer is the row it wrote, no wait and no read.
        if (result.inline) {
          if (result.position) deps.pendingOwnWrites.note(ctx.userId, result.position);
          summarise(ctx, params.chat_id);
          return postedView(result.inline);
        }
        return respondAfterProjection(
          deps,
          result.position,
          messageLocation(messageId),
          async () => {
            const r = await current(messageId, 201);
            summarise(ctx, params.chat_id);
            return { ...r, headers: { ...r.headers, Location: messageLocation(messageId) } };
          },
          { id: messageId, chat_version: result.revision },
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/chats/:chat_id/messages`,
      operationId: 'listMessages',
      summary: 'The conversation (active path) or, with view=tree, every message; cursor pagination; order=desc for the latest first',
      tags: ['messages'],
      auth: 'user',
      params: chatParams,
      query: listMessagesQuery,
      responses: { 200: { description: 'a page of messages', schema: messageListSchema }, ...errors },
      handler: async ({ params, query, actor }) => {
        const after = query.cursor !== undefined ? decodeCursor(query.cursor, query.view, query.order) : undefined;
        const page = { after, order: query.order, limit: query.limit };
        const [chat, found, counted] = await Promise.all([
          chats.get(params.chat_id),
          query.view === 'path'
            ? messages.pathPage(params.chat_id, page)
            : messages.treePage(params.chat_id, { ...page, includeDeleted: query.include_deleted }),
          query.view === 'tree' && query.include_deleted ? messages.countAll(params.chat_id) : undefined,
        ]);
        const visible = visibleChat(chat, params.chat_id, actor);
        const total = 'total' in found ? found.total : (counted ?? visible.message_count);
        const last = found.items[found.items.length - 1];
        const next = found.hasMore && last ? encodeCursor(query.view, query.order, query.view === 'path' ? last.depth : last.seq) : null;
        return {
          status: 200,
          body: {
            items: found.items.map(toMessageView),
            view: query.view,
            order: query.order,
            limit: query.limit,
            total,
            has_more: found.hasMore,
            next_cursor: next,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/chats/:chat_id/messages/search`,
      operationId: 'searchMessages',
      summary: "Full-text search over a chat's messages (every branch), ranked, with <mark>ed snippets",
      tags: ['messages'],
      auth: 'user',
      rateLimit: 'message_search',
      params: chatParams,
      query: searchQuery,
      responses: { 200: { description: 'matches, best first', schema: searchResultSchema }, ...errors },
      handler: async ({ params, query, actor }) => {
        const text = (query.q ?? query.query)!;
        const [chat, found] = await Promise.all([
          chats.get(params.chat_id),
          messages.search(params.chat_id, text, { limit: query.limit, offset: query.offset }),
        ]);
        visibleChat(chat, params.chat_id, actor);
        return {
          status: 200,
          body: {
            items: found.items.map((row) => ({ ...toMessageView(row), rank: Number(row.rank), snippet: row.snippet })),
            query: text,
            limit: query.limit,
            offset: query.offset,
            has_more: found.hasMore,
            next_offset: found.hasMore ? query.offset + found.items.length : null,
          },
        };
      },
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/messages/:message_id`,
      operationId: 'editMessage',
      summary:
        'Edit a message (optimistic: expected_version); as_alternate=true keeps the old text and adds the edit as a new selected alternate',
      tags: ['messages'],
      auth: 'user',
      rateLimit: 'message_edit',
      params: messageParams,
      query: editMessageQuery,
      body: editMessageBody,
      responses: {
        200: { description: 'edited', schema: messageViewSchema },
        201: { description: 'the new alternate', schema: messageViewSchema },
        ...conflictResponse,
        ...errors,
      },
      handler: async ({ params, query, body, actor: ctx }) => {
        const chatId = await chatOf(params.message_id);
        const base = {
          type: 'EditMessage' as const,
          chatId,
          messageId: params.message_id,
          content: body.content,
          maxMessages,
          ...(query.expected_version !== undefined ? { expectedVersion: query.expected_version } : {}),
        };
        if (!query.as_alternate) return actor(ctx, chatId, base, params.message_id, 200, true);
        const alternateId = newId();
        const response = await actor(ctx, chatId, { ...base, asAlternate: { messageId: alternateId } }, alternateId, 201, true);
        return { ...response, headers: { ...response.headers, Location: messageLocation(alternateId) } };
      },
    }),
    deleteRoute(family, {
      operationId: 'deleteMessage',
      summary: 'Soft-delete a message (restorable); the conversation shows the next alternate, or skips it',
      rateLimit: 'message_delete',
      remove: async ({ params, query, actor: ctx }) => {
        const chatId = await chatOf(params.message_id);
        return runChatCommand(deps, ctx, chatId, {
          type: 'DeleteMessage',
          chatId,
          messageId: params.message_id,
          ...(query.expected_version !== undefined ? { expectedVersion: query.expected_version } : {}),
        });
      },
      // A message's version is its own, not the chat's revision.
      version: (result) => result.events[0]?.data.messageVersion as number,
    }),
    restoreRoute(family, {
      operationId: 'restoreMessage',
      summary: 'Restore a deleted message',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      optimistic: true,
      responses: { 200: { description: 'restored (or was not deleted)', schema: messageViewSchema }, ...conflictResponse },
      restore: async ({ params, query, actor: ctx }) => {
        const chatId = await chatOf(params.message_id);
        return runChatCommand(deps, ctx, chatId, {
          type: 'RestoreMessage',
          chatId,
          messageId: params.message_id,
          maxMessages,
          ...(query.expected_version !== undefined ? { expectedVersion: query.expected_version } : {}),
        });
      },
      view: current,
      accepted: (id, result) => ({ id, chat_version: result.revision }),
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/messages/:message_id/select`,
      operationId: 'selectMessage',
      summary: 'Make this message the shown alternate (swipe), on any message of the chat; the conversation follows its branch',
      tags: ['messages'],
      auth: 'user',
      rateLimit: 'message_edit',
      params: messageParams,
      responses: {
        200: { description: 'selected', schema: messageViewSchema },
        409: { description: 'a deleted message above keeps it off the conversation', schema: problemSchema },
        ...errors,
      },
      handler: async ({ params, actor: ctx }) => {
        const chatId = await chatOf(params.message_id);
        return actor(ctx, chatId, { type: 'SelectMessage', chatId, messageId: params.message_id }, params.message_id);
      },
    }),
    ...messageViewRoutes(deps),
  ];
}
