/**
 * tldw_server's chat session routes (`/api/v1/chats/…`): create, list, get, update, delete, restore, over the
 * same chat workflows and queries as `/api/v1/character_chats`; only the shapes differ.
 */
import { createChatSession } from '../../../commands/chats/chat-session-create.ts';
import { deleteChat, restoreChat, runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import { eraseChat } from '../../../commands/chats/chat-erase.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { chatReadModelErasure } from '../../../projections/chat-erasure.ts';
import { badRequest } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { chatSessionNotFound, ownedChat } from './chat-access.ts';
import { characterIdOf, createRequestFingerprint } from './create-request-fingerprint.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { toChatSession } from './chat-session-view.ts';
import { offsetPagination } from './message-view.ts';
import { chatSessionLocation, TLDW, tldwConflict, tldwErrors } from './tldw-route-defaults.ts';
import {
  chatSessionListSchema,
  chatSessionSchema,
  createSessionBody,
  createSessionQuery,
  deleteSessionQuery,
  getSessionQuery,
  listSessionsQuery,
  optionalVersionQuery,
  tldwChatParams,
  updateSessionBody,
  updateSessionQuery,
} from './tldw-schemas.ts';

const BASE = '/api/v1/chats';

export function tldwChatSessionRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const session = async (id: string, status: number, headers: Record<string, string> = {}) => ({
    status,
    body: toChatSession((await chats.get(id))!),
    headers,
  });
  const owned = (options: { includeDeleted?: boolean } = {}) => ({
    authorize: async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
      await ownedChat(chats, actor, params.chat_id, options);
    },
  });

  return [
    defineRoute({
      ...TLDW,
      method: 'post',
      path: BASE,
      operationId: 'tldwCreateChatSession',
      summary: 'tldw_server: create a chat (optional client id, character, greeting with seed_first_message=true)',
      rateLimit: 'chat_create',
      query: createSessionQuery,
      body: createSessionBody,
      responses: {
        201: { description: 'created', schema: chatSessionSchema },
        200: { description: 'the same client id and request again: the same chat', schema: chatSessionSchema },
        ...tldwErrors,
        ...tldwConflict,
      },
      handler: async ({ body, query, actor }) => {
        const chatId = body.id ?? newId();
        const greetingIndex =
          query.greeting_strategy === 'alternate_random'
            ? ('random' as const)
            : query.greeting_strategy === 'alternate_index'
              ? (query.alternate_index ?? 0) + 1
              : undefined;
        const created = await createChatSession(deps, actor, {
          chatId,
          clientRequest: body.id ? createRequestFingerprint(body, query) : null,
          characterId: characterIdOf(body),
          ...(body.title ? { title: body.title } : {}),
          ...(body.state ? { state: body.state } : {}),
          seedGreeting: query.seed_first_message,
          ...(query.seed_first_message && greetingIndex !== undefined ? { greetingIndex } : {}),
        });
        // A replay answers once the chat is readable: a concurrent create that won may not be projected yet.
        if (created.replayed)
          return respondAfterProjection(
            deps,
            await deps.eventStore.headPosition(),
            chatSessionLocation(chatId),
            () => session(chatId, 200, { 'Idempotency-Replayed': 'true' }),
            { id: chatId },
          );
        const headers: Record<string, string> = { Location: chatSessionLocation(chatId) };
        if (query.seed_first_message) headers['X-Chat-Seed-Status'] = created.seeded ? 'ok' : 'no_greeting';
        return respondAfterProjection(deps, created.result.position, chatSessionLocation(chatId), () => session(chatId, 201, headers), {
          id: chatId,
          version: created.result.revision,
        });
      },
    }),
    defineRoute({
      ...TLDW,
      method: 'get',
      path: BASE,
      operationId: 'tldwListChatSessions',
      summary: "tldw_server: the caller's chats, newest activity first",
      query: listSessionsQuery,
      responses: { 200: { description: 'a page of chats', schema: chatSessionListSchema }, ...tldwErrors },
      handler: async ({ query, actor }) => {
        if (query.character_scope === 'non_character' && query.character_id)
          throw badRequest('invalid_scope', 'character_scope=non_character cannot be combined with character_id');
        const { items, total } = await chats.list(actor.userId, {
          ...(query.character_id ? { characterId: query.character_id } : {}),
          ...(query.character_scope !== 'all' ? { withCharacter: query.character_scope === 'character' } : {}),
          limit: query.limit,
          offset: query.offset,
          deleted: query.deleted_only ? 'only' : query.include_deleted ? 'include' : 'exclude',
        });
        const pagination = offsetPagination(query.limit, query.offset, items.length, total);
        return {
          status: 200,
          body: {
            chats: items.map((row) =>
              toChatSession(row, { includeSettings: query.include_settings, includeMessageCount: query.include_message_counts }),
            ),
            total,
            limit: query.limit,
            offset: query.offset,
            pagination,
            has_more: pagination.has_more,
            next_offset: pagination.next_offset,
          },
        };
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned(),
      method: 'get',
      path: `${BASE}/:chat_id`,
      operationId: 'tldwGetChatSession',
      summary: 'tldw_server: a chat (with its settings when include_settings=true)',
      params: tldwChatParams,
      query: getSessionQuery,
      responses: { 200: { description: 'the chat', schema: chatSessionSchema }, ...tldwErrors },
      handler: async ({ params, query, actor }) => ({
        status: 200,
        body: toChatSession(await ownedChat(chats, actor, params.chat_id), { includeSettings: query.include_settings }),
      }),
    }),
    defineRoute({
      ...TLDW,
      ...owned(),
      method: 'put',
      path: `${BASE}/:chat_id`,
      operationId: 'tldwUpdateChatSession',
      summary: 'tldw_server: change title, rating, state (expected_version required)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: tldwChatParams,
      query: updateSessionQuery,
      body: updateSessionBody,
      responses: { 200: { description: 'updated', schema: chatSessionSchema }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, query, body, actor }) => {
        const result = await runChatCommand(
          deps,
          actor,
          params.chat_id,
          { type: 'UpdateChat', chatId: params.chat_id, changes: body },
          query.expected_version,
        );
        return respondAfterProjection(deps, result.position, chatSessionLocation(params.chat_id), () => session(params.chat_id, 200), {
          id: params.chat_id,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned({ includeDeleted: true }),
      method: 'delete',
      path: `${BASE}/:chat_id`,
      operationId: 'tldwDeleteChatSession',
      summary: 'tldw_server: move a chat to the trash, or with hard_delete=true erase a trashed chat for good',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: tldwChatParams,
      query: deleteSessionQuery,
      responses: { 204: { description: 'deleted' }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, query, actor }) => {
        const row = await ownedChat(chats, actor, params.chat_id, { includeDeleted: true });
        if (query.hard_delete) {
          if (!row.deleted_at) throw badRequest('not_in_trash', 'Chat must be in trash before permanent delete.');
          await eraseChat(
            {
              ...deps,
              readModels: chatReadModelErasure(deps.db, deps.readSchema),
              settleTimeoutMs: deps.config.READ_YOUR_WRITES_TIMEOUT_MS,
            },
            actor,
            params.chat_id,
          );
          return { status: 204 };
        }
        if (row.deleted_at) throw chatSessionNotFound(params.chat_id);
        const result = await deleteChat(deps, actor, params.chat_id, query.expected_version);
        if (result.position) await deps.waiter.waitFor(result.position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...TLDW,
      ...owned({ includeDeleted: true }),
      method: 'post',
      path: `${BASE}/:chat_id/restore`,
      operationId: 'tldwRestoreChatSession',
      summary: 'tldw_server: restore a trashed chat (a live chat answers as it is)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: tldwChatParams,
      query: optionalVersionQuery,
      responses: { 200: { description: 'restored', schema: chatSessionSchema }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, query, actor }) => {
        const result = await restoreChat(deps, actor, params.chat_id, query.expected_version);
        return respondAfterProjection(deps, result.position, chatSessionLocation(params.chat_id), () => session(params.chat_id, 200), {
          id: params.chat_id,
          version: result.revision,
        });
      },
    }),
  ];
}
