import { z } from 'zod';
import { characterStream } from '../../../commands/characters/character-decider.ts';
import { chatStream } from '../../../commands/chats/chat-decider.ts';
import { worldBookStream } from '../../../commands/world-books/world-book-decider.ts';
import { createChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import { characterHistoryFold, chatDictionaryHistoryFold, chatHistoryFold, worldBookHistoryFold } from '../../../queries/history-folds.ts';
import { dictionaryStream } from '../../../commands/chat-dictionaries/chat-dictionary-decider.ts';
import { readResourceHistory, type HistoryFold, type HistoryTarget } from '../../../queries/resource-history.ts';
import { badRequest, notFound } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';

const uuid = z.uuid({ message: 'must be a UUID' });

const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    order: z.enum(['asc', 'desc']).default('asc'),
    cursor: z.string().max(200).optional(),
  })
  .strict();
type HistoryQuery = z.infer<typeof historyQuery>;

export const historyItemSchema = z.object({
  version: z
    .number()
    .int()
    .describe('the stream revision after the event: the version of the resource (of the book, of the chat, for entries and messages)'),
  position: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  at: z.iso.datetime(),
  user_id: z.string(),
  request_id: z.string().nullable(),
  correlation_id: z.string().nullable(),
  summary: z.string(),
  changed_fields: z.array(z.string()),
});

const historySchema = z.object({
  items: z.array(historyItemSchema),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
  current_version: z.number().int(),
});

const responses = {
  200: { description: 'the events that touched it, oldest first unless order=desc', schema: historySchema },
  400: { description: 'invalid cursor', schema: problemSchema },
  403: { description: "another user's", schema: problemSchema },
  404: { description: 'missing', schema: problemSchema },
};

/** Cursors are opaque to clients: the order and the last version seen. */
const encodeCursor = (order: string, version: number) => Buffer.from(JSON.stringify({ o: order, v: version })).toString('base64url');

function decodeCursor(cursor: string, order: string): number {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; v?: unknown };
    if (c.o === order && Number.isSafeInteger(c.v)) return c.v as number;
  } catch {
    // fall through
  }
  throw badRequest('invalid_cursor', 'cursor is not one this history gave (the order must stay the same)');
}

/**
 * `GET …/{id}/history` for characters, world books, world-book entries, chats and messages: one implementation
 * (queries/resource-history.ts) over each resource's stream. Deleted resources keep a readable history.
 */
export function historyRoutes(deps: ApiDependencies): RouteDefinition[] {
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const answer = async <S>(fold: HistoryFold<S>, target: HistoryTarget, actor: Actor, query: HistoryQuery) => {
    const afterVersion = query.cursor !== undefined ? decodeCursor(query.cursor, query.order) : undefined;
    const { items, hasMore, currentVersion } = await readResourceHistory(deps.eventStore, fold, target, actor, {
      order: query.order,
      limit: query.limit,
      ...(afterVersion !== undefined ? { afterVersion } : {}),
    });
    const last = items[items.length - 1];
    return {
      status: 200,
      body: {
        items: items.map((i) => i.item),
        next_cursor: hasMore && last ? encodeCursor(query.order, last.item.version) : null,
        has_more: hasMore,
        current_version: currentVersion,
      },
    };
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/world-books/:id/history',
      operationId: 'worldBookHistory',
      summary: "A world book's history: every event, who, when, what changed (book fields, `entries`)",
      tags: ['world-books', 'history'],
      auth: 'user',
      params: z.object({ id: uuid }),
      query: historyQuery,
      responses,
      handler: async ({ params, query, actor }) =>
        answer(worldBookHistoryFold, { streamId: worldBookStream(params.id), what: 'world book', id: params.id }, actor, query),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/world-books/:id/entries/:entry_id/history',
      operationId: 'worldBookEntryHistory',
      summary: "An entry's history: the events of its book that added, changed or removed it (versions are the book's)",
      tags: ['world-books', 'history'],
      auth: 'user',
      params: z.object({ id: uuid, entry_id: uuid }),
      query: historyQuery,
      responses,
      handler: async ({ params, query, actor }) =>
        answer(
          worldBookHistoryFold,
          { streamId: worldBookStream(params.id), what: 'world book', id: params.id, subject: { id: params.entry_id, what: 'entry' } },
          actor,
          query,
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/history',
      operationId: 'characterHistory',
      summary: "A character's history: every event, who, when, a summary and the card fields it changed",
      tags: ['characters', 'history'],
      auth: 'user',
      params: z.object({ id: uuid }),
      query: historyQuery,
      responses,
      handler: async ({ params, query, actor }) =>
        answer(characterHistoryFold, { streamId: characterStream(params.id), what: 'character', id: params.id }, actor, query),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/character_chats/:chat_id/history',
      operationId: 'chatHistory',
      summary: "A chat's history: its creation, changes and every message event, who and when",
      tags: ['chats', 'history'],
      auth: 'user',
      params: z.object({ chat_id: uuid }),
      query: historyQuery,
      responses,
      handler: async ({ params, query, actor }) =>
        answer(chatHistoryFold, { streamId: chatStream(params.chat_id), what: 'chat', id: params.chat_id }, actor, query),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/character_messages/messages/:message_id/history',
      operationId: 'messageHistory',
      summary: "A message's history: posted, edited, alternates added from it, selected, deleted, restored (versions are the chat's)",
      tags: ['chats', 'history'],
      auth: 'user',
      params: z.object({ message_id: uuid }),
      query: historyQuery,
      responses,
      handler: async ({ params, query, actor }) => {
        // The read model only routes the message to its chat; the chat's stream is the history.
        const chatId = await messages.chatIdOf(params.message_id);
        if (!chatId) throw notFound('message', params.message_id);
        return answer(
          chatHistoryFold,
          { streamId: chatStream(chatId), what: 'message', id: params.message_id, subject: { id: params.message_id, what: 'message' } },
          actor,
          query,
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/chat/dictionaries/:id/history',
      operationId: 'chatDictionaryHistory',
      summary: "A chat dictionary's history: every event, who, when, what changed (dictionary fields, `entries`)",
      tags: ['chat-dictionaries', 'history'],
      auth: 'user',
      params: z.object({ id: uuid }),
      query: historyQuery,
      responses,
      handler: async ({ params, query, actor }) =>
        answer(chatDictionaryHistoryFold, { streamId: dictionaryStream(params.id), what: 'chat dictionary', id: params.id }, actor, query),
    }),
  ];
}
