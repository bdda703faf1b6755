import { z } from 'zod';
import { forkChat } from '../../../commands/chats/chat-fork.ts';
import { importSillyTavernChat } from '../../../commands/chats/chat-import.ts';
import { deleteChat, restoreChat, runChatCommand, startChat } from '../../../commands/chats/chat-workflows.ts';
import { startGroupChat } from '../../../commands/chats/group-chat-start.ts';
import { createChatExportLines } from '../../../queries/chat-export-lines.ts';
import { createChatTranscriptQueries } from '../../../queries/chat-transcript-queries.ts';
import { chatAsOf } from '../../../queries/resource-as-of.ts';
import { createChatQueries, toChatView, type ChatRow } from '../../../queries/chats-queries.ts';
import { notFound } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { contentDispositionHeader } from '../http/file-response.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { chatImportInline } from '../../../projections/inline-chat-import.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import { chatExportBody, sillyTavernChatExport } from '../../chats/export-chat.ts';
import { asOfOrCurrent, deleteRoute, restoreRoute } from './resource-lifecycle-routes.ts';
import {
  chatListSchema,
  chatParams,
  chatViewSchema,
  createChatBody,
  expectedVersionQuery,
  exportQuery,
  forkBody,
  getChatQuery,
  importBody,
  listChatsQuery,
  updateChatBody,
} from './chat-schemas.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';
import { createChatPersonas } from '../../personas/chat-persona.ts';
import { exportSillyTavernGroupChat, importGroupChatFile } from '../../groups/sillytavern-group-chats.ts';

const BASE = '/api/v1/character_chats';
export const chatLocation = (id: string) => `${BASE}/${id}`;

/** 404 for a missing (or deleted) chat, 403 for another user's. */
export function visibleChat(row: ChatRow | undefined, id: string, actor: Actor, options: { includeDeleted?: boolean } = {}): ChatRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('chat', id);
  assertOwned(actor, row, 'this chat belongs to another user');
  return row;
}

const errors = {
  400: { description: 'invalid', schema: problemSchema },
  403: { description: "another user's, or over a limit", schema: problemSchema },
  404: { description: 'missing', schema: problemSchema },
};

/** An attachment header with an ASCII fallback name and the UTF-8 one (RFC 6266 / 5987). */
function attachment(title: string, extension: string): string {
  return contentDispositionHeader('attachment', { name: title.slice(0, 150) || 'chat', extension });
}

export function chatRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const transcripts = createChatTranscriptQueries(deps.db, deps.readSchema);
  const exportLines = createChatExportLines(deps.db, deps.readSchema);
  const personas = createChatPersonas(deps.db, deps.readSchema);
  const current = async (id: string, status: number, extra: Record<string, unknown> = {}) => {
    const row = (await chats.get(id))!;
    return { status, body: { ...toChatView(row), ...extra }, headers: { ETag: `W/"${row.version}"` } };
  };
  const family = {
    deps,
    path: `${BASE}/:chat_id`,
    params: chatParams,
    id: (p: { chat_id: string }) => p.chat_id,
    tags: ['chats'],
    location: chatLocation,
    errors,
  };
  const created =
    (id: string, extra: Record<string, unknown> = {}) =>
    async () => {
      const r = await current(id, 201, extra);
      return { ...r, headers: { ...r.headers, Location: chatLocation(id) } };
    };

  const importInline = deps.config.INLINE_PROJECTIONS ? chatImportInline(deps.readSchema) : undefined;
  const answeredInline = (actor: Actor, position: string | null, view: () => Promise<RouteResult>) => {
    if (position) deps.pendingOwnWrites.note(actor.userId, position);
    return view();
  };

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/import`,
      operationId: 'importChat',
      summary:
        'Import a SillyTavern chat file (JSONL) as a new chat of a character, or a group chat file as a chat of a group (`group_id`: speakers matched to members by `original_avatar`, then name)',
      tags: ['chats'],
      auth: 'user',
      rateLimit: 'chat_create',
      body: importBody,
      bodyLimitBytes: deps.config.CHAT_IMPORT_MAX_BYTES,
      responses: {
        201: { description: 'imported', schema: chatViewSchema },
        202: { description: 'accepted; not yet readable' },
        ...errors,
      },
      handler: async ({ body, actor }) => {
        const chatId = newId();
        const common = { chatId, content: body.content, ...(body.title ? { title: body.title } : {}) };
        const { result, summary } = body.group_id
          ? await importGroupChatFile(deps.db, deps.readSchema, deps, actor, { ...common, groupId: body.group_id })
          : await importSillyTavernChat(deps, actor, { ...common, characterId: body.character_id! }, importInline);
        // Its chat rows were written by its appends' own commits: readable now; the caller's next read waits for the rest.
        if ('inline' in result && result.inline) return answeredInline(actor, result.position, created(chatId, { import: summary }));
        return respondAfterProjection(deps, result.position, chatLocation(chatId), created(chatId, { import: summary }), {
          id: chatId,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: BASE,
      operationId: 'createChat',
      summary:
        "Start a chat with a character (its greeting opens it, the alternate greetings are that message's alternates) or with a group (each member's greeting, in list order), as a persona (`persona_id`, else the one locked to the character, else the default)",
      tags: ['chats'],
      auth: 'user',
      rateLimit: 'chat_create',
      body: createChatBody,
      responses: { 201: { description: 'created', schema: chatViewSchema }, 202: { description: 'accepted; not yet readable' }, ...errors },
      handler: async ({ body, actor }) => {
        const chatId = newId();
        const settings = { ...body.settings, ...(body.persona_id ? { persona_id: body.persona_id } : {}) };
        const common = { chatId, settings, ...(body.title ? { title: body.title } : {}) };
        let result;
        if (body.group_id) result = await startGroupChat(deps, actor, { ...common, groupId: body.group_id });
        else {
          // The greeting's {{user}} is the persona the chat opens as.
          const persona = await personas.forNewChat(actor, body.character_id!, settings.persona_id);
          result = await startChat(deps, actor, {
            ...common,
            characterId: body.character_id!,
            ...(persona ? { userName: persona.name } : {}),
            ...(body.greeting_index !== undefined ? { greetingIndex: body.greeting_index } : {}),
          });
        }
        return respondAfterProjection(deps, result.position, chatLocation(chatId), created(chatId), {
          id: chatId,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: BASE,
      operationId: 'listChats',
      summary: "The caller's chats, newest activity first (filter by character)",
      tags: ['chats'],
      auth: 'user',
      query: listChatsQuery,
      responses: { 200: { description: 'a page of chats', schema: chatListSchema }, 400: errors[400] },
      handler: async ({ query, actor }) => {
        const deleted = query.deleted_only ? 'only' : query.include_deleted ? 'include' : 'exclude';
        const { items, total } = await chats.list(actor.userId, {
          ...(query.character_id ? { characterId: query.character_id } : {}),
          limit: query.limit,
          offset: query.offset,
          deleted,
        });
        const next = query.offset + items.length < total ? query.offset + items.length : null;
        return {
          status: 200,
          body: {
            items: items.map(toChatView),
            total,
            limit: query.limit,
            offset: query.offset,
            has_more: next !== null,
            next_offset: next,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:chat_id`,
      operationId: 'getChat',
      summary: 'A chat (version, settings, message count); `as_of` (a version or an ISO date-time) rebuilds it as it was, from its events',
      tags: ['chats', 'history'],
      auth: 'user',
      params: chatParams,
      query: getChatQuery,
      responses: {
        200: {
          description: 'the chat (with `as_of_version` when rebuilt from its past)',
          schema: chatViewSchema.extend({ as_of_version: z.number().int().optional() }),
        },
        ...errors,
      },
      handler: async ({ params, query, actor }) =>
        asOfOrCurrent(query, {
          past: async (asOf) => {
            const { row, version } = await chatAsOf(deps.eventStore, params.chat_id, asOf, actor);
            return { body: toChatView(row), version };
          },
          current: async () => {
            const row = visibleChat(await chats.get(params.chat_id), params.chat_id, actor);
            return { status: 200, body: toChatView(row), headers: { ETag: `W/"${row.version}"` } };
          },
        }),
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:chat_id`,
      operationId: 'updateChat',
      summary:
        'Rename a chat, rate it, change its settings (user name, author note, world books) or its persona (`persona_id`, null: none named); optimistic with expected_version',
      tags: ['chats'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: chatParams,
      query: expectedVersionQuery,
      body: updateChatBody,
      responses: {
        200: { description: 'updated', schema: chatViewSchema },
        409: { description: 'version conflict', schema: problemSchema },
        ...errors,
      },
      handler: async ({ params, query, body, actor }) => {
        const { persona_id, ...changes } = body;
        if (persona_id !== undefined) changes.settings = { ...changes.settings, persona_id };
        if (changes.settings?.persona_id) await personas.usable(changes.settings.persona_id, actor);
        const result = await runChatCommand(
          deps,
          actor,
          params.chat_id,
          { type: 'UpdateChat', chatId: params.chat_id, changes },
          query.expected_version,
        );
        return respondAfterProjection(deps, result.position, chatLocation(params.chat_id), () => current(params.chat_id, 200), {
          id: params.chat_id,
          version: result.revision,
        });
      },
    }),
    deleteRoute(family, {
      operationId: 'deleteChat',
      summary: 'Soft-delete a chat (restorable)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      remove: ({ params, query, actor }) => deleteChat(deps, actor, params.chat_id, query.expected_version),
    }),
    restoreRoute(family, {
      operationId: 'restoreChat',
      summary: 'Restore a deleted chat (counts against the chat limit again)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      optimistic: true,
      responses: {
        200: { description: 'restored (or was not deleted)', schema: chatViewSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      restore: ({ params, query, actor }) => restoreChat(deps, actor, params.chat_id, query.expected_version),
      view: current,
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/:chat_id/fork`,
      operationId: 'forkChat',
      summary: 'Start a new chat from any message of this one (a branch); it remembers where it came from',
      tags: ['chats'],
      auth: 'user',
      rateLimit: 'chat_create',
      params: chatParams,
      body: forkBody,
      responses: {
        201: { description: 'the new chat', schema: chatViewSchema },
        202: { description: 'accepted; not yet readable' },
        ...errors,
      },
      handler: async ({ params, body, actor }) => {
        const chatId = newId();
        const result = await forkChat(deps, actor, {
          sourceChatId: params.chat_id,
          messageId: body.message_id,
          newChatId: chatId,
          ...(body.title ? { title: body.title } : {}),
        });
        return respondAfterProjection(deps, result.position, chatLocation(chatId), created(chatId), {
          id: chatId,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:chat_id/export`,
      operationId: 'exportChat',
      summary:
        "Export the conversation: JSON (the original system's shape), Markdown, plain text, or SillyTavern JSONL with alternates as swipes",
      tags: ['chats'],
      auth: 'user',
      params: chatParams,
      query: exportQuery,
      responses: { 200: { description: 'the export' }, ...errors },
      handler: async ({ params, query, actor, res }) => {
        const chat = visibleChat(await chats.get(params.chat_id), params.chat_id, actor);
        if (query.format === 'jsonl' || query.format === 'sillytavern') {
          res.setHeader('Content-Type', 'application/jsonl; charset=utf-8');
          res.setHeader('Content-Disposition', attachment(chat.title, 'jsonl'));
          res.setHeader('ETag', `W/"${chat.version}"`);
          const file = chat.group_id
            ? await exportSillyTavernGroupChat(deps.db, deps.readSchema, chat, await transcripts.transcript(chat.id))
            : await sillyTavernChatExport(chat, { lines: exportLines, transcripts });
          res.status(200).send(file);
          return undefined;
        }
        return { status: 200, body: chatExportBody(chat, await transcripts.transcript(chat.id), query) };
      },
    }),
  ];
}
