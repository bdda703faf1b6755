import type { BlobReservation } from '../../infra/blobs/blob-quota.ts';
import type { BlobStore } from '../../infra/blobs/blob-store.ts';
import { sha256Hex } from '../../infra/blobs/blob-store.ts';
import type { CardAsset, CardImage } from '../../shared/cards/index.ts';
import type { StoredAsset, StoredImage } from '../../shared/characters/stored-card.ts';

export interface PlannedBinaries {
  avatar: StoredImage | null;
  assets: StoredAsset[];
  /** Charges the owner's storage quota for them (413 `quota_exceeded` beyond it); call before anything is written. */
  reserve(ownerId: string, quotaBytes: number): Promise<BlobReservation>;
  /** Writes the bytes; must complete before an event referring to them is appended. */
  write(): Promise<void>;
}

/**
 * An imported card's avatar and assets as blob references (hashes computed here) plus the write that puts
 * them in the blob store, so the caller can overlap the write with other work before its append.
 */
export function planCardBinaries(blobs: BlobStore, avatar: CardImage | undefined, assets: readonly CardAsset[]): PlannedBinaries {
  const storedAvatar = avatar ? { sha256: sha256Hex(avatar.bytes), mime: avatar.mime, size: avatar.bytes.byteLength } : null;
  const storedAssets: StoredAsset[] = assets.map((a) => ({
    sha256: sha256Hex(a.bytes),
    mime: a.mime,
    size: a.bytes.byteLength,
    path: a.path,
    uri: a.uri,
    type: a.type,
    name: a.name,
    ext: a.ext,
  }));
  let writing: Promise<void> | undefined;
  return {
    avatar: storedAvatar,
    assets: storedAssets,
    reserve(ownerId, quotaBytes) {
      return blobs.reserve(ownerId, [...(storedAvatar ? [storedAvatar] : []), ...storedAssets], quotaBytes);
    },
    write() {
      writing ??= (async () => {
        await Promise.all([...(avatar ? [blobs.put(avatar.bytes, avatar.mime)] : []), ...assets.map((a) => blobs.put(a.bytes, a.mime))]);
      })();
      return writing;
    },
  };
}

/** Loads a stored card's binaries back for export. */
export async function loadCardBinaries(
  blobs: BlobStore,
  avatar: StoredImage | null,
  assets: readonly StoredAsset[],
): Promise<{ avatar?: CardImage; assets: CardAsset[] }> {
  const [image, ...loaded] = await Promise.all([
    avatar ? blobs.get(avatar.sha256) : Promise.resolve(undefined),
    ...assets.map((a) => blobs.get(a.sha256)),
  ]);
  const out: CardAsset[] = [];
  assets.forEach((a, i) => {
    const blob = loaded[i];
    if (blob)
      out.push({ path: a.path, uri: a.uri, type: a.type, name: a.name, ext: a.ext, mime: a.mime, bytes: new Uint8Array(blob.bytes) });
  });
  return { ...(image ? { avatar: { bytes: new Uint8Array(image.bytes), mime: image.mediaType } } : {}), assets: out };
}
