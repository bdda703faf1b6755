/**
 * Images in a character completion. The prompt is assembled as text (macros, budget, lorebook scans); the images
 * go beside it afterwards: a user message of the chat that has an image, and the new user turn that brings one,
 * become text plus an image part (a data: URL of the stored blob, or the turn's own URL), which the provider maps
 * to its own form (Anthropic: an image block). A turn's data: image is stored as a blob with the message.
 */
import { createHash } from 'node:crypto';
import { decodeImagePayload } from '../../shared/chats/image-payload.ts';
import type { ImageRef } from '../../shared/chats/chat-fields.ts';
import type { ChatMessage } from '../../shared/llm/chat-types.ts';
import type { CharacterPrompt } from './character-prompt.ts';

export interface ImageBlobs {
  get(sha256: string): Promise<{ bytes: Buffer; mediaType: string } | undefined>;
  put(bytes: Uint8Array, mediaType: string): Promise<unknown>;
  reserve(
    userId: string,
    blobs: ReadonlyArray<{ sha256: string; size: number }>,
    quotaBytes: number,
  ): Promise<{ release(): Promise<void> }>;
}

const withImage = (message: ChatMessage, url: string): ChatMessage =>
  message.role === 'user' && typeof message.content === 'string'
    ? {
        ...message,
        content: [
          { type: 'text', text: message.content },
          { type: 'image_url', image_url: { url } },
        ],
      }
    : message;

/** The messages for a provider that takes no images: image parts left out, the text kept. */
export function textOnlyMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) =>
    m.role === 'user' && typeof m.content !== 'string' ? { ...m, content: m.content.filter((p) => p.type === 'text') } : m,
  );
}

/** The prompt's messages with the images of the chat's messages and of the new user turn. */
export async function promptMessagesWithImages(plan: CharacterPrompt, blobs: Pick<ImageBlobs, 'get'>): Promise<ChatMessage[]> {
  // lore_only sends the client's own messages, image parts included, as they came.
  if (plan.messages !== plan.prompt.messages) return plan.messages;
  const turnImage = plan.prompt.userTurn ? plan.placement.turn.at(-1)?.imageUrl : undefined;
  return Promise.all(
    plan.messages.map(async (message, i) => {
      const layout = plan.prompt.layout[i];
      if (message.role !== 'user' || !layout) return message;
      if (layout.section === 'user_turn') return turnImage ? withImage(message, turnImage) : message;
      const stored = layout.messageId ? plan.storedImages.get(layout.messageId) : undefined;
      const blob = stored ? await blobs.get(stored.sha256) : undefined;
      return blob ? withImage(message, `data:${blob.mediaType};base64,${blob.bytes.toString('base64')}`) : message;
    }),
  );
}

/**
 * The blob of a turn message's data: image, charged to the chat owner's storage quota and written before the
 * message refers to it (the request checked it already). An http(s) image is not stored: the server fetches nothing.
 */
export async function storeTurnImage(
  imageUrl: string | undefined,
  owner: { userId: string; quotaBytes: number },
  blobs: ImageBlobs,
): Promise<ImageRef | null> {
  if (!imageUrl || !/^data:/i.test(imageUrl)) return null;
  const { bytes, mediaType } = decodeImagePayload(imageUrl, undefined, Number.MAX_SAFE_INTEGER);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await blobs.reserve(owner.userId, [{ sha256, size: bytes.byteLength }], owner.quotaBytes);
  await blobs.put(bytes, mediaType);
  return { sha256, mediaType, size: bytes.byteLength };
}
