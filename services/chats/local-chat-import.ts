/**
 * tldw_server's local-chat import (`POST /chats/import`) as one use case: the graph and size rules, the images,
 * the chat's cap, the character and the fork's parent are checked before anything is written (each with the
 * original's coded refusal); then `importChatGraph` appends the whole chat, or recognises a replay. Once it is
 * known not to be a replay, the message ids are checked against every message on the server (409
 * `message_id_conflict`, saying nothing of whose) and the images are stored under the caller's quota.
 */
import type { Kysely } from 'kysely';
import { importChatGraph, messageUuid, type ChatGraphImported, type ImportedMessage } from '../../commands/chats/chat-graph-import.ts';
import type { ChatCommandDeps } from '../../commands/chats/chat-workflows.ts';
import type { BlobReservation } from '../../infra/blobs/blob-quota.ts';
import { sha256Hex, type BlobStore } from '../../infra/blobs/blob-store.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createCharacterQueries } from '../../queries/characters-queries.ts';
import { createChatMessageQueries } from '../../queries/chat-messages-queries.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import { anyMessageIdTaken } from '../../queries/taken-message-ids.ts';
import { canRead } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { MAX_MESSAGE_CONTENT, type ForkOrigin } from '../../shared/chats/chat-fields.ts';
import { checkImportedContent, orderImportedGraph } from '../../shared/chats/imported-chat-graph.ts';
import { decodeImagePayload, isCompleteImage, type ImageMediaType } from '../../shared/chats/image-payload.ts';
import { AppError } from '../../shared/errors.ts';

export interface LocalChatImportDeps extends ChatCommandDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  blobStore: BlobStore;
  config: ChatCommandDeps['config'] & {
    MESSAGE_IMAGE_MAX_BYTES: number;
    CHAT_IMPORT_MAX_IMAGE_BYTES: number;
    STORAGE_QUOTA_BYTES_PER_USER: number;
  };
}

export interface LocalChat {
  id: string;
  title: string;
  state: 'in-progress' | 'resolved' | 'backlog' | 'non-viable';
  created_at: string;
  last_modified?: string | null | undefined;
  character_id: string | null;
  parent_conversation_id?: string | null | undefined;
  forked_from_message_id?: string | null | undefined;
  messages: Array<{
    id: string;
    parent_message_id?: string | null | undefined;
    role: 'user' | 'assistant' | 'system';
    content: string;
    timestamp: string;
    images?: string[] | undefined;
    metadata?: Record<string, unknown> | null | undefined;
  }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const coded = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
  new AppError(status, code, message, { error_code: code, ...extra });

type DecodedImage = { bytes: Buffer; mediaType: ImageMediaType };

/** A message's image as stored bytes: 413 `image_too_large` over the per-image limit, 422 `invalid_image` if unreadable. */
function decodeImportedImage(payload: string, maxBytes: number, messageId: string): DecodedImage {
  let image: DecodedImage;
  try {
    image = decodeImagePayload(payload, undefined, maxBytes);
  } catch (err) {
    if (err instanceof AppError && err.status === 413)
      throw coded(413, 'image_too_large', `An image of message ${messageId} is larger than ${maxBytes} bytes.`, { message_id: messageId });
    throw coded(422, 'invalid_image', `An image of message ${messageId} could not be read.`, { message_id: messageId });
  }
  if (!isCompleteImage(image.bytes, image.mediaType))
    throw coded(422, 'invalid_image', `An image of message ${messageId} could not be read.`, { message_id: messageId });
  return image;
}

export function createLocalChatImport(deps: LocalChatImportDeps) {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);

  /** The fork's origin: the caller's live parent chat (else 404, the same for missing and foreign) and its message. */
  async function forkOrigin(actor: Actor, chat: LocalChat): Promise<ForkOrigin | null> {
    if (!chat.parent_conversation_id) return null;
    const parent = await chats.get(chat.parent_conversation_id);
    if (!parent || parent.deleted_at || !canRead(actor, parent))
      throw coded(404, 'parent_conversation_not_found', 'Parent conversation not found.');
    let messageId: string | null = null;
    if (chat.forked_from_message_id) {
      messageId = messageUuid(parent.id, chat.forked_from_message_id);
      const source = await messages.get(messageId);
      if (!source || source.chat_id !== parent.id || source.deleted_at)
        throw coded(422, 'invalid_fork_source', 'forked_from_message_id is not a message of the parent conversation.');
    }
    return { chatId: parent.id, messageId, rootChatId: parent.root_chat_id };
  }

  return async function importLocalChat(actor: Actor, chat: LocalChat, request: string): Promise<ChatGraphImported> {
    const ordered = orderImportedGraph(chat.messages.map((m) => ({ ...m, parentId: m.parent_message_id ?? null })));
    checkImportedContent(ordered, MAX_MESSAGE_CONTENT);
    const images = new Map<string, DecodedImage>();
    let imageBytes = 0;
    for (const m of ordered) {
      const payload = m.images?.[0];
      if (payload === undefined) continue;
      const image = decodeImportedImage(payload, deps.config.MESSAGE_IMAGE_MAX_BYTES, m.id);
      imageBytes += image.bytes.byteLength;
      if (imageBytes > deps.config.CHAT_IMPORT_MAX_IMAGE_BYTES)
        throw coded(
          413,
          'images_too_large',
          `The images of the import are larger than ${deps.config.CHAT_IMPORT_MAX_IMAGE_BYTES} bytes together.`,
        );
      images.set(m.id, image);
    }
    const limit = deps.config.MAX_MESSAGES_PER_CHAT;
    if (ordered.length > limit)
      throw coded(403, 'message_limit_exceeded', `Message limit exceeded. Maximum ${limit} messages per chat.`, { limit });
    if (chat.character_id) {
      const character = await characters.get(chat.character_id);
      if (!character || character.deleted_at || !canRead(actor, character))
        throw coded(404, 'character_not_found', `Character ${chat.character_id} not found`);
    }
    const forkedFrom = await forkOrigin(actor, chat);
    const refs = new Map(
      [...images].map(([id, image]) => [id, { sha256: sha256Hex(image.bytes), mediaType: image.mediaType, size: image.bytes.byteLength }]),
    );
    let reservation: BlobReservation | undefined;
    const beforeCreate = async () => {
      const ids = ordered.map((m) => m.id);
      if (
        await anyMessageIdTaken(
          deps.db,
          deps.readSchema,
          ids.filter((id) => UUID.test(id)).map((id) => id.toLowerCase()),
          ids.filter((id) => !UUID.test(id)),
        )
      )
        throw coded(409, 'message_id_conflict', 'A message id of the import is already in use.');
      if (refs.size === 0) return;
      reservation = await deps.blobStore.reserve(actor.userId, [...refs.values()], deps.config.STORAGE_QUOTA_BYTES_PER_USER);
      await Promise.all([...images.values()].map((image) => deps.blobStore.put(image.bytes, image.mediaType)));
    };
    const graph: ImportedMessage[] = ordered.map((m) => ({
      id: m.id,
      parentId: m.parentId,
      role: m.role,
      content: m.content,
      timestamp: m.timestamp,
      metadata: m.metadata ?? null,
      image: refs.get(m.id) ?? null,
    }));
    try {
      return await importChatGraph(deps, actor, {
        chatId: chat.id,
        request,
        title: chat.title,
        state: chat.state,
        createdAt: chat.created_at,
        lastModified: chat.last_modified ?? null,
        characterId: chat.character_id,
        forkedFrom,
        messages: graph,
        beforeCreate,
      });
    } catch (err) {
      await reservation?.release();
      throw err;
    }
  };
}
