import { createHash } from 'node:crypto';
import type pg from 'pg';
import { migrateBlobQuota, reserveBlobs, storageUsage, type BlobCharge, type BlobReservation, type StorageUsage } from './blob-quota.ts';

/**
 * Content-addressed binary storage (avatars, card assets, message images). Events carry the SHA-256 and
 * the media type, never the bytes, so the log stays small while every version of an image stays
 * addressable. Writing the same bytes twice stores them once; a blob is written before the event that
 * references it, so an event never points at a missing blob (an unreferenced blob after a crash is harmless).
 */
export const BLOB_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS blobs;
CREATE TABLE IF NOT EXISTS blobs.blobs (
  sha256     text PRIMARY KEY,
  media_type text NOT NULL,
  size       integer NOT NULL,
  bytes      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

export interface BlobRef {
  sha256: string;
  mediaType: string;
  size: number;
}

export interface Blob extends BlobRef {
  bytes: Buffer;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function createBlobStore(pool: pg.Pool) {
  return {
    /** `readSchema`: where the read models are, to charge the blobs of a database that had them before quotas. */
    async migrate(readSchema: string): Promise<void> {
      await pool.query(BLOB_SCHEMA_SQL);
      await migrateBlobQuota(pool, readSchema);
    },

    /** Charges a user for blobs about to be written (413 `quota_exceeded` beyond `quotaBytes`); see blob-quota.ts. */
    reserve(userId: string, blobs: readonly BlobCharge[], quotaBytes: number): Promise<BlobReservation> {
      return reserveBlobs(pool, userId, blobs, quotaBytes);
    },

    usage(userId: string): Promise<StorageUsage> {
      return storageUsage(pool, userId);
    },

    async put(bytes: Uint8Array, mediaType: string): Promise<BlobRef> {
      const sha256 = sha256Hex(bytes);
      await pool.query(
        'INSERT INTO blobs.blobs (sha256, media_type, size, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING',
        [sha256, mediaType, bytes.byteLength, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
      );
      return { sha256, mediaType, size: bytes.byteLength };
    },

    async get(sha256: string): Promise<Blob | undefined> {
      const { rows } = await pool.query<{ sha256: string; media_type: string; size: number; bytes: Buffer }>(
        'SELECT sha256, media_type, size, bytes FROM blobs.blobs WHERE sha256 = $1',
        [sha256],
      );
      const row = rows[0];
      return row ? { sha256: row.sha256, mediaType: row.media_type, size: row.size, bytes: row.bytes } : undefined;
    },

    async has(sha256: string): Promise<boolean> {
      const { rowCount } = await pool.query('SELECT 1 FROM blobs.blobs WHERE sha256 = $1', [sha256]);
      return rowCount === 1;
    },
  };
}

export type BlobStore = ReturnType<typeof createBlobStore>;
