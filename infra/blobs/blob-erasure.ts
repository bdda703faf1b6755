import type pg from 'pg';
import type { BlobErasure } from '../../shared/users/data-erasure-ports.ts';
import { releasePurgedBlobs } from './blob-quota.ts';

/**
 * The blob store's part of forgetting a user. `unreferenced` is a SQL condition on `b.sha256`, true when no
 * read-model row refers to the blob (the read models know their columns: projections/blob-references.ts); it is
 * checked in the deleting statement itself.
 */
export function createBlobErasure(pool: pg.Pool, options: { unreferenced: (column: string) => string }): BlobErasure {
  return {
    async purgeUnreferenced(candidates, userId) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ sha256: string }>(
          `DELETE FROM blobs.blobs b WHERE b.sha256 = ANY($1::text[])
             AND ${options.unreferenced('b.sha256')}
           RETURNING b.sha256`,
          [candidates],
        );
        await releasePurgedBlobs(
          client,
          rows.map((r) => r.sha256),
          userId,
        );
        await client.query('COMMIT');
        return rows.length;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}
