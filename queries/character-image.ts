import type { BlobStore } from '../infra/blobs/blob-store.ts';
import type { CharacterViewRow } from './characters-queries.ts';

/** The character's image as base64 (null without one, or when its bytes are gone from the blob store). */
export async function characterImageBase64(blobStore: BlobStore, row: Pick<CharacterViewRow, 'avatar'>): Promise<string | null> {
  if (!row.avatar) return null;
  const blob = await blobStore.get(row.avatar.sha256);
  return blob ? Buffer.from(blob.bytes).toString('base64') : null;
}
