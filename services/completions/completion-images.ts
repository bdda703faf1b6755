/**
 * The image parts of a Chat Completions request, checked before anything is queued or stored: a `data:` URL must
 * hold a real image (PNG, JPEG, GIF, WebP by its bytes) of at most MESSAGE_IMAGE_MAX_BYTES; an `http(s)` URL is
 * refused unless the operator allows them (COMPLETION_IMAGE_URLS=allow), and then it goes to the provider as it is:
 * the server never fetches a URL a user names. Every refusal is a 400 naming the part.
 */
import { quotaExceeded } from '../../infra/blobs/blob-quota.ts';
import { AppError, badRequest } from '../../shared/errors.ts';
import { decodeImagePayload, type ImageMediaType } from '../../shared/chats/image-payload.ts';
import type { ChatMessage } from '../../shared/llm/chat-types.ts';

export interface RequestImage {
  /** Index of the message in the request. */
  message: number;
  bytes: Buffer;
  mediaType: ImageMediaType;
}

export interface ImagePolicy {
  maxBytes: number;
  allowUrls: boolean;
}

function decodePart(url: string, maxBytes: number, param: string): { bytes: Buffer; mediaType: ImageMediaType } {
  if (!/^data:[^,]*;base64,/i.test(url))
    throw badRequest('invalid_image', 'Invalid image data. A data: URL must be base64 (data:image/png;base64,...).', { param });
  try {
    return decodeImagePayload(url, undefined, maxBytes);
  } catch (err) {
    // The message routes answer an oversized image with 413; in OpenAI's envelope every bad image is a 400 naming it.
    if (err instanceof AppError) throw badRequest(err.code, err.message, { param });
    throw err;
  }
}

/** The request's `data:` images, decoded and checked (in message order); throws a 400 for a part that is refused. */
export function checkRequestImages(messages: readonly ChatMessage[], policy: ImagePolicy): RequestImage[] {
  const images: RequestImage[] = [];
  messages.forEach((message, m) => {
    if (message.role !== 'user' || typeof message.content === 'string') return;
    message.content.forEach((part, p) => {
      if (part.type !== 'image_url') return;
      const param = `messages[${m}].content[${p}].image_url.url`;
      const url = part.image_url.url.trim();
      if (/^https?:\/\//i.test(url)) {
        if (!policy.allowUrls)
          throw badRequest('image_url_not_allowed', 'Image URLs are not accepted here: send the image as a data: URL (base64).', {
            param,
          });
        return;
      }
      if (!/^data:/i.test(url))
        throw badRequest('invalid_image_url', 'An image must be a data: URL (base64) or, where allowed, http(s).', { param });
      images.push({ message: m, ...decodePart(url, policy.maxBytes, param) });
    });
  });
  return images;
}

/**
 * A stored turn keeps the first image of each of its messages (those after the last assistant message) as a blob
 * charged to the chat owner: a 413 `quota_exceeded` now, before any generation, when they would not fit. The run
 * that stores them charges them for good (blob-quota.ts); this only spares a reply that could not be stored.
 */
export async function assertTurnImagesFit(
  messages: readonly ChatMessage[],
  images: readonly RequestImage[],
  owner: { userId: string; quotaBytes: number },
  usage: { usage(userId: string): Promise<{ bytesUsed: number }> },
): Promise<void> {
  const turnStart = messages.findLastIndex((m) => m.role === 'assistant') + 1;
  const stored = new Map<number, number>();
  for (const image of images)
    if (image.message >= turnStart && !stored.has(image.message)) stored.set(image.message, image.bytes.byteLength);
  if (stored.size === 0) return;
  const requested = [...stored.values()].reduce((a, b) => a + b, 0);
  const { bytesUsed } = await usage.usage(owner.userId);
  if (bytesUsed + requested > owner.quotaBytes) throw quotaExceeded(owner.quotaBytes, bytesUsed, requested);
}
