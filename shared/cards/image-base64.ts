/**
 * A character image given as base64 (tldw_server's `image_base64`): an optional `data:image/…;base64,` prefix and
 * whitespace are dropped, the rest must be strict base64 of a PNG, JPEG, GIF, WebP or AVIF image (its bytes say
 * which, not the prefix). Anything else is a 400, so nothing is stored for it.
 */
import { badRequest } from '../errors.ts';
import type { CardImage } from './card-assets.ts';
import { sniffMime } from './mime.ts';

const DATA_URL_PREFIX = /^data:[^,;]*(?:;[^,;]*)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

export function decodeImageBase64(text: string): CardImage {
  const payload = text.trim().replace(DATA_URL_PREFIX, '').replace(/\s+/g, '');
  if (payload === '' || payload.length % 4 !== 0 || !BASE64.test(payload))
    throw badRequest('invalid_image', 'Invalid image_base64 data: not valid base64');
  const bytes = new Uint8Array(Buffer.from(payload, 'base64'));
  const mime = sniffMime(bytes);
  if (!IMAGE_TYPES.has(mime))
    throw badRequest(
      'invalid_image',
      'Invalid image_base64 data: not a valid image (the bytes are not a PNG, JPEG, GIF, WebP or AVIF image)',
    );
  return { bytes, mime };
}
