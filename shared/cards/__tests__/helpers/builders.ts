/** Test-only builders for image containers, EXIF blocks and ZIP archives (including deliberately broken ones). */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { PNG_SIGNATURE, concatBytes, encodePngChunk } from '../../png-chunks.ts';

export const FIXTURES_DIR = path.resolve(process.cwd(), 'test/fixtures/cards');

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES_DIR, name)));
}

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function latin1(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

// ── PNG ──────────────────────────────────────────────────────────────────────────────────────────────────────────

export function ihdr(width: number, height: number, bitDepth = 8, colorType = 6): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = bitDepth;
  data[9] = colorType;
  return encodePngChunk('IHDR', data);
}

export function idat(): Uint8Array {
  return encodePngChunk('IDAT', new Uint8Array(zlib.deflateSync(new Uint8Array(5))));
}

export function iend(): Uint8Array {
  return encodePngChunk('IEND', new Uint8Array(0));
}

export function tEXt(keyword: string, text: string): Uint8Array {
  return encodePngChunk('tEXt', concatBytes([latin1(keyword), Uint8Array.of(0), latin1(text)]));
}

export function zTXt(keyword: string, text: string): Uint8Array {
  return encodePngChunk('zTXt', concatBytes([latin1(keyword), Uint8Array.of(0, 0), new Uint8Array(zlib.deflateSync(latin1(text)))]));
}

export function iTXt(keyword: string, text: string, compressed: boolean): Uint8Array {
  const body = compressed ? new Uint8Array(zlib.deflateSync(utf8(text))) : utf8(text);
  return encodePngChunk(
    'iTXt',
    concatBytes([
      latin1(keyword),
      Uint8Array.of(0, compressed ? 1 : 0, 0),
      latin1('en'),
      Uint8Array.of(0),
      utf8('Chara'),
      Uint8Array.of(0),
      body,
    ]),
  );
}

/** A 1×1 PNG (or `width`×`height` as declared) with the given chunks between IDAT and IEND. */
export function buildPng(
  extra: readonly Uint8Array[] = [],
  options: { width?: number; height?: number; before?: readonly Uint8Array[] } = {},
): Uint8Array {
  return concatBytes([PNG_SIGNATURE, ihdr(options.width ?? 1, options.height ?? 1), ...(options.before ?? []), idat(), ...extra, iend()]);
}

export function cardJson(name = 'Tester', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    spec: 'chara_card_v2',
    spec_version: '2.0',
    data: { name, description: 'd', personality: '', scenario: '', first_mes: `Hi, I am ${name}`, mes_example: '', ...extra },
  });
}

// ── EXIF / TIFF ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface TiffOptions {
  littleEndian?: boolean;
  /** Put UserComment directly in IFD0 instead of the Exif sub-IFD. */
  inIfd0?: boolean;
  /** Type of the UserComment field (7 = UNDEFINED). */
  type?: number;
  /** Override the value offset (for out-of-bounds tests). */
  badOffset?: number;
}

export function buildTiff(comment: Uint8Array, options: TiffOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const size = 8 + 18 + 18 + comment.length + 4;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out[0] = le ? 0x49 : 0x4d;
  out[1] = out[0];
  v.setUint16(2, 42, le);
  v.setUint32(4, 8, le);
  const writeEntry = (at: number, tag: number, type: number, count: number, value: number): void => {
    v.setUint16(at, tag, le);
    v.setUint16(at + 2, type, le);
    v.setUint32(at + 4, count, le);
    v.setUint32(at + 8, value, le);
  };
  const commentAt = 44;
  v.setUint16(8, 1, le);
  if (options.inIfd0) writeEntry(10, 0x9286, options.type ?? 7, comment.length, options.badOffset ?? commentAt);
  else writeEntry(10, 0x8769, 4, 1, 26);
  v.setUint32(22, 0, le);
  v.setUint16(26, 1, le);
  writeEntry(28, options.inIfd0 ? 0x010e : 0x9286, options.type ?? 7, comment.length, options.badOffset ?? commentAt);
  v.setUint32(40, 0, le);
  out.set(comment, commentAt);
  return out;
}

export function userComment(prefix: 'ASCII' | 'UNICODE-LE' | 'UNICODE-BE' | 'UNDEFINED' | 'none', text: string): Uint8Array {
  switch (prefix) {
    case 'ASCII':
      return concatBytes([latin1('ASCII\0\0\0'), utf8(text)]);
    case 'UNDEFINED':
      return concatBytes([new Uint8Array(8), utf8(text)]);
    case 'UNICODE-LE':
      return concatBytes([latin1('UNICODE\0'), new Uint8Array(Buffer.from(text, 'utf16le'))]);
    case 'UNICODE-BE': {
      const le = Buffer.from(text, 'utf16le');
      const be = new Uint8Array(le.length);
      for (let i = 0; i + 1 < le.length; i += 2) {
        be[i] = le[i + 1]!;
        be[i + 1] = le[i]!;
      }
      return concatBytes([latin1('UNICODE\0'), be]);
    }
    case 'none':
      return utf8(text);
  }
}

// ── WEBP ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** 1×1 lossless VP8L bitstream (the well-known feature-detection image). */
const VP8L_1x1 = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64').subarray(20, 33);

function riffChunk(type: string, data: Uint8Array): Uint8Array {
  const header = new Uint8Array(8);
  header.set(latin1(type), 0);
  new DataView(header.buffer).setUint32(4, data.length, true);
  return concatBytes([header, data, data.length % 2 ? new Uint8Array(1) : new Uint8Array(0)]);
}

export function buildWebp(exif: Uint8Array | null, options: { exifHeader?: boolean; width?: number; height?: number } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  if (exif || options.width) {
    const vp8x = new Uint8Array(10);
    vp8x[0] = exif ? 0x08 : 0;
    const w = (options.width ?? 1) - 1;
    const h = (options.height ?? 1) - 1;
    vp8x.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 4);
    chunks.push(riffChunk('VP8X', vp8x));
  }
  chunks.push(riffChunk('VP8L', new Uint8Array(VP8L_1x1)));
  if (exif) chunks.push(riffChunk('EXIF', options.exifHeader ? concatBytes([latin1('Exif\0\0'), exif]) : exif));
  const body = concatBytes([latin1('WEBP'), ...chunks]);
  const header = new Uint8Array(8);
  header.set(latin1('RIFF'), 0);
  new DataView(header.buffer).setUint32(4, body.length, true);
  return concatBytes([header, body]);
}

// ── JPEG ─────────────────────────────────────────────────────────────────────────────────────────────────────────

function segment(marker: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  out[0] = 0xff;
  out[1] = marker;
  new DataView(out.buffer).setUint16(2, data.length + 2);
  out.set(data, 4);
  return out;
}

export function buildJpeg(exif: Uint8Array | null, options: { width?: number; height?: number } = {}): Uint8Array {
  const sof = new Uint8Array(15);
  const v = new DataView(sof.buffer);
  sof[0] = 8;
  v.setUint16(1, options.height ?? 1);
  v.setUint16(3, options.width ?? 1);
  sof[5] = 3;
  sof.set([1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1], 6);
  const parts: Uint8Array[] = [Uint8Array.of(0xff, 0xd8)];
  parts.push(segment(0xe0, concatBytes([latin1('JFIF\0'), Uint8Array.of(1, 1, 0, 0, 1, 0, 1, 0, 0)])));
  if (exif) parts.push(segment(0xe1, concatBytes([latin1('Exif\0\0'), exif])));
  parts.push(segment(0xc0, sof));
  parts.push(segment(0xda, Uint8Array.of(3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0)));
  parts.push(Uint8Array.of(0x12, 0x34, 0x56, 0xff, 0x00, 0x78, 0xff, 0xd9));
  return concatBytes(parts);
}

// ── ZIP (raw writer for malformed archives) ──────────────────────────────────────────────────────────────────────

export interface RawZipEntry {
  name: string;
  /** Bytes as stored in the archive (already deflated when method is 8). */
  stored: Uint8Array;
  method?: number;
  crc: number;
  uncompressedSize: number;
  /** Declared compressed size; defaults to stored.length. */
  compressedSize?: number;
  flags?: number;
}

export function rawEntry(name: string, content: Uint8Array, method: 0 | 8 = 8): RawZipEntry {
  const stored = method === 8 ? new Uint8Array(zlib.deflateRawSync(content)) : content;
  return { name, stored, method, crc: zlib.crc32(content) >>> 0, uncompressedSize: content.length };
}

export function buildRawZip(entries: readonly RawZipEntry[], options: { declaredCount?: number } = {}): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = utf8(e.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, e.flags ?? 0x0800, true);
    lv.setUint16(8, e.method ?? 8, true);
    lv.setUint32(14, e.crc, true);
    lv.setUint32(18, e.compressedSize ?? e.stored.length, true);
    lv.setUint32(22, e.uncompressedSize, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, e.flags ?? 0x0800, true);
    cv.setUint16(10, e.method ?? 8, true);
    cv.setUint32(16, e.crc, true);
    cv.setUint32(20, e.compressedSize ?? e.stored.length, true);
    cv.setUint32(24, e.uncompressedSize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, e.stored);
    centrals.push(central);
    offset += local.length + e.stored.length;
  }
  const cd = concatBytes(centrals);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, options.declaredCount ?? entries.length, true);
  ev.setUint16(10, options.declaredCount ?? entries.length, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, offset, true);
  return concatBytes([...locals, cd, eocd]);
}

/** The same archive in ZIP64 form: 0xFFFFFFFF placeholders, ZIP64 extra fields, ZIP64 end records. */
export function buildZip64(entries: readonly RawZipEntry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = utf8(e.name);
    const local = new Uint8Array(30 + name.length + 20);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 45, true);
    lv.setUint16(6, 0x0800, true);
    lv.setUint16(8, e.method ?? 8, true);
    lv.setUint32(14, e.crc, true);
    lv.setUint32(18, 0xffffffff, true);
    lv.setUint32(22, 0xffffffff, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 20, true);
    local.set(name, 30);
    lv.setUint16(30 + name.length, 1, true);
    lv.setUint16(32 + name.length, 16, true);
    lv.setBigUint64(34 + name.length, BigInt(e.uncompressedSize), true);
    lv.setBigUint64(42 + name.length, BigInt(e.stored.length), true);
    const central = new Uint8Array(46 + name.length + 28);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, e.method ?? 8, true);
    cv.setUint32(16, e.crc, true);
    cv.setUint32(20, 0xffffffff, true);
    cv.setUint32(24, 0xffffffff, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, 28, true);
    cv.setUint32(42, 0xffffffff, true);
    central.set(name, 46);
    cv.setUint16(46 + name.length, 1, true);
    cv.setUint16(48 + name.length, 24, true);
    cv.setBigUint64(50 + name.length, BigInt(e.uncompressedSize), true);
    cv.setBigUint64(58 + name.length, BigInt(e.stored.length), true);
    cv.setBigUint64(66 + name.length, BigInt(offset), true);
    locals.push(local, e.stored);
    centrals.push(central);
    offset += local.length + e.stored.length;
  }
  const cd = concatBytes(centrals);
  const end64 = new Uint8Array(56);
  const v64 = new DataView(end64.buffer);
  v64.setUint32(0, 0x06064b50, true);
  v64.setBigUint64(4, 44n, true);
  v64.setUint16(12, 45, true);
  v64.setUint16(14, 45, true);
  v64.setBigUint64(24, BigInt(entries.length), true);
  v64.setBigUint64(32, BigInt(entries.length), true);
  v64.setBigUint64(40, BigInt(cd.length), true);
  v64.setBigUint64(48, BigInt(offset), true);
  const locator = new Uint8Array(20);
  const lv = new DataView(locator.buffer);
  lv.setUint32(0, 0x07064b50, true);
  lv.setBigUint64(8, BigInt(offset + cd.length), true);
  lv.setUint32(16, 1, true);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 0xffff, true);
  ev.setUint16(10, 0xffff, true);
  ev.setUint32(12, 0xffffffff, true);
  ev.setUint32(16, 0xffffffff, true);
  return concatBytes([...locals, cd, end64, locator, eocd]);
}

/** 1×1 lossy VP8 WEBP (the well-known feature-detection image). */
export const LOSSY_WEBP = new Uint8Array(Buffer.from('UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA', 'base64'));
