import type { ChatCommand } from '../../commands/chats/chat-decider.ts';
import { preflightChatCommand, type ChatCommandDeps } from '../../commands/chats/chat-workflows.ts';
import type { BlobReservation } from '../../infra/blobs/blob-quota.ts';
import { sha256Hex, type BlobStore } from '../../infra/blobs/blob-store.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { ImageMediaType } from '../../shared/chats/image-payload.ts';

type PostMessage = ChatCommand & { type: 'PostMessage' };

/**
 * Posts a message that may carry an image, for the native and the tldw_server routes alike. The post is refused
 * (404, 403, limits, the chat owner's storage quota) before the bytes are stored, the bytes are stored before the
 * event refers to them, and a post that fails releases the reservation. `append` runs the command.
 */
export async function postMessageWithImage<R>(
  deps: ChatCommandDeps & { blobStore: BlobStore; config: { STORAGE_QUOTA_BYTES_PER_USER: number } },
  actor: Actor,
  post: PostMessage,
  image: { bytes: Buffer; mediaType: ImageMediaType } | null,
  append: (post: PostMessage) => Promise<R>,
): Promise<R> {
  let reservation: BlobReservation | undefined;
  if (image) {
    const { ownerId } = await preflightChatCommand(deps, actor, post.chatId, post);
    const sha256 = sha256Hex(image.bytes);
    reservation = await deps.blobStore.reserve(
      ownerId,
      [{ sha256, size: image.bytes.byteLength }],
      deps.config.STORAGE_QUOTA_BYTES_PER_USER,
    );
    post.image = { sha256, mediaType: image.mediaType, size: image.bytes.byteLength };
  }
  try {
    if (image) await deps.blobStore.put(image.bytes, image.mediaType);
    return await append(post);
  } catch (err) {
    await reservation?.release();
    throw err;
  }
}
