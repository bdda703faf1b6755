/**
 * A character in tldw_server's `CharacterResponse` shape: the `CharacterBase` fields (ours carry the same names),
 * `id`, `version`, `created_at`, `updated_at`, `last_modified` (the same instant as `updated_at`, as there) and
 * `image_present`; `image_base64` only where the route asks for it. Ids are our UUIDs.
 */
import type { BlobStore } from '../../../infra/blobs/blob-store.ts';
import { characterImageBase64 } from '../../../queries/character-image.ts';
import type { CharacterViewRow } from '../../../queries/characters-queries.ts';
import { basicFieldsOf, type CardBasicFields } from '../../../shared/cards/index.ts';

export interface TldwCharacter extends CardBasicFields {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  last_modified: string;
  image_present: boolean;
  image_base64?: string | null;
}

export function toTldwCharacter(row: CharacterViewRow): TldwCharacter {
  const updated = row.updated_at.toISOString();
  return {
    id: row.id,
    ...basicFieldsOf(row),
    version: row.version,
    created_at: row.created_at.toISOString(),
    updated_at: updated,
    last_modified: updated,
    image_present: row.avatar !== null,
  };
}

export async function toTldwCharacterWithImage(blobStore: BlobStore, row: CharacterViewRow): Promise<TldwCharacter> {
  return { ...toTldwCharacter(row), image_base64: await characterImageBase64(blobStore, row) };
}
