/**
 * A defensive ZIP reader for CharX. The central directory is parsed and every guard (entry count, declared sizes,
 * compression ratio, encryption, method, path safety, duplicate names) is applied before anything is inflated.
 * Inflation is then capped at each entry's declared size and the result's size and CRC-32 are verified.
 *
 * Not fflate's `unzipSync`: it inflates into a buffer of the *declared* size and silently drops output beyond it,
 * so an entry that lies about its size still costs CPU for its full real size and cannot be detected. Node's
 * `inflateRawSync` with `maxOutputLength` stops at the cap. (fflate is used for writing, in charx.ts.)
 */
import zlib from 'node:zlib';
import { copyBytes, plainBytes } from './bytes.ts';
import { fail } from './card-errors.ts';

export interface ZipLimits {
  maxArchiveEntries: number;
  maxArchiveUncompressedBytes: number;
  maxArchiveEntryBytes: number;
  maxCompressionRatio: number;
  compressionRatioMinBytes: number;
}

export interface ZipEntry {
  /** Normalised path (`/` separators, no `.` segments). */
  path: string;
  isDirectory: boolean;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export function hasZipSignature(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))
  );
}

function u64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail('corrupt_archive', 'the ZIP declares an impossible 64-bit size or offset');
  return Number(value);
}

function findEocd(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let i = bytes.length - 22; i >= lowest; i--) {
    if (view.getUint32(i, true) === SIG_EOCD && i + 22 + view.getUint16(i + 20, true) <= bytes.length) return i;
  }
  return fail('corrupt_archive', 'the file is not a ZIP archive (no end-of-central-directory record)');
}

const utf8Lenient = new TextDecoder('utf-8');

/** `a\b/./c` → `a/b/c`; rejects absolute paths, drive letters, `..` and NUL. */
export function normalizeZipPath(raw: string): string {
  if (raw.includes('\0')) fail('unsafe_archive_path', 'a ZIP entry name contains a NUL byte');
  const slashed = raw.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) fail('unsafe_archive_path', `the ZIP entry "${raw}" has an absolute path`);
  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '..') fail('unsafe_archive_path', `the ZIP entry "${raw}" escapes the archive with ".."`);
    if (segment !== '' && segment !== '.') segments.push(segment);
  }
  return segments.join('/') + (slashed.endsWith('/') && segments.length > 0 ? '/' : '');
}

interface Zip64Fields {
  uncompressed: number;
  compressed: number;
  offset: number;
}

function readZip64Extra(
  view: DataView,
  start: number,
  end: number,
  need: { u: boolean; c: boolean; o: boolean },
  base: Zip64Fields,
): Zip64Fields {
  let p = start;
  while (p + 4 <= end) {
    const id = view.getUint16(p, true);
    const size = view.getUint16(p + 2, true);
    if (p + 4 + size > end) break;
    if (id === 0x0001) {
      let q = p + 4;
      const take = (): number => {
        if (q + 8 > p + 4 + size) fail('corrupt_archive', 'a ZIP64 extra field is too short');
        const v = u64(view, q);
        q += 8;
        return v;
      };
      return {
        uncompressed: need.u ? take() : base.uncompressed,
        compressed: need.c ? take() : base.compressed,
        offset: need.o ? take() : base.offset,
      };
    }
    p += 4 + size;
  }
  return fail('corrupt_archive', 'a ZIP entry needs ZIP64 sizes but has no ZIP64 extra field');
}

/** Reads and vets the central directory. Nothing is inflated. */
export function readZipDirectory(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  if (bytes.length < 22) fail('corrupt_archive', 'the file is too short to be a ZIP archive');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(bytes, view);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0)
    fail('corrupt_archive', 'multi-volume ZIP archives are not supported');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== SIG_ZIP64_LOCATOR)
      fail('corrupt_archive', 'the ZIP64 end-of-central-directory locator is missing');
    const z64 = u64(view, locator + 8);
    if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== SIG_ZIP64_EOCD)
      fail('corrupt_archive', 'the ZIP64 end-of-central-directory record is missing');
    count = u64(view, z64 + 32);
    cdSize = u64(view, z64 + 40);
    cdOffset = u64(view, z64 + 48);
  }
  if (count > limits.maxArchiveEntries)
    fail('too_many_entries', `the archive has ${count} entries; at most ${limits.maxArchiveEntries} are allowed`);
  if (cdOffset + cdSize > bytes.length) fail('corrupt_archive', 'the ZIP central directory lies outside the file');

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let totalUncompressed = 0;
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || view.getUint32(p, true) !== SIG_CENTRAL) fail('corrupt_archive', 'the ZIP central directory is malformed');
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const nameStart = p + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > cdEnd) fail('corrupt_archive', 'a ZIP central directory entry runs past the directory');
    let sizes: Zip64Fields = {
      compressed: view.getUint32(p + 20, true),
      uncompressed: view.getUint32(p + 24, true),
      offset: view.getUint32(p + 42, true),
    };
    const need = { u: sizes.uncompressed === 0xffffffff, c: sizes.compressed === 0xffffffff, o: sizes.offset === 0xffffffff };
    if (need.u || need.c || need.o) sizes = readZip64Extra(view, extraStart, extraStart + extraLength, need, sizes);

    const rawName = utf8Lenient.decode(bytes.subarray(nameStart, extraStart));
    const path = normalizeZipPath(rawName);
    const isDirectory = path.endsWith('/') || path === '';
    p = next;
    if (isDirectory) continue;
    if (seen.has(path)) fail('corrupt_archive', `the archive contains "${path}" more than once`);
    seen.add(path);
    if (flags & 0x0001) fail('encrypted_archive', `the archive entry "${path}" is encrypted`);
    if (method !== 0 && method !== 8)
      fail(
        'unsupported_compression',
        `the archive entry "${path}" uses compression method ${method}; only stored and deflate are supported`,
      );
    if (method === 0 && sizes.compressed !== sizes.uncompressed)
      fail('corrupt_archive', `the stored entry "${path}" has different compressed and uncompressed sizes`);
    if (sizes.uncompressed > limits.maxArchiveEntryBytes) {
      fail(
        'archive_too_large',
        `the archive entry "${path}" is ${sizes.uncompressed} bytes uncompressed; at most ${limits.maxArchiveEntryBytes} are allowed`,
      );
    }
    totalUncompressed += sizes.uncompressed;
    if (totalUncompressed > limits.maxArchiveUncompressedBytes) {
      fail('archive_too_large', `the archive expands to more than ${limits.maxArchiveUncompressedBytes} bytes`);
    }
    if (
      sizes.uncompressed > limits.compressionRatioMinBytes &&
      sizes.uncompressed > limits.maxCompressionRatio * Math.max(1, sizes.compressed)
    ) {
      fail('suspicious_compression_ratio', `the archive entry "${path}" compresses more than ${limits.maxCompressionRatio}:1`);
    }
    entries.push({
      path,
      isDirectory,
      method,
      flags,
      crc32,
      compressedSize: sizes.compressed,
      uncompressedSize: sizes.uncompressed,
      localHeaderOffset: sizes.offset,
    });
  }
  return entries;
}

/** The entry's bytes, inflated with a hard cap at its declared size, then checked for exact size and CRC-32. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== SIG_LOCAL)
    fail('corrupt_archive', `the local header of "${entry.path}" is missing`);
  const dataStart = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > bytes.length) fail('corrupt_archive', `the data of "${entry.path}" runs past the end of the file`);
  const raw = bytes.subarray(dataStart, dataEnd);
  let out: Uint8Array;
  if (entry.method === 0) {
    out = copyBytes(raw);
  } else {
    try {
      out = plainBytes(zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) }));
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return fail('corrupt_archive', `"${entry.path}" inflates to more than its declared ${entry.uncompressedSize} bytes`);
      }
      return fail('corrupt_archive', `"${entry.path}" is not valid deflate data`);
    }
  }
  if (out.length !== entry.uncompressedSize) {
    fail('corrupt_archive', `"${entry.path}" inflates to ${out.length} bytes instead of the declared ${entry.uncompressedSize}`);
  }
  if (zlib.crc32(out) >>> 0 !== entry.crc32) fail('corrupt_archive', `"${entry.path}" fails its CRC-32 check`);
  return out;
}
