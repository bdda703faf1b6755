import { AppError, badRequest } from '../errors.ts';

export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const ascii = (bytes: Uint8Array, start: number, text: string) => text.split('').every((c, i) => bytes[start + i] === c.charCodeAt(0));

/** The image type from its first bytes (magic numbers); null when it is none of the supported ones. */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | null {
  if (bytes.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a'))) return 'image/gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  return null;
}

const ALIASES: Record<string, ImageMediaType> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'image/x-png': 'image/png' };

function normalizeMime(mime: string): string {
  const base = mime.split(';')[0]!.trim().toLowerCase();
  return ALIASES[base] ?? base;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a base64 image (optionally a `data:` URL), checks its size, and takes its type from the bytes. A
 * declared type (the field or the data URL's) must agree with them. Throws 400 for a bad payload and 413
 * for one over `maxBytes`, before anything is stored.
 */
export function decodeImagePayload(
  payload: string,
  declaredMime: string | undefined,
  maxBytes: number,
): { bytes: Buffer; mediaType: ImageMediaType } {
  let data = payload.trim();
  let declared = declaredMime;
  const dataUrl = /^data:([^;,]*)(?:;[^,]*)?;base64,/i.exec(data);
  if (dataUrl) {
    data = data.slice(dataUrl[0].length);
    if (!declared && dataUrl[1]) declared = dataUrl[1];
  }
  data = data.replace(/\s+/g, '');
  if (data.length === 0) throw badRequest('invalid_image', 'Invalid image data. Empty base64 payload.');
  if (!BASE64.test(data) || data.length % 4 === 1)
    throw badRequest('invalid_image', 'Failed to decode image data. Please provide valid base64-encoded image.');
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const decodedLength = Math.floor((data.length * 3) / 4) - padding;
  if (decodedLength > maxBytes)
    throw new AppError(413, 'image_too_large', `Image too large. Max ${maxBytes} bytes allowed.`, { limit: maxBytes });
  const bytes = Buffer.from(data, 'base64');
  const mediaType = sniffImageType(bytes);
  if (!mediaType) throw badRequest('unsupported_image_type', 'Invalid image data. Supported formats: PNG, JPEG, GIF, WebP.');
  if (declared && normalizeMime(declared) !== mediaType) {
    throw badRequest('image_type_mismatch', `image_mime_type says ${normalizeMime(declared)} but the bytes are ${mediaType}`);
  }
  return { bytes, mediaType };
}

/**
 * Whether the bytes hold the whole image, judged by how each format ends (a PNG's IEND chunk, a JPEG's EOI
 * marker, a GIF's trailer, a WebP's RIFF length): a cut-off upload has the right first bytes and no end.
 */
export function isCompleteImage(bytes: Uint8Array, mediaType: ImageMediaType): boolean {
  const n = bytes.length;
  switch (mediaType) {
    case 'image/png':
      return n >= 8 + 25 + 12 && ascii(bytes, n - 8, 'IEND');
    case 'image/jpeg':
      return n >= 4 && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9;
    case 'image/gif':
      return n >= 14 && bytes[n - 1] === 0x3b;
    case 'image/webp':
      return n >= 20 && (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) + 8 === n;
  }
}
