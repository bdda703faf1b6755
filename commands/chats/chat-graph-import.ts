/**
 * Importing a whole chat a client kept locally (tldw_server's `POST /chats/import`): its title, state and every
 * message of its graph (parents, roles, text, send times, generation metadata) in one append, under the chat id
 * the client chose. Message ids that are not UUIDs get a UUID derived from the chat and the client's id (the same
 * id each time, kept in the message's metadata as `client_message_id`). The same import again is a replay; any
 * other use of the id a conflict (`replayedChat`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../../shared/access/actor.ts';
import type { ForkOrigin, ImageRef, Sender } from '../../shared/chats/chat-fields.ts';
import type { CommandResult } from '../command-handler.ts';
import type { ChatState, SeedMessage } from './chat-decider.ts';
import { asIdConflict, replayedChat } from './chat-session-create.ts';
import { createChat, loadOwnedCharacter, type ChatCommandDeps } from './chat-workflows.ts';

export interface ImportedMessage {
  id: string;
  parentId: string | null;
  role: Sender;
  content: string;
  timestamp: string;
  metadata: Record<string, unknown> | null;
  /** Its image, already in the blob store by the time the chat is appended (`beforeCreate`). */
  image: ImageRef | null;
}

export interface ChatGraphImport {
  chatId: string;
  /** The fingerprint of the import request (a repeat of the same import is a replay). */
  request: string;
  title: string;
  state: 'in-progress' | 'resolved' | 'backlog' | 'non-viable';
  /** The chat's own dates: kept, not the time of the import (no `lastModified`: its newest message's time). */
  createdAt: string;
  lastModified: string | null;
  characterId: string | null;
  forkedFrom: ForkOrigin | null;
  /** Parents before children. */
  messages: ImportedMessage[];
  /** Runs once the import is known not to be a replay, before anything is appended (checks that read, blob writes). */
  beforeCreate?: () => Promise<void>;
}

export type ChatGraphImported = { replayed: true; revision: number } | { replayed: false; result: CommandResult<ChatState> };

const isUuid = (id: string) => z.uuid().safeParse(id).success;

/** A stable UUID (version 8, RFC 9562 custom) for a client message id within a chat. */
export function messageUuid(chatId: string, clientId: string): string {
  if (isUuid(clientId)) return clientId.toLowerCase();
  const hex = createHash('sha256').update(`${chatId}\u0000${clientId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function importChatGraph(deps: ChatCommandDeps, actor: Actor, input: ChatGraphImport): Promise<ChatGraphImported> {
  const revision = await replayedChat(deps, actor, input.chatId, input.request);
  if (revision !== undefined) return { replayed: true, revision };
  await input.beforeCreate?.();
  const character = input.characterId ? await loadOwnedCharacter(deps, actor, input.characterId) : null;
  const ids = new Map(input.messages.map((m) => [m.id, messageUuid(input.chatId, m.id)]));
  const messages: SeedMessage[] = input.messages.map((m) => ({
    messageId: ids.get(m.id)!,
    parentId: m.parentId === null ? null : (ids.get(m.parentId) ?? messageUuid(input.chatId, m.parentId)),
    sender: m.role,
    name: null,
    content: m.content,
    image: m.image,
    metadata: { sender_role: m.role, ...(isUuid(m.id) ? {} : { client_message_id: m.id }), ...(m.metadata ?? {}) },
    sentAt: m.timestamp,
    // The last message of each sibling group is the one shown, so the conversation ends at the last message sent.
    active: true,
  }));
  const newest = input.messages.reduce((at, m) => (m.timestamp > at ? m.timestamp : at), input.createdAt);
  try {
    const result = await createChat(deps, actor, {
      chatId: input.chatId,
      characterId: character?.id ?? null,
      characterName: character?.name ?? '',
      title: input.title,
      settings: {},
      forkedFrom: input.forkedFrom,
      importedFrom: 'tldw_server',
      createRequest: input.request,
      state: input.state,
      createdAt: input.createdAt,
      lastModified: input.lastModified ?? newest,
      messages,
    });
    return { replayed: false, result };
  } catch (err) {
    throw asIdConflict(err, input.chatId);
  }
}
