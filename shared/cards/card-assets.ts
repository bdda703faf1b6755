/**
 * Binary assets that travel with a card (CharX entries, legacy PNG `chara-ext-asset_:` chunks) and how they are
 * matched with the card's `data.assets` references.
 */
import type { CardAssetRef } from './card-schema.ts';
import { pathExtension, sniffMime } from './mime.ts';

export interface CardImage {
  bytes: Uint8Array;
  mime: string;
}

export interface CardAsset {
  /** Path inside the container (ZIP entry name, or the `chara-ext-asset_:` suffix). Export writes the asset back here. */
  path: string;
  /** The `data.assets[].uri` that refers to this file, or null if no entry does (e.g. RisuAI's `module.risum`). */
  uri: string | null;
  /** From the referring `data.assets` entry, or null. */
  type: string | null;
  name: string | null;
  /** From the referring entry, else the file extension, else `unknown`. */
  ext: string;
  mime: string;
  bytes: Uint8Array;
}

export interface ContainerFile {
  path: string;
  bytes: Uint8Array;
}

const EMBEDDED_PREFIXES = ['embeded://', 'embedded://', '__asset:'];

/** The in-container path an asset URI points to (`embeded://`, `embedded://`, `__asset:`), or null for other URIs. */
export function embeddedAssetPath(uri: string): string | null {
  const lower = uri.slice(0, 12).toLowerCase();
  for (const prefix of EMBEDDED_PREFIXES) {
    if (lower.startsWith(prefix)) {
      const path = uri
        .slice(prefix.length)
        .replace(/\\/g, '/')
        .split('/')
        .filter((segment) => segment !== '' && segment !== '.')
        .join('/');
      return path === '' ? null : path;
    }
  }
  return null;
}

/** Index of the main icon in `data.assets`: the `icon` named `main`, else the first `icon`; -1 if none. */
export function mainIconIndex(refs: readonly CardAssetRef[] | undefined): number {
  if (!refs) return -1;
  const main = refs.findIndex((r) => r.type === 'icon' && r.name === 'main');
  return main !== -1 ? main : refs.findIndex((r) => r.type === 'icon');
}

export interface MatchedAssets {
  assets: CardAsset[];
  avatar?: CardImage;
}

/**
 * Attaches reference info to container files. With `pickAvatar`, the file the main icon points to becomes the
 * avatar and is left out of `assets`. References to files that are not in the container are reported in `warnings`.
 */
export function matchAssets(
  files: readonly ContainerFile[],
  refs: readonly CardAssetRef[] | undefined,
  pickAvatar: boolean,
  warnings: string[],
  lookupPrefix = '',
): MatchedAssets {
  const byPath = new Map<string, ContainerFile>();
  for (const f of files) byPath.set(f.path, f);
  const refFor = new Map<string, CardAssetRef>();
  let avatarPath: string | null = null;
  const iconIndex = mainIconIndex(refs);
  (refs ?? []).forEach((ref, i) => {
    const path = embeddedAssetPath(ref.uri);
    if (path === null) return;
    const full = byPath.has(lookupPrefix + path) ? lookupPrefix + path : path;
    if (!byPath.has(full)) {
      warnings.push(`data.assets[${i}] refers to ${ref.uri}, which is not in the file`);
      return;
    }
    if (!refFor.has(full)) refFor.set(full, ref);
    if (pickAvatar && i === iconIndex) avatarPath = full;
  });
  const result: MatchedAssets = { assets: [] };
  for (const file of files) {
    if (file.path === avatarPath) {
      result.avatar = { bytes: file.bytes, mime: sniffMime(file.bytes, pathExtension(file.path)) };
      continue;
    }
    const ref = refFor.get(file.path);
    const fileExt = pathExtension(file.path);
    result.assets.push({
      path: file.path,
      uri: ref?.uri ?? null,
      type: ref?.type ?? null,
      name: ref?.name ?? null,
      ext: ref?.ext ?? fileExt ?? 'unknown',
      mime: sniffMime(file.bytes, ref?.ext ?? fileExt),
      bytes: file.bytes,
    });
  }
  return result;
}
