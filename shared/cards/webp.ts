/** WEBP (RIFF) container reading: chunk walk, canvas size, and the EXIF chunk. */
import { fail } from './card-errors.ts';
import { checkImageDimensions, type ImageLimits } from './png-chunks.ts';

export interface WebpInfo {
  width: number;
  height: number;
  /** TIFF bytes of the EXIF chunk (an `Exif\0\0` header, written by some tools, is removed), or null. */
  exif: Uint8Array | null;
  /** Bytes after the RIFF payload (ignored). */
  trailingBytes: number;
}

function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

export function hasWebpSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && fourcc(bytes, 0) === 'RIFF' && fourcc(bytes, 8) === 'WEBP';
}

export function stripExifHeader(block: Uint8Array): Uint8Array {
  const hasHeader = block.length >= 6 && fourcc(block, 0) === 'Exif' && block[4] === 0 && block[5] === 0;
  return hasHeader ? block.subarray(6) : block;
}

export function readWebp(bytes: Uint8Array, limits: ImageLimits): WebpInfo {
  if (!hasWebpSignature(bytes)) fail('corrupt_image', 'the file is not a RIFF/WEBP file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffSize = view.getUint32(4, true);
  const end = 8 + riffSize;
  if (riffSize < 4 || end > bytes.length) fail('corrupt_image', 'the WEBP is truncated (RIFF size exceeds the file)');
  let offset = 12;
  let chunks = 0;
  let width = 0;
  let height = 0;
  let hasImage = false;
  let exif: Uint8Array | null = null;
  while (offset < end) {
    if (offset + 8 > end) fail('corrupt_image', `the WEBP is truncated (chunk header at byte ${offset} is incomplete)`);
    const type = fourcc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const dataStart = offset + 8;
    if (dataStart + size > end) fail('corrupt_image', `the WEBP is truncated (${type} chunk at byte ${offset} runs past the end)`);
    if (++chunks > limits.maxImageChunks) fail('too_many_chunks', `the WEBP has more than ${limits.maxImageChunks} chunks`);
    const data = bytes.subarray(dataStart, dataStart + size);
    if (chunks === 1) {
      if (type === 'VP8X') {
        if (size < 10) fail('corrupt_image', 'the WEBP VP8X chunk is too short');
        width = 1 + (data[4]! | (data[5]! << 8) | (data[6]! << 16));
        height = 1 + (data[7]! | (data[8]! << 8) | (data[9]! << 16));
      } else if (type !== 'VP8 ' && type !== 'VP8L') {
        fail('corrupt_image', `the WEBP starts with an unexpected ${JSON.stringify(type)} chunk`);
      }
    }
    if (type === 'VP8L') {
      if (size < 5 || data[0] !== 0x2f) fail('corrupt_image', 'the WEBP VP8L chunk has an invalid header');
      const bits = view.getUint32(dataStart + 1, true);
      if (chunks === 1) {
        width = (bits & 0x3fff) + 1;
        height = ((bits >>> 14) & 0x3fff) + 1;
      }
      hasImage = true;
    } else if (type === 'VP8 ') {
      if (size < 10 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a)
        fail('corrupt_image', 'the WEBP VP8 chunk has an invalid header');
      if (chunks === 1) {
        width = view.getUint16(dataStart + 6, true) & 0x3fff;
        height = view.getUint16(dataStart + 8, true) & 0x3fff;
      }
      hasImage = true;
    } else if (type === 'ANMF') {
      hasImage = true;
    } else if (type === 'EXIF' && exif === null) {
      exif = stripExifHeader(data);
    }
    offset = dataStart + size + (size & 1);
  }
  if (!hasImage) fail('corrupt_image', 'the WEBP has no image data');
  checkImageDimensions(width, height, limits, 'the WEBP');
  return { width, height, exif, trailingBytes: bytes.length - end };
}
