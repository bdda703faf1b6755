/**
 * The original's ownership guard for chats and messages, in its words: a missing or deleted chat is a 404
 * "Chat session {id} not found", another user's a 403; a message is looked up first ("Message {id} not found").
 * Ids that are not ours (not UUIDs) are simply missing. Ownership is decided by the access rules.
 */
import { z } from 'zod';
import type { ChatQueries, ChatRow } from '../../../queries/chats-queries.ts';
import type { ChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';
import { AppError } from '../../../shared/errors.ts';

const isUuid = (id: string) => z.uuid().safeParse(id).success;

export const chatSessionNotFound = (id: string) => new AppError(404, 'not_found', `Chat session ${id} not found`);

export async function ownedChat(
  chats: ChatQueries,
  actor: Actor,
  chatId: string,
  options: { includeDeleted?: boolean } = {},
): Promise<ChatRow> {
  const row = isUuid(chatId) ? await chats.get(chatId) : undefined;
  if (!row || (row.deleted_at && !options.includeDeleted)) throw chatSessionNotFound(chatId);
  assertOwned(actor, row, "You don't have access to this chat session");
  return row;
}

/** The message's chat, owned by the caller (404 for a missing message, then the chat's guard). */
export async function ownedMessageChat(
  chats: ChatQueries,
  messages: ChatMessageQueries,
  actor: Actor,
  messageId: string,
): Promise<ChatRow> {
  const chatId = isUuid(messageId) ? await messages.chatIdOf(messageId) : undefined;
  if (!chatId) throw new AppError(404, 'not_found', `Message ${messageId} not found`);
  return ownedChat(chats, actor, chatId);
}
