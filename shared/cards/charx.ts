/**
 * CharX (`.charx`): a ZIP with the V3 card in `card.json` at the root and assets referenced from `data.assets` as
 * `embeded://path` (the spec's spelling; `embedded://` and `__asset:` are accepted too).
 *
 * Import: the main icon (`type: "icon"`, `name: "main"`, else the first icon) becomes the avatar; every other file
 * (referenced or not, e.g. RisuAI's `module.risum`) is returned as an asset with its path, so export can put it back.
 * A `card.json` inside a single top-level folder is accepted with a warning; `__MACOSX/` and `.DS_Store` are skipped.
 *
 * Export: when the card has no embedded main icon but an avatar is given, the avatar is written to
 * `assets/icon/images/main.<ext>` and an icon entry is added to `card.json` so that other apps show it. The original
 * `data.assets` is recorded in `x_card_export.json` (an app-specific root file, which the spec allows) and restored
 * on import as long as `card.json`'s `data.assets` is still exactly what was written — so round trips are lossless.
 */
import { zipSync, type Zippable } from 'fflate';
import { utf8Bytes } from './bytes.ts';
import { embeddedAssetPath, mainIconIndex, matchAssets, type CardAsset, type CardImage, type ContainerFile } from './card-assets.ts';
import { CardExportError, fail } from './card-errors.ts';
import { canonicalizeCardObject, checkCardDocumentSize, parseJsonDocument, toV3Json, type CardBuildContext } from './card-json.ts';
import type { CanonicalCard, CardAssetRef } from './card-schema.ts';
import { copyObject, getOwn, isPlainObject, jsonEqual, setOwn } from './json-value.ts';
import { extensionForMime } from './mime.ts';
import { checkUploadSize, createParseContext } from './parse-context.ts';
import { runParser, type CardParseOptions, type CardParseResult, type CardParseSuccess } from './parse-result.ts';
import { decodeUtf8 } from './text-decode.ts';
import { normalizeZipPath, readZipDirectory, readZipEntry, type ZipEntry } from './zip-reader.ts';

export const CHARX_EXPORT_META = 'x_card_export.json';
const CARD_JSON = 'card.json';

function isJunk(path: string): boolean {
  return path.startsWith('__MACOSX/') || path === '.DS_Store' || path.endsWith('/.DS_Store');
}

function findCardJson(entries: readonly ZipEntry[], warnings: string[]): { entry: ZipEntry; prefix: string } {
  const root = entries.find((e) => e.path === CARD_JSON);
  if (root) return { entry: root, prefix: '' };
  const nested = entries.filter((e) => !isJunk(e.path) && e.path.split('/').length === 2 && e.path.endsWith(`/${CARD_JSON}`));
  if (nested.length === 1) {
    const entry = nested[0]!;
    const prefix = entry.path.slice(0, -CARD_JSON.length);
    warnings.push(`card.json was found in the folder "${prefix}" instead of the archive root`);
    return { entry, prefix };
  }
  return fail('missing_card_json', 'the CharX archive has no card.json at its root');
}

interface ExportMeta {
  original: unknown;
  written: unknown;
}

function readExportMeta(bytes: Uint8Array | undefined, ctx: CardBuildContext): ExportMeta | null {
  if (!bytes) return null;
  try {
    checkCardDocumentSize(bytes.length, ctx.limits, CHARX_EXPORT_META);
    const doc = parseJsonDocument(decodeUtf8(bytes, CHARX_EXPORT_META), ctx, CHARX_EXPORT_META);
    if (!isPlainObject(doc)) return null;
    const assets = getOwn(doc, 'data_assets');
    if (!isPlainObject(assets) || !('written' in assets)) return null;
    return { original: getOwn(assets, 'original'), written: getOwn(assets, 'written') };
  } catch {
    ctx.warnings.push(`${CHARX_EXPORT_META} could not be read; ignored`);
    return null;
  }
}

export function parseCharxCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    const entries = readZipDirectory(bytes, ctx.limits);
    const { entry: cardEntry, prefix } = findCardJson(entries, ctx.warnings);
    if (cardEntry.uncompressedSize > ctx.limits.maxCardJsonBytes) {
      fail('card_too_large', `card.json is ${cardEntry.uncompressedSize} bytes; at most ${ctx.limits.maxCardJsonBytes} are allowed`);
    }
    const document = parseJsonDocument(decodeUtf8(readZipEntry(bytes, cardEntry), 'card.json'), ctx, 'card.json');

    const files: ContainerFile[] = [];
    let metaBytes: Uint8Array | undefined;
    for (const entry of entries) {
      if (entry === cardEntry || isJunk(entry.path)) continue;
      const content = readZipEntry(bytes, entry);
      if (entry.path === prefix + CHARX_EXPORT_META) metaBytes = content;
      else files.push({ path: entry.path, bytes: content });
    }

    // Resolve files against the references as written, then restore the pre-export asset list if untouched.
    const rawData = isPlainObject(document) ? getOwn(document, 'data') : undefined;
    const writtenRefs = isPlainObject(rawData) ? getOwn(rawData, 'assets') : undefined;
    const meta = readExportMeta(metaBytes, ctx);
    let restored: unknown = document;
    if (meta && isPlainObject(document) && isPlainObject(rawData) && jsonEqual(meta.written, writtenRefs)) {
      const data = copyObject(rawData);
      if (meta.original === null || meta.original === undefined) delete data.assets;
      else setOwn(data, 'assets', meta.original);
      restored = copyObject(document);
      setOwn(restored as Record<string, unknown>, 'data', data);
    }

    const { card, source } = canonicalizeCardObject(restored, ctx);
    if (source.dialect !== 'v3') ctx.warnings.push(`card.json is a ${source.dialect} card, not V3`);
    const refsForFiles = restored === document ? card.data.assets : refsForMatching(writtenRefs, ctx);
    const matched = matchAssets(files, refsForFiles, true, ctx.warnings, prefix);
    const result: CardParseSuccess = { ok: true, card, assets: matched.assets, sourceFormat: 'charx', source, warnings: ctx.warnings };
    if (matched.avatar) result.avatar = matched.avatar;
    return result;
  });
}

/** The written (export-time) asset list, normalised only as far as matching needs. */
function refsForMatching(refs: unknown, ctx: CardBuildContext): CardAssetRef[] | undefined {
  if (!Array.isArray(refs)) return undefined;
  const out: CardAssetRef[] = [];
  for (const ref of refs) {
    if (!isPlainObject(ref)) continue;
    const uri = getOwn(ref, 'uri');
    const type = getOwn(ref, 'type');
    const name = getOwn(ref, 'name');
    const ext = getOwn(ref, 'ext');
    if (typeof uri !== 'string' || typeof type !== 'string') continue;
    out.push({ type, uri, name: typeof name === 'string' ? name : '', ext: typeof ext === 'string' ? ext : 'unknown' });
  }
  if (out.length !== refs.length) ctx.warnings.push(`${CHARX_EXPORT_META} lists malformed asset entries; they were ignored`);
  return out;
}

// Media that is already compressed is stored, everything else deflated.
const STORED_EXTENSIONS = new Set([
  'png',
  'apng',
  'jpg',
  'jpeg',
  'webp',
  'gif',
  'avif',
  'mp3',
  'ogg',
  'mp4',
  'webm',
  'zip',
  'risum',
  'woff',
  'woff2',
]);
// Fixed timestamp so the same input always gives the same bytes.
const ZIP_MTIME = new Date(Date.UTC(2024, 0, 1));

/** The normalised ZIP path for `path`, or null when it is empty, a directory, or unsafe. */
function safeZipPath(path: string | null): string | null {
  if (path === null) return null;
  try {
    const normalized = normalizeZipPath(path);
    return normalized !== '' && !normalized.endsWith('/') ? normalized : null;
  } catch {
    return null;
  }
}

function safeExportPath(asset: CardAsset): string {
  const path = safeZipPath(asset.path);
  if (path !== null) return path;
  const folder = (asset.type ?? 'other').replace(/[^A-Za-z0-9_-]/g, '_') || 'other';
  const name = (asset.name ?? 'asset').replace(/[^A-Za-z0-9_. -]/g, '_') || 'asset';
  return `assets/${folder}/${name}.${asset.ext.replace(/[^A-Za-z0-9]/g, '') || 'bin'}`;
}

export interface CharxExportInput {
  avatar?: CardImage | undefined;
  assets?: readonly CardAsset[] | undefined;
}

export function buildCharx(card: CanonicalCard, input: CharxExportInput, warnings: string[]): Uint8Array {
  const files = new Map<string, Uint8Array>();
  const put = (path: string, bytes: Uint8Array): void => {
    const existing = files.get(path);
    if (existing && !bytesEqual(existing, bytes))
      throw new CardExportError('asset_path_conflict', `two different files would be written to "${path}"`);
    files.set(path, bytes);
  };
  for (const asset of input.assets ?? []) {
    const path = safeExportPath(asset);
    if (path === CARD_JSON || path === CHARX_EXPORT_META)
      throw new CardExportError('asset_path_conflict', `an asset cannot be written to the reserved path "${path}"`);
    put(path, asset.bytes);
  }

  let writtenAssets = card.data.assets;
  let meta: ExportMeta | null = null;
  if (input.avatar) {
    const refs = card.data.assets ?? [];
    const icon = mainIconIndex(refs);
    const iconPath = icon === -1 ? null : safeZipPath(embeddedAssetPath(refs[icon]!.uri));
    if (iconPath !== null) {
      put(iconPath, input.avatar.bytes);
    } else {
      const ext = extensionForMime(input.avatar.mime);
      let path = `assets/icon/images/main.${ext}`;
      for (let n = 2; files.has(path); n++) path = `assets/icon/images/main_${n}.${ext}`;
      put(path, input.avatar.bytes);
      const ref: CardAssetRef = { type: 'icon', uri: `embeded://${path}`, name: 'main', ext };
      // A `ccdefault:` main icon means "the default image"; here that image is the avatar, so it takes the slot.
      writtenAssets = icon === -1 ? [ref, ...refs] : refs.map((r, i) => (i === icon ? ref : r));
      meta = { original: card.data.assets ?? null, written: writtenAssets };
    }
  }
  for (const ref of writtenAssets ?? []) {
    const path = safeZipPath(embeddedAssetPath(ref.uri));
    if (path !== null && !files.has(path)) warnings.push(`data.assets refers to ${ref.uri}, but no such asset was given`);
  }

  const data = copyObject(card.data);
  if (writtenAssets === undefined) delete data.assets;
  else data.assets = writtenAssets;
  const json = JSON.stringify(toV3Json({ ...card, data: data as CanonicalCard['data'] }));
  const zippable: Zippable = {};
  zippable[CARD_JSON] = [utf8Bytes(json), { level: 6 }];
  if (meta) zippable[CHARX_EXPORT_META] = [utf8Bytes(JSON.stringify({ version: 1, data_assets: meta })), { level: 6 }];
  for (const [path, bytes] of files) {
    const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
    setOwn(zippable as Record<string, unknown>, path, [bytes, { level: STORED_EXTENSIONS.has(ext) ? 0 : 6 }]);
  }
  return zipSync(zippable, { mtime: ZIP_MTIME });
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
