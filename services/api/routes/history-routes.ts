import { z } from 'zod';
import { characterStream } from '../../../commands/characters/character-decider.ts';
import { chatStream } from '../../../commands/chats/chat-decider.ts';
import { worldBookStream } from '../../../commands/world-books/world-book-decider.ts';
import { createChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import { characterHistoryFold, chatDictionaryHistoryFold, chatHistoryFold, worldBookHistoryFold } from '../../../queries/history-folds.ts';
import { dictionaryStream } from '../../../commands/chat-dictionaries/chat-dictionary-decider.ts';
import { notFound } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { RouteDefinition } from '../http/route.ts';
import { historyRoute } from './resource-lifecycle-routes.ts';

const uuid = z.uuid({ message: 'must be a UUID' });
const idParams = z.object({ id: uuid });

/**
 * `GET …/{id}/history` for characters, world books, world-book entries, chats, messages and chat dictionaries: one
 * route (resource-lifecycle-routes.ts) over one implementation (queries/resource-history.ts) of each stream.
 */
export function historyRoutes(deps: ApiDependencies): RouteDefinition[] {
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const family = <P>(path: string, params: z.ZodType<P>, tags: string[]) => ({ deps, path, params, tags });
  const worldBooks = family('/api/v1/characters/world-books/:id', idParams, ['world-books', 'history']);

  return [
    historyRoute(worldBooks, {
      operationId: 'worldBookHistory',
      summary: "A world book's history: every event, who, when, what changed (book fields, `entries`)",
      fold: worldBookHistoryFold,
      target: ({ id }) => ({ streamId: worldBookStream(id), what: 'world book', id }),
    }),
    historyRoute(family('/api/v1/characters/world-books/:id/entries/:entry_id', z.object({ id: uuid, entry_id: uuid }), worldBooks.tags), {
      operationId: 'worldBookEntryHistory',
      summary: "An entry's history: the events of its book that added, changed or removed it (versions are the book's)",
      fold: worldBookHistoryFold,
      target: ({ id, entry_id }) => ({ streamId: worldBookStream(id), what: 'world book', id, subject: { id: entry_id, what: 'entry' } }),
    }),
    historyRoute(family('/api/v1/characters/:id', idParams, ['characters', 'history']), {
      operationId: 'characterHistory',
      summary: "A character's history: every event, who, when, a summary and the card fields it changed",
      fold: characterHistoryFold,
      target: ({ id }) => ({ streamId: characterStream(id), what: 'character', id }),
    }),
    historyRoute(family('/api/v1/character_chats/:chat_id', z.object({ chat_id: uuid }), ['chats', 'history']), {
      operationId: 'chatHistory',
      summary: "A chat's history: its creation, changes and every message event, who and when",
      fold: chatHistoryFold,
      target: ({ chat_id }) => ({ streamId: chatStream(chat_id), what: 'chat', id: chat_id }),
    }),
    historyRoute(family('/api/v1/character_messages/messages/:message_id', z.object({ message_id: uuid }), ['chats', 'history']), {
      operationId: 'messageHistory',
      summary: "A message's history: posted, edited, alternates added from it, selected, deleted, restored (versions are the chat's)",
      fold: chatHistoryFold,
      target: async ({ message_id }) => {
        // The read model only routes the message to its chat; the chat's stream is the history.
        const chatId = await messages.chatIdOf(message_id);
        if (!chatId) throw notFound('message', message_id);
        return { streamId: chatStream(chatId), what: 'message', id: message_id, subject: { id: message_id, what: 'message' } };
      },
    }),
    historyRoute(family('/api/v1/chat/dictionaries/:id', idParams, ['chat-dictionaries', 'history']), {
      operationId: 'chatDictionaryHistory',
      summary: "A chat dictionary's history: every event, who, when, what changed (dictionary fields, `entries`)",
      fold: chatDictionaryHistoryFold,
      target: ({ id }) => ({ streamId: dictionaryStream(id), what: 'chat dictionary', id }),
    }),
  ];
}
