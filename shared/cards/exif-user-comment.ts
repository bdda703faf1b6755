/**
 * A small bounds-checked TIFF/IFD reader that finds EXIF UserComment (tag 0x9286) — in the Exif sub-IFD (pointer
 * 0x8769) where it belongs, or in IFD0 — and decodes its 8-byte character-code prefix.
 */
import { fail } from './card-errors.ts';

const TAG_EXIF_IFD = 0x8769;
const TAG_USER_COMMENT = 0x9286;
const MAX_IFD_ENTRIES = 1000;

/** Bytes per value for TIFF field types 1..13. */
const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

interface IfdEntry {
  type: number;
  count: number;
  /** Absolute offset of the value bytes inside the TIFF block (inline values included). */
  valueOffset: number;
  size: number;
}

class TiffReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly littleEndian: boolean;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 8) fail('corrupt_image', 'the EXIF block is too short for a TIFF header');
    const order = String.fromCharCode(bytes[0]!, bytes[1]!);
    if (order !== 'II' && order !== 'MM') fail('corrupt_image', 'the EXIF block has an invalid TIFF byte order');
    this.littleEndian = order === 'II';
    if (this.u16(2) !== 42) fail('corrupt_image', 'the EXIF block has an invalid TIFF magic number');
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** Entries of the IFD at `offset`; entries whose values fall outside the block are kept with size -1. */
  readIfd(offset: number): Map<number, IfdEntry> {
    const entries = new Map<number, IfdEntry>();
    if (offset < 8 || offset + 2 > this.bytes.length) fail('corrupt_image', `an EXIF IFD offset (${offset}) is outside the EXIF block`);
    const count = this.u16(offset);
    if (count > MAX_IFD_ENTRIES) fail('corrupt_image', `an EXIF IFD declares ${count} entries`);
    if (offset + 2 + count * 12 > this.bytes.length) fail('corrupt_image', 'an EXIF IFD runs past the end of the EXIF block');
    for (let i = 0; i < count; i++) {
      const at = offset + 2 + i * 12;
      const tag = this.u16(at);
      const type = this.u16(at + 2);
      const valueCount = this.u32(at + 4);
      const typeSize = TYPE_SIZES[type];
      if (typeSize === undefined) continue;
      const size = typeSize * valueCount;
      const valueOffset = size <= 4 ? at + 8 : this.u32(at + 8);
      const inBounds = valueOffset + size <= this.bytes.length;
      if (!entries.has(tag)) entries.set(tag, { type, count: valueCount, valueOffset, size: inBounds ? size : -1 });
    }
    return entries;
  }
}

export interface RawUserComment {
  bytes: Uint8Array;
  littleEndian: boolean;
}

/** The raw UserComment value of a TIFF block (the EXIF payload after any `Exif\0\0` header), or null if absent. */
export function findUserComment(tiff: Uint8Array): RawUserComment | null {
  const reader = new TiffReader(tiff);
  const ifd0 = reader.readIfd(reader.u32(4));
  let comment: IfdEntry | undefined;
  const pointer = ifd0.get(TAG_EXIF_IFD);
  if (pointer && (pointer.type === 4 || pointer.type === 13) && pointer.size === 4) {
    const exifOffset = reader.u32(pointer.valueOffset);
    comment = reader.readIfd(exifOffset).get(TAG_USER_COMMENT);
  }
  comment ??= ifd0.get(TAG_USER_COMMENT);
  if (!comment) return null;
  if (comment.size < 0) fail('corrupt_image', 'EXIF UserComment points outside the EXIF block');
  if (comment.type !== 7 && comment.type !== 2 && comment.type !== 1) {
    fail('invalid_card_encoding', `EXIF UserComment has an unexpected field type ${comment.type}`);
  }
  return { bytes: tiff.subarray(comment.valueOffset, comment.valueOffset + comment.size), littleEndian: reader.littleEndian };
}

const CHARSET_ASCII = 'ASCII\0\0\0';
const CHARSET_UNICODE = 'UNICODE\0';
const CHARSET_JIS = 'JIS\0\0\0\0\0';
const CHARSET_UNDEFINED = '\0\0\0\0\0\0\0\0';

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

/** UTF-16 with BOM if present; otherwise the byte order is guessed from where ASCII's zero bytes fall. */
function decodeUtf16(bytes: Uint8Array, tiffLittleEndian: boolean): string {
  let body = bytes;
  let littleEndian = tiffLittleEndian;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    littleEndian = true;
    body = bytes.subarray(2);
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    littleEndian = false;
    body = bytes.subarray(2);
  } else {
    let zerosEven = 0;
    let zerosOdd = 0;
    for (let i = 0; i < Math.min(body.length, 256); i++) {
      if (body[i] === 0) {
        if (i % 2 === 0) zerosEven++;
        else zerosOdd++;
      }
    }
    if (zerosOdd > zerosEven) littleEndian = true;
    else if (zerosEven > zerosOdd) littleEndian = false;
  }
  const even = body.length - (body.length % 2);
  return new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be').decode(body.subarray(0, even));
}

/** UserComment value → text, honouring the 8-byte character code (ASCII, UNICODE, undefined) when present. */
export function decodeUserComment(raw: RawUserComment): string {
  const { bytes } = raw;
  if (bytes.length >= 8) {
    const prefix = String.fromCharCode(...bytes.subarray(0, 8));
    const body = bytes.subarray(8);
    if (prefix === CHARSET_UNICODE) return decodeUtf16(body, raw.littleEndian);
    if (prefix === CHARSET_ASCII || prefix === CHARSET_UNDEFINED) return decodeUtf8OrLatin1(body);
    if (prefix === CHARSET_JIS) fail('invalid_card_encoding', 'EXIF UserComment uses the JIS character code, which is not supported');
  }
  return decodeUtf8OrLatin1(bytes);
}
