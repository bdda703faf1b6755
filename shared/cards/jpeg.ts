/** JPEG segment reading up to the first scan: frame size (SOFn) and the APP1 Exif block. */
import { fail } from './card-errors.ts';
import { checkImageDimensions, type ImageLimits } from './png-chunks.ts';

export interface JpegInfo {
  width: number;
  height: number;
  /** TIFF bytes of the first APP1 `Exif\0\0` segment, or null. */
  exif: Uint8Array | null;
}

export function hasJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function isSofMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0, 0];

export function readJpeg(bytes: Uint8Array, limits: ImageLimits): JpegInfo {
  if (!hasJpegSignature(bytes)) fail('corrupt_image', 'the file does not start with a JPEG SOI marker');
  let p = 2;
  let segments = 0;
  let width = -1;
  let height = -1;
  let exif: Uint8Array | null = null;
  for (;;) {
    if (p >= bytes.length) fail('corrupt_image', 'the JPEG is truncated (no image data)');
    if (bytes[p] !== 0xff) fail('corrupt_image', `the JPEG has garbage instead of a marker at byte ${p}`);
    while (p < bytes.length && bytes[p] === 0xff) p++;
    if (p >= bytes.length) fail('corrupt_image', 'the JPEG is truncated (no image data)');
    const marker = bytes[p]!;
    p++;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (marker === 0xd9) fail('corrupt_image', 'the JPEG ends before any image data');
    if (p + 2 > bytes.length) fail('corrupt_image', 'the JPEG is truncated (segment length missing)');
    const length = (bytes[p]! << 8) | bytes[p + 1]!;
    if (length < 2) fail('corrupt_image', `the JPEG segment at byte ${p - 2} has an invalid length`);
    if (p + length > bytes.length) fail('corrupt_image', `the JPEG is truncated (segment at byte ${p - 2} runs past the end)`);
    if (++segments > limits.maxImageChunks) fail('too_many_chunks', `the JPEG has more than ${limits.maxImageChunks} segments`);
    const data = bytes.subarray(p + 2, p + length);
    if (marker === 0xe1 && exif === null && data.length >= 6 && EXIF_HEADER.every((b, i) => data[i] === b)) {
      exif = data.subarray(6);
    } else if (isSofMarker(marker) && width < 0) {
      if (data.length < 5) fail('corrupt_image', 'the JPEG frame header is too short');
      height = (data[1]! << 8) | data[2]!;
      width = (data[3]! << 8) | data[4]!;
    } else if (marker === 0xda) {
      if (width < 0) fail('corrupt_image', 'the JPEG has a scan before its frame header');
      const scanStart = p + length;
      const eoi = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).lastIndexOf(Uint8Array.of(0xff, 0xd9));
      if (eoi < scanStart) fail('corrupt_image', 'the JPEG is truncated (no end-of-image marker)');
      checkImageDimensions(width, height, limits, 'the JPEG');
      return { width, height, exif };
    }
    p += length;
  }
}
