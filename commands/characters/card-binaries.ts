import type { BlobStore } from '../../infra/blobs/blob-store.ts';
import type { CardAsset, CardImage } from '../../shared/cards/index.ts';
import type { StoredAsset, StoredImage } from '../../shared/characters/stored-card.ts';

/** Puts an imported card's avatar and assets in the blob store (before any event refers to them). */
export async function storeCardBinaries(blobs: BlobStore, avatar: CardImage | undefined, assets: readonly CardAsset[]): Promise<{ avatar: StoredImage | null; assets: StoredAsset[] }> {
  const storedAvatar = avatar ? await blobs.put(avatar.bytes, avatar.mime) : null;
  const storedAssets: StoredAsset[] = [];
  for (const asset of assets) {
    const ref = await blobs.put(asset.bytes, asset.mime);
    storedAssets.push({ sha256: ref.sha256, mime: asset.mime, size: ref.size, path: asset.path, uri: asset.uri, type: asset.type, name: asset.name, ext: asset.ext });
  }
  return { avatar: storedAvatar ? { sha256: storedAvatar.sha256, mime: storedAvatar.mediaType, size: storedAvatar.size } : null, assets: storedAssets };
}

/** Loads a stored card's binaries back for export. */
export async function loadCardBinaries(blobs: BlobStore, avatar: StoredImage | null, assets: readonly StoredAsset[]): Promise<{ avatar?: CardImage; assets: CardAsset[] }> {
  const image = avatar ? await blobs.get(avatar.sha256) : undefined;
  const loaded: CardAsset[] = [];
  for (const a of assets) {
    const blob = await blobs.get(a.sha256);
    if (blob) loaded.push({ path: a.path, uri: a.uri, type: a.type, name: a.name, ext: a.ext, mime: a.mime, bytes: new Uint8Array(blob.bytes) });
  }
  return { ...(image ? { avatar: { bytes: new Uint8Array(image.bytes), mime: image.mediaType } } : {}), assets: loaded };
}
