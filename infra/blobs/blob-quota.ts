import type pg from 'pg';
import { AppError } from '../../shared/errors.ts';

/**
 * Per-user accounting of stored blob bytes (STORAGE_QUOTA_BYTES_PER_USER). Blobs are content-addressed and shared,
 * so a user is charged once per distinct blob they brought in (`user_blobs`), and `user_usage` holds the running
 * totals. The totals row is also the lock: a reservation adds to it with a conditional UPDATE, so concurrent
 * uploads of one user queue on that row and the sum can never pass the quota. A soft delete of what refers to a
 * blob keeps it counted (a restore brings it back); the bytes are released when the blob is purged.
 */
export const BLOB_QUOTA_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS blobs.user_blobs (
  user_id    text NOT NULL,
  sha256     text NOT NULL,
  size       bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, sha256)
);
CREATE INDEX IF NOT EXISTS user_blobs_sha256 ON blobs.user_blobs (sha256);
CREATE TABLE IF NOT EXISTS blobs.user_usage (
  user_id    text PRIMARY KEY,
  bytes_used bigint NOT NULL DEFAULT 0 CHECK (bytes_used >= 0),
  blob_count integer NOT NULL DEFAULT 0 CHECK (blob_count >= 0)
);
`;

/**
 * Creates the accounting tables. A database that had blobs before them gets its users charged once, from what
 * the read models refer to (avatars, card assets, message images, deleted resources included); blobs that only
 * older versions refer to are not counted. One process does it (an advisory lock), in one transaction.
 */
export async function migrateBlobQuota(pool: pg.Pool, readSchema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('blobs.user_usage'))");
    const { rows } = await client.query<{ existed: boolean }>("SELECT to_regclass('blobs.user_usage') IS NOT NULL AS existed");
    await client.query(BLOB_QUOTA_SCHEMA_SQL);
    if (rows[0]!.existed) return;
    const q = (table: string) => `"${readSchema}"."${table}"`;
    const { rows: readModels } = await client.query<{ ready: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS ready`,
      [q('characters'), q('chats'), q('chat_messages')],
    );
    if (!readModels[0]!.ready) return;
    await client.query(
      `INSERT INTO blobs.user_blobs (user_id, sha256, size)
         SELECT r.owner_id, r.sha256, b.size FROM (
           SELECT c.owner_id, c.avatar->>'sha256' AS sha256 FROM ${q('characters')} c WHERE c.avatar IS NOT NULL
           UNION SELECT c.owner_id, a->>'sha256' FROM ${q('characters')} c, jsonb_array_elements(c.assets) a
           UNION SELECT ch.owner_id, m.image_sha256 FROM ${q('chat_messages')} m JOIN ${q('chats')} ch ON ch.id = m.chat_id WHERE m.image_sha256 IS NOT NULL
         ) r JOIN blobs.blobs b ON b.sha256 = r.sha256
       ON CONFLICT DO NOTHING`,
    );
    await client.query(
      'INSERT INTO blobs.user_usage (user_id, bytes_used, blob_count) SELECT user_id, sum(size), count(*) FROM blobs.user_blobs GROUP BY user_id',
    );
  });
}

export interface BlobCharge {
  sha256: string;
  size: number;
}

export interface BlobReservation {
  /** The blobs this reservation charged (those the user had not stored before). */
  charged: BlobCharge[];
  /** Gives the charge back when the write that needed the blobs failed before anything referred to them. */
  release(): Promise<void>;
}

export interface StorageUsage {
  bytesUsed: number;
  blobCount: number;
}

export const quotaExceeded = (quotaBytes: number, usedBytes: number, requestedBytes: number) =>
  new AppError(
    413,
    'quota_exceeded',
    `storing ${requestedBytes} more bytes would pass the storage quota of ${quotaBytes} bytes (${usedBytes} used; GET /api/v1/users/me/usage shows it); nothing was stored`,
    { quota_bytes: quotaBytes, used_bytes: usedBytes, requested_bytes: requestedBytes },
  );

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Takes deleted `user_blobs` rows off their users' totals. Relative, like a reservation's addition, so a
 * reservation committing meanwhile is neither lost nor counted twice.
 */
async function subtractCharges(client: pg.PoolClient, deleted: ReadonlyArray<{ user_id: string; size: string }>): Promise<void> {
  const perUser = new Map<string, { bytes: number; count: number }>();
  for (const row of deleted) {
    const total = perUser.get(row.user_id) ?? { bytes: 0, count: 0 };
    total.bytes += Number(row.size);
    total.count += 1;
    perUser.set(row.user_id, total);
  }
  if (perUser.size === 0) return;
  const users = [...perUser.keys()];
  await client.query(
    `UPDATE blobs.user_usage u SET bytes_used = greatest(0, u.bytes_used - d.bytes), blob_count = greatest(0, u.blob_count - d.n)
       FROM unnest($1::text[], $2::bigint[], $3::int[]) AS d(user_id, bytes, n) WHERE u.user_id = d.user_id`,
    [users, users.map((u) => perUser.get(u)!.bytes), users.map((u) => perUser.get(u)!.count)],
  );
}

/**
 * Charges `userId` for the blobs among `blobs` they have not stored before, or throws 413 `quota_exceeded` and
 * charges nothing when that would pass `quotaBytes`. Call before the bytes are written.
 */
export async function reserveBlobs(
  pool: pg.Pool,
  userId: string,
  blobs: readonly BlobCharge[],
  quotaBytes: number,
): Promise<BlobReservation> {
  const distinct = [...new Map(blobs.map((b) => [b.sha256, b])).values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  const charged =
    distinct.length === 0
      ? []
      : await inTransaction(pool, async (client) => {
          const { rows } = await client.query<{ sha256: string; size: string }>(
            `INSERT INTO blobs.user_blobs (user_id, sha256, size)
         SELECT $1, s, z FROM unnest($2::text[], $3::bigint[]) AS t(s, z)
       ON CONFLICT (user_id, sha256) DO NOTHING RETURNING sha256, size`,
            [userId, distinct.map((b) => b.sha256), distinct.map((b) => b.size)],
          );
          const added = rows.map((r) => ({ sha256: r.sha256, size: Number(r.size) }));
          const bytes = added.reduce((sum, b) => sum + b.size, 0);
          if (added.length === 0) return added;
          await client.query('INSERT INTO blobs.user_usage (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [userId]);
          // Row lock on the user's totals: concurrent reservations of one user apply one after another, each re-checking.
          const updated = await client.query(
            'UPDATE blobs.user_usage SET bytes_used = bytes_used + $2, blob_count = blob_count + $3 WHERE user_id = $1 AND bytes_used + $2 <= $4',
            [userId, bytes, added.length, quotaBytes],
          );
          if (updated.rowCount === 0) {
            const { rows: current } = await client.query<{ bytes_used: string }>(
              'SELECT bytes_used FROM blobs.user_usage WHERE user_id = $1',
              [userId],
            );
            throw quotaExceeded(quotaBytes, Number(current[0]?.bytes_used ?? 0), bytes);
          }
          return added;
        });
  return {
    charged,
    async release() {
      if (charged.length === 0) return;
      await inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ user_id: string; size: string }>(
          'DELETE FROM blobs.user_blobs WHERE user_id = $1 AND sha256 = ANY($2::text[]) RETURNING user_id, size',
          [userId, charged.map((b) => b.sha256)],
        );
        await subtractCharges(client, rows);
      });
    },
  };
}

/**
 * After blobs were purged (their bytes deleted), gives their bytes back to everyone charged for them, and drops
 * the accounting of `forgottenUserId` entirely. Runs in the caller's transaction.
 */
export async function releasePurgedBlobs(client: pg.PoolClient, purged: readonly string[], forgottenUserId?: string): Promise<void> {
  const { rows } = await client.query<{ user_id: string; size: string }>(
    'DELETE FROM blobs.user_blobs WHERE sha256 = ANY($1::text[]) OR user_id = $2 RETURNING user_id, size',
    [[...purged], forgottenUserId ?? null],
  );
  if (forgottenUserId !== undefined) await client.query('DELETE FROM blobs.user_usage WHERE user_id = $1', [forgottenUserId]);
  await subtractCharges(
    client,
    rows.filter((r) => r.user_id !== forgottenUserId),
  );
}

export async function storageUsage(pool: pg.Pool, userId: string): Promise<StorageUsage> {
  const { rows } = await pool.query<{ bytes_used: string; blob_count: number }>(
    'SELECT bytes_used, blob_count FROM blobs.user_usage WHERE user_id = $1',
    [userId],
  );
  return { bytesUsed: Number(rows[0]?.bytes_used ?? 0), blobCount: rows[0]?.blob_count ?? 0 };
}
