/**
 * PNG/APNG container reading and writing: chunk walk with CRC verification, IHDR checks, text chunks
 * (tEXt, zTXt, iTXt — compressed or not). Chunks are returned as offsets into the input; nothing is copied.
 */
import zlib from 'node:zlib';
import { allocBytes, asBuffer, concatBytes, plainBytes } from './bytes.ts';
import { fail } from './card-errors.ts';

export { concatBytes };

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export interface PngChunk {
  type: string;
  /** Offset of the chunk's length field. */
  start: number;
  /** Offset of the chunk data. */
  dataStart: number;
  length: number;
  /** Offset just past the CRC. */
  end: number;
}

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** An `acTL` chunk precedes the first `IDAT` (APNG). */
  animated: boolean;
  chunks: PngChunk[];
  /** Bytes after `IEND` (ignored, reported as a warning by callers). */
  trailingBytes: number;
}

export interface ImageLimits {
  maxImageChunks: number;
  maxImageWidth: number;
  maxImageHeight: number;
  maxImagePixels: number;
}

const VALID_BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

export function hasPngSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

function isChunkTypeByte(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

export function checkImageDimensions(width: number, height: number, limits: ImageLimits, what: string): void {
  if (width === 0 || height === 0) fail('corrupt_image', `${what} declares a zero image dimension (${width}×${height})`);
  if (width > limits.maxImageWidth || height > limits.maxImageHeight || width * height > limits.maxImagePixels) {
    fail(
      'image_too_large',
      `${what} is ${width}×${height} pixels; at most ${limits.maxImageWidth}×${limits.maxImageHeight} and ${limits.maxImagePixels} pixels are allowed`,
    );
  }
}

/** Walks and validates the whole chunk list. Throws CardFailure (`corrupt_image`, `image_too_large`, `too_many_chunks`). */
export function readPng(bytes: Uint8Array, limits: ImageLimits): PngInfo {
  if (!hasPngSignature(bytes)) fail('corrupt_image', 'the file does not start with the PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  let offset = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = 0;
  let animated = false;
  let sawIdat = false;
  for (;;) {
    if (offset + 12 > bytes.length) fail('corrupt_image', `the PNG is truncated (chunk header at byte ${offset} is incomplete; no IEND)`);
    const length = view.getUint32(offset);
    if (length > 0x7fffffff) fail('corrupt_image', `PNG chunk at byte ${offset} declares an invalid length ${length}`);
    for (let i = offset + 4; i < offset + 8; i++) {
      if (!isChunkTypeByte(bytes[i]!)) fail('corrupt_image', `PNG chunk at byte ${offset} has an invalid type`);
    }
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    const dataStart = offset + 8;
    const end = dataStart + length + 4;
    if (end > bytes.length) fail('corrupt_image', `the PNG is truncated (${type} chunk at byte ${offset} runs past the end of the file)`);
    const expected = view.getUint32(dataStart + length);
    const actual = zlib.crc32(bytes.subarray(offset + 4, dataStart + length)) >>> 0;
    if (actual !== expected) fail('corrupt_image', `PNG ${type} chunk at byte ${offset} has a bad CRC`);
    if (chunks.length >= limits.maxImageChunks) fail('too_many_chunks', `the PNG has more than ${limits.maxImageChunks} chunks`);
    const chunk: PngChunk = { type, start: offset, dataStart, length, end };
    chunks.push(chunk);

    if (chunks.length === 1) {
      if (type !== 'IHDR' || length !== 13) fail('corrupt_image', 'the PNG does not start with a valid IHDR chunk');
      width = view.getUint32(dataStart);
      height = view.getUint32(dataStart + 4);
      bitDepth = bytes[dataStart + 8]!;
      colorType = bytes[dataStart + 9]!;
      const depths = VALID_BIT_DEPTHS[colorType];
      if (!depths || !depths.includes(bitDepth))
        fail('corrupt_image', `PNG IHDR has an invalid colour type/bit depth (${colorType}/${bitDepth})`);
      if (bytes[dataStart + 10] !== 0 || bytes[dataStart + 11] !== 0 || bytes[dataStart + 12]! > 1) {
        fail('corrupt_image', 'PNG IHDR has an invalid compression, filter or interlace method');
      }
      checkImageDimensions(width, height, limits, 'the PNG');
    } else if (type === 'IHDR') {
      fail('corrupt_image', 'the PNG has more than one IHDR chunk');
    } else if (type === 'IDAT') {
      sawIdat = true;
    } else if (type === 'acTL' && !sawIdat) {
      animated = true;
    } else if (type === 'IEND') {
      if (!sawIdat) fail('corrupt_image', 'the PNG has no IDAT chunk');
      return { width, height, bitDepth, colorType, animated, chunks, trailingBytes: bytes.length - end };
    }
    offset = end;
  }
}

export function encodePngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = allocBytes(12 + data.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, zlib.crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

export type PngTextKind = 'tEXt' | 'zTXt' | 'iTXt';

export function isTextChunk(chunk: PngChunk): chunk is PngChunk & { type: PngTextKind } {
  return chunk.type === 'tEXt' || chunk.type === 'zTXt' || chunk.type === 'iTXt';
}

/**
 * The Latin-1 keyword of a text chunk, or null if the chunk has no NUL separator. Keywords are 1–79 bytes by the
 * PNG spec; longer ones (seen with long `chara-ext-asset_:` paths) are accepted up to 1024 bytes.
 */
export function readTextKeyword(bytes: Uint8Array, chunk: PngChunk): string | null {
  const limit = Math.min(chunk.length, 1024);
  for (let i = 0; i < limit; i++) {
    if (bytes[chunk.dataStart + i] === 0) {
      if (i === 0) return null;
      return String.fromCharCode(...bytes.subarray(chunk.dataStart, chunk.dataStart + i));
    }
  }
  return null;
}

function inflateBounded(data: Uint8Array, maxBytes: number, what: string): Uint8Array {
  try {
    return plainBytes(zlib.inflateSync(data, { maxOutputLength: Math.max(1, maxBytes) }));
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return fail('metadata_too_large', `${what} inflates to more than ${maxBytes} bytes`);
    }
    return fail('invalid_card_encoding', `${what} is not valid zlib data`);
  }
}

function indexOfNul(bytes: Uint8Array, from: number, to: number): number {
  const i = bytes.indexOf(0, from);
  return i === -1 || i >= to ? -1 : i;
}

/**
 * The text bytes of a tEXt/zTXt/iTXt chunk (inflated when compressed, at most `maxBytes`): Latin-1 for tEXt/zTXt,
 * UTF-8 for iTXt. Card payloads are base64 or JSON, so callers treat both the same way.
 */
export function readTextPayload(bytes: Uint8Array, chunk: PngChunk, keyword: string, maxBytes: number): Uint8Array {
  const what = `PNG ${chunk.type} chunk "${keyword}"`;
  const dataEnd = chunk.dataStart + chunk.length;
  let p = chunk.dataStart + keyword.length + 1;
  if (chunk.type === 'tEXt') {
    if (dataEnd - p > maxBytes) fail('metadata_too_large', `${what} is larger than ${maxBytes} bytes`);
    return bytes.subarray(p, dataEnd);
  }
  if (chunk.type === 'zTXt') {
    if (p >= dataEnd || bytes[p] !== 0) fail('invalid_card_encoding', `${what} uses an unknown compression method`);
    return inflateBounded(bytes.subarray(p + 1, dataEnd), maxBytes, what);
  }
  if (p + 2 > dataEnd) fail('invalid_card_encoding', `${what} is truncated`);
  const compressed = bytes[p]!;
  const method = bytes[p + 1]!;
  p += 2;
  const langEnd = indexOfNul(bytes, p, dataEnd);
  if (langEnd === -1) fail('invalid_card_encoding', `${what} is missing its language tag`);
  const translatedEnd = indexOfNul(bytes, langEnd + 1, dataEnd);
  if (translatedEnd === -1) fail('invalid_card_encoding', `${what} is missing its translated keyword`);
  const text = bytes.subarray(translatedEnd + 1, dataEnd);
  if (compressed === 0) {
    if (text.length > maxBytes) fail('metadata_too_large', `${what} is larger than ${maxBytes} bytes`);
    return text;
  }
  if (compressed !== 1 || method !== 0) fail('invalid_card_encoding', `${what} uses an unknown compression flag or method`);
  return inflateBounded(text, maxBytes, what);
}

/** A tEXt chunk; `keyword` and `text` must be Latin-1 (card payloads are base64, so ASCII). Written in one buffer. */
export function encodeTextChunk(keyword: string, text: string): Uint8Array {
  const dataLength = keyword.length + 1 + text.length;
  const bytes = allocBytes(12 + dataLength);
  const out = asBuffer(bytes);
  out.writeUInt32BE(dataLength, 0);
  out.write('tEXt', 4, 'latin1');
  out.write(keyword, 8, 'latin1');
  out[8 + keyword.length] = 0;
  out.write(text, 9 + keyword.length, 'latin1');
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + dataLength)) >>> 0, 8 + dataLength);
  return bytes;
}
