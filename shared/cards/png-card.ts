/**
 * Cards inside PNG/APNG: reading the `ccv3` / `chara` text chunks (ccv3 wins, keyword case-insensitive, any of
 * tEXt/zTXt/iTXt) and legacy `chara-ext-asset_:<path>` asset chunks; writing them back onto an image.
 */
import zlib from 'node:zlib';
import { copyBytes } from './bytes.ts';
import type { CardImage, ContainerFile } from './card-assets.ts';
import { CardFailure, fail } from './card-errors.ts';
import type { CardBuildContext } from './card-json.ts';
import { decodeBase64OrJsonPayload, decodeBase64Payload } from './card-payload.ts';
import {
  PNG_SIGNATURE,
  concatBytes,
  encodePngChunk,
  encodeTextChunk,
  isTextChunk,
  readPng,
  readTextKeyword,
  readTextPayload,
  type ImageLimits,
  type PngChunk,
  type PngInfo,
} from './png-chunks.ts';

export const ASSET_KEYWORD_PREFIX = 'chara-ext-asset_';
/** PNG keywords are at most 79 Latin-1 bytes. */
export const MAX_PNG_KEYWORD_LENGTH = 79;

export interface PngCardExtraction {
  /** The parsed card document, or null when the PNG has no card chunk. */
  document: unknown;
  /** The PNG without card and asset chunks (and without bytes after IEND). */
  avatar: CardImage;
  files: ContainerFile[];
  animated: boolean;
}

interface KeywordChunk {
  keyword: string;
  chunk: PngChunk;
}

function isCardKeyword(lower: string): boolean {
  return lower === 'ccv3' || lower === 'chara';
}

function stripChunks(bytes: Uint8Array, info: PngInfo, remove: ReadonlySet<PngChunk>): Uint8Array {
  const last = info.chunks[info.chunks.length - 1]!;
  if (remove.size === 0) return copyBytes(bytes, 0, last.end);
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const chunk of info.chunks) if (!remove.has(chunk)) parts.push(bytes.subarray(chunk.start, chunk.end));
  return concatBytes(parts);
}

export function extractPngCard(bytes: Uint8Array, ctx: CardBuildContext): PngCardExtraction {
  const { limits, warnings } = ctx;
  const info = readPng(bytes, limits);
  if (info.trailingBytes > 0) warnings.push(`the PNG has ${info.trailingBytes} bytes after IEND; they were ignored`);

  const cardChunks = new Map<'ccv3' | 'chara', KeywordChunk[]>([
    ['ccv3', []],
    ['chara', []],
  ]);
  const assetChunks: KeywordChunk[] = [];
  const remove = new Set<PngChunk>();
  for (const chunk of info.chunks) {
    if (!isTextChunk(chunk)) continue;
    const keyword = readTextKeyword(bytes, chunk);
    if (keyword === null) continue;
    const lower = keyword.toLowerCase();
    if (isCardKeyword(lower)) {
      cardChunks.get(lower as 'ccv3' | 'chara')!.push({ keyword, chunk });
      remove.add(chunk);
    } else if (lower.startsWith(ASSET_KEYWORD_PREFIX)) {
      assetChunks.push({ keyword, chunk });
      remove.add(chunk);
    }
  }

  let textBudget = limits.maxTotalTextBytes;
  const readPayload = ({ keyword, chunk }: KeywordChunk): Uint8Array => {
    const budgetBound = textBudget < limits.maxTextChunkBytes;
    let payload: Uint8Array;
    try {
      payload = readTextPayload(bytes, chunk, keyword, budgetBound ? textBudget : limits.maxTextChunkBytes);
    } catch (error) {
      if (budgetBound && error instanceof CardFailure && error.error.code === 'metadata_too_large') {
        fail('metadata_too_large', `the PNG's card and asset chunks together are larger than ${limits.maxTotalTextBytes} bytes`);
      }
      throw error;
    }
    textBudget -= payload.length;
    return payload;
  };

  let document: unknown = null;
  const ccv3 = cardChunks.get('ccv3')!;
  const chara = cardChunks.get('chara')!;
  if (ccv3.length > 1) warnings.push(`the PNG has ${ccv3.length} ccv3 chunks; the first one was used`);
  if (ccv3.length === 0 && chara.length > 1) warnings.push(`the PNG has ${chara.length} chara chunks; the first one was used`);
  const first = ccv3[0];
  if (first) {
    try {
      document = decodeBase64OrJsonPayload(readPayload(first), `PNG ${first.chunk.type} chunk "${first.keyword}"`, ctx);
    } catch (error) {
      const fallback = chara[0];
      if (!(error instanceof CardFailure) || !fallback) throw error;
      warnings.push(`the ccv3 chunk could not be read (${error.error.detail}); the chara chunk was used instead`);
      document = decodeBase64OrJsonPayload(readPayload(fallback), `PNG ${fallback.chunk.type} chunk "${fallback.keyword}"`, ctx);
    }
  } else if (chara[0]) {
    document = decodeBase64OrJsonPayload(readPayload(chara[0]), `PNG ${chara[0].chunk.type} chunk "${chara[0].keyword}"`, ctx);
  }

  const files: ContainerFile[] = [];
  for (const asset of assetChunks) {
    const path = asset.keyword.slice(ASSET_KEYWORD_PREFIX.length).replace(/^:/, '');
    if (path === '') {
      warnings.push(`the PNG asset chunk "${asset.keyword}" has no path; it was ignored`);
      continue;
    }
    const what = `PNG asset chunk "${asset.keyword}"`;
    const payload = readPayload(asset);
    const decoded = decodeBase64Payload(payload, what);
    if (files.some((f) => f.path === path)) warnings.push(`the PNG has several asset chunks for "${path}"; the first one was kept`);
    else files.push({ path, bytes: decoded });
  }

  return { document, avatar: { bytes: stripChunks(bytes, info, remove), mime: 'image/png' }, files, animated: info.animated };
}

function buildPlaceholderPng(): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, 1);
  view.setUint32(4, 1);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  // One transparent pixel: filter byte 0 then RGBA 0,0,0,0.
  const idat = zlib.deflateSync(new Uint8Array(5), { level: 9 });
  return concatBytes([
    PNG_SIGNATURE,
    encodePngChunk('IHDR', ihdr),
    encodePngChunk('IDAT', idat),
    encodePngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A valid 1×1 transparent PNG used when a card without avatar is exported as PNG. */
export const PLACEHOLDER_PNG: Uint8Array = buildPlaceholderPng();

const EXPORT_READ_LIMITS: ImageLimits = {
  maxImageChunks: Number.MAX_SAFE_INTEGER,
  maxImageWidth: 0x7fffffff,
  maxImageHeight: 0x7fffffff,
  maxImagePixels: Number.MAX_SAFE_INTEGER,
};

export interface PngEmbedding {
  /** JSON text for the `chara` chunk (V2-compatible). */
  charaJson: string;
  /** JSON text for the `ccv3` chunk. */
  ccv3Json: string;
  /** Written as `chara-ext-asset_:<path>` chunks. */
  assets: readonly ContainerFile[];
}

function base64Utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Writes `chara` then `ccv3` (and asset chunks) before IEND, after removing every existing card and asset text chunk;
 * all other chunks (including APNG animation chunks) are kept in order. Throws CardFailure `corrupt_image` if `png`
 * is not a valid PNG.
 */
export function embedCardInPng(png: Uint8Array, embedding: PngEmbedding): Uint8Array {
  const info = readPng(png, EXPORT_READ_LIMITS);
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  let iend: PngChunk | undefined;
  for (const chunk of info.chunks) {
    if (chunk.type === 'IEND') {
      iend = chunk;
      continue;
    }
    if (isTextChunk(chunk)) {
      const lower = readTextKeyword(png, chunk)?.toLowerCase();
      if (lower !== undefined && (isCardKeyword(lower) || lower.startsWith(ASSET_KEYWORD_PREFIX))) continue;
    }
    parts.push(png.subarray(chunk.start, chunk.end));
  }
  if (!iend) fail('corrupt_image', 'the PNG has no IEND chunk');
  parts.push(encodeTextChunk('chara', base64Utf8(embedding.charaJson)));
  parts.push(encodeTextChunk('ccv3', base64Utf8(embedding.ccv3Json)));
  for (const asset of embedding.assets) {
    const keyword = `${ASSET_KEYWORD_PREFIX}:${asset.path}`;
    parts.push(
      encodeTextChunk(keyword, Buffer.from(asset.bytes.buffer, asset.bytes.byteOffset, asset.bytes.byteLength).toString('base64')),
    );
  }
  parts.push(png.subarray(iend.start, iend.end));
  return concatBytes(parts);
}
