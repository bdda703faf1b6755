import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/** The read-model columns that refer to stored blobs: characters' avatars and assets, messages' images, personas' avatars. */

/** Blob hashes a user's rows refer to. */
export async function userBlobReferences(db: Kysely<ReadModels>, schema: string, userId: string): Promise<string[]> {
  const characters = sql.id(schema, 'characters');
  const { rows } = await sql<{ sha256: string }>`
    SELECT c.avatar->>'sha256' AS sha256 FROM ${characters} c WHERE c.owner_id = ${userId} AND c.avatar IS NOT NULL
    UNION SELECT a->>'sha256' FROM ${characters} c, jsonb_array_elements(c.assets) a WHERE c.owner_id = ${userId}
    UNION SELECT m.image_sha256 FROM ${sql.id(schema, 'chat_messages')} m JOIN ${sql.id(schema, 'chats')} ch ON ch.id = m.chat_id
           WHERE ch.owner_id = ${userId} AND m.image_sha256 IS NOT NULL
    UNION SELECT p.avatar->>'sha256' FROM ${sql.id(schema, 'personas')} p WHERE p.owner_id = ${userId} AND p.avatar IS NOT NULL
    UNION SELECT g.avatar->>'sha256' FROM ${sql.id(schema, 'groups')} g WHERE g.owner_id = ${userId} AND g.avatar IS NOT NULL`.execute(db);
  return rows.map((r) => r.sha256).filter((h): h is string => typeof h === 'string');
}

/**
 * A SQL condition, true when no row of the read models refers to the blob whose hash is `column`: handed to the
 * blob store's purge (infra/blobs/blob-erasure.ts), which checks it in the statement that deletes.
 */
export function unreferencedBlobCondition(schema: string, column: string): string {
  const q = (t: string) => `"${schema}"."${t}"`;
  return `NOT EXISTS (SELECT 1 FROM ${q('characters')} c WHERE c.avatar->>'sha256' = ${column})
         AND NOT EXISTS (SELECT 1 FROM ${q('characters')} c, jsonb_array_elements(c.assets) a WHERE a->>'sha256' = ${column})
         AND NOT EXISTS (SELECT 1 FROM ${q('chat_messages')} m WHERE m.image_sha256 = ${column})
         AND NOT EXISTS (SELECT 1 FROM ${q('personas')} p WHERE p.avatar->>'sha256' = ${column})
         AND NOT EXISTS (SELECT 1 FROM ${q('groups')} g WHERE g.avatar->>'sha256' = ${column})`;
}
