import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import pg from 'pg';

/**
 * Per-user data keys for event payloads (crypto-shredding): one live 256-bit key per user, created on the
 * user's first encrypted event; forgetting the user destroys it, and a tombstone records that the key existed
 * and was destroyed on purpose, so "destroyed" (the payload reads back redacted) is never confused with
 * "missing" (a restore without the key table, a wrong database: reads fail loudly instead of silently redacting
 * everything and letting a rebuild wipe the read models).
 *
 * Lives in PostgreSQL (schema `keys`), which every deployment mode has, whichever event store holds the log.
 * Keys are only as safe as that database; with a key-encryption key (EVENT_KEY_ENCRYPTION_KEY) the stored
 * key material is wrapped with it (AES-256-GCM), so a copy of the database alone does not open the payloads.
 *
 * Every process caches keys in memory (LRU). A forget sends a NOTIFY that drops the user's keys from the
 * caches of every process listening; positive entries also expire after `cacheTtlMs`, which bounds how long a
 * process that missed the notification (listener reconnecting) can still decrypt.
 */
export const DATA_KEY_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS keys;
CREATE TABLE IF NOT EXISTS keys.user_data_keys (
  key_id       uuid PRIMARY KEY,
  user_id      text NOT NULL UNIQUE,
  key_material bytea NOT NULL,
  -- Fingerprint of the key-encryption key that wraps key_material; NULL when stored unwrapped.
  kek_id       text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS keys.destroyed_data_keys (
  key_id       uuid PRIMARY KEY,
  user_id      text NOT NULL,
  destroyed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS destroyed_data_keys_user ON keys.destroyed_data_keys (user_id);
`;

const NOTIFY_CHANNEL = 'data_keys_destroyed';

export interface DataKey {
  keyId: string;
  key: KeyObject;
}

/** An envelope names a key that is neither stored nor recorded as destroyed. */
export class MissingDataKeyError extends Error {
  readonly code = 'data_key_missing';
  constructor(keyIds: string[]) {
    super(`data key(s) ${keyIds.join(', ')} not found and not recorded as destroyed: is the keys schema from another database or backup?`);
    this.name = 'MissingDataKeyError';
  }
}

export interface DataKeyStore {
  migrate(): Promise<void>;
  /** The user's live key, created on first use. */
  keyForWriting(userId: string): Promise<DataKey>;
  /** Keys by id: the key, or null when it was destroyed. Throws MissingDataKeyError for an unknown id. */
  keysForReading(keyIds: readonly string[]): Promise<Map<string, KeyObject | null>>;
  /** Destroys every key of the user (tombstoned), here and, by NOTIFY, in the caches of other processes. */
  destroyUserKeys(userId: string): Promise<{ keysDestroyed: number }>;
  /** Called with the user id whenever some process destroyed a user's keys (this one included). */
  onDestroyed(listener: (userId: string) => void): () => void;
  close(): Promise<void>;
}

export interface DataKeyStoreOptions {
  pool: pg.Pool;
  /** For the LISTEN connection that hears about forgets done by other processes. */
  connectionString?: string;
  /** Base64 (or 64 hex digits) 256-bit key-encryption key; keys are stored wrapped with it when given. */
  keyEncryptionKey?: string;
  cacheSize?: number;
  cacheTtlMs?: number;
}

export function parseKeyEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) throw new Error('EVENT_KEY_ENCRYPTION_KEY must be 32 bytes, as base64 or 64 hex digits');
  return bytes;
}

interface CachedKey {
  userId: string | null;
  key: KeyObject | null;
  expiresAt: number;
}

export function createDataKeyStore(options: DataKeyStoreOptions): DataKeyStore {
  const { pool } = options;
  const cacheSize = options.cacheSize ?? 10_000;
  const cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
  const kek = options.keyEncryptionKey ? parseKeyEncryptionKey(options.keyEncryptionKey) : undefined;
  const kekId = kek ? createHash('sha256').update(kek).digest('hex').slice(0, 16) : null;
  const byId = new Map<string, CachedKey>();
  const liveKeyOf = new Map<string, string>();
  const creating = new Map<string, Promise<DataKey>>();
  const destroyed = new EventEmitter();
  destroyed.setMaxListeners(0);
  let closed = false;

  const remember = (keyId: string, entry: CachedKey) => {
    byId.delete(keyId);
    byId.set(keyId, entry);
    if (byId.size > cacheSize) {
      const oldest = byId.keys().next().value!;
      const old = byId.get(oldest);
      byId.delete(oldest);
      if (old?.userId && liveKeyOf.get(old.userId) === oldest) liveKeyOf.delete(old.userId);
    }
  };
  const dropUser = (userId: string) => {
    liveKeyOf.delete(userId);
    for (const [id, entry] of byId) if (entry.userId === userId && entry.key) byId.delete(id);
  };
  const dropAllLive = () => {
    liveKeyOf.clear();
    for (const [id, entry] of byId) if (entry.key) byId.delete(id);
  };

  const wrapAad = (keyId: string, userId: string) => Buffer.from(`${keyId}\n${userId}`, 'utf8');
  const wrap = (key: Buffer, keyId: string, userId: string): Buffer => {
    if (!kek) return key;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    cipher.setAAD(wrapAad(keyId, userId));
    const ct = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, ct, cipher.getAuthTag()]);
  };
  const unwrap = (material: Buffer, storedKekId: string | null, keyId: string, userId: string): Buffer => {
    if (storedKekId === null) return material;
    if (!kek || storedKekId !== kekId)
      throw new Error(
        `data key ${keyId} is wrapped with key-encryption key ${storedKekId}; EVENT_KEY_ENCRYPTION_KEY is ${kek ? `${kekId}` : 'not set'}`,
      );
    const decipher = createDecipheriv('aes-256-gcm', kek, material.subarray(0, 12));
    decipher.setAAD(wrapAad(keyId, userId));
    decipher.setAuthTag(material.subarray(material.length - 16));
    return Buffer.concat([decipher.update(material.subarray(12, material.length - 16)), decipher.final()]);
  };

  // Cross-process invalidation: LISTEN on a dedicated connection, reconnecting on failure. After a reconnect
  // every cached live key is dropped (a notification may have been missed while it was down).
  let listener: pg.Client | undefined;
  let listenerStarting: Promise<void> | undefined;
  const ensureListener = (): Promise<void> => {
    if (!options.connectionString || listener || listenerStarting || closed) return listenerStarting ?? Promise.resolve();
    listenerStarting = (async () => {
      const client = new pg.Client({ connectionString: options.connectionString, application_name: 'data-key-invalidation' });
      client.on('notification', (msg) => {
        if (msg.channel !== NOTIFY_CHANNEL || !msg.payload) return;
        dropUser(msg.payload);
        destroyed.emit('destroyed', msg.payload);
      });
      const retry = () => {
        if (!closed) setTimeout(() => void ensureListener(), 1000).unref();
      };
      client.on('error', () => {
        listener = undefined;
        client.end().catch(() => undefined);
        retry();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
        dropAllLive();
        listener = client;
      } catch {
        await client.end().catch(() => undefined);
        retry();
      } finally {
        listenerStarting = undefined;
      }
    })();
    return listenerStarting;
  };

  const loadLiveKey = async (userId: string): Promise<DataKey> => {
    const keyId = randomUUID();
    const key = randomBytes(32);
    await pool.query(
      'INSERT INTO keys.user_data_keys (key_id, user_id, key_material, kek_id) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING',
      [keyId, userId, wrap(key, keyId, userId), kekId],
    );
    const { rows } = await pool.query<{ key_id: string; key_material: Buffer; kek_id: string | null }>(
      'SELECT key_id, key_material, kek_id FROM keys.user_data_keys WHERE user_id = $1',
      [userId],
    );
    const row = rows[0];
    if (!row) throw new Error(`the data key of user ${userId} was destroyed while it was being created; retry`);
    const live = { keyId: row.key_id, key: createSecretKey(unwrap(row.key_material, row.kek_id, row.key_id, userId)) };
    remember(live.keyId, { userId, key: live.key, expiresAt: Date.now() + cacheTtlMs });
    liveKeyOf.set(userId, live.keyId);
    return live;
  };

  return {
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(7341003)');
        await client.query(DATA_KEY_SCHEMA_SQL);
      } finally {
        await client.query('SELECT pg_advisory_unlock(7341003)').catch(() => undefined);
        client.release();
      }
      await ensureListener();
    },

    async keyForWriting(userId) {
      const keyId = liveKeyOf.get(userId);
      const hit = keyId ? byId.get(keyId) : undefined;
      if (keyId && hit?.key && hit.expiresAt > Date.now()) return { keyId, key: hit.key };
      let pending = creating.get(userId);
      if (!pending) {
        pending = loadLiveKey(userId).finally(() => creating.delete(userId));
        creating.set(userId, pending);
      }
      return pending;
    },

    async keysForReading(keyIds) {
      const out = new Map<string, KeyObject | null>();
      const now = Date.now();
      const missing: string[] = [];
      for (const id of new Set(keyIds)) {
        const hit = byId.get(id);
        if (hit && (hit.key === null || hit.expiresAt > now)) out.set(id, hit.key);
        else missing.push(id);
      }
      if (missing.length === 0) return out;
      const { rows } = await pool.query<{
        key_id: string;
        user_id: string;
        key_material: Buffer | null;
        kek_id: string | null;
        destroyed: boolean;
      }>(
        `SELECT k.key_id, k.user_id, k.key_material, k.kek_id, false AS destroyed FROM keys.user_data_keys k WHERE k.key_id = ANY($1::uuid[])
         UNION ALL
         SELECT d.key_id, d.user_id, NULL, NULL, true FROM keys.destroyed_data_keys d WHERE d.key_id = ANY($1::uuid[])`,
        [missing],
      );
      for (const row of rows) {
        const key =
          row.destroyed || !row.key_material ? null : createSecretKey(unwrap(row.key_material, row.kek_id, row.key_id, row.user_id));
        // A destroyed key never comes back: its entry needs no expiry.
        remember(row.key_id, { userId: row.user_id, key, expiresAt: key ? now + cacheTtlMs : Number.POSITIVE_INFINITY });
        if (!out.has(row.key_id) || key === null) out.set(row.key_id, key);
      }
      const unknown = missing.filter((id) => !out.has(id));
      if (unknown.length > 0) throw new MissingDataKeyError(unknown);
      return out;
    },

    async destroyUserKeys(userId) {
      const client = await pool.connect();
      let keysDestroyed = 0;
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ key_id: string }>('DELETE FROM keys.user_data_keys WHERE user_id = $1 RETURNING key_id', [
          userId,
        ]);
        keysDestroyed = rows.length;
        if (rows.length > 0) {
          await client.query(
            'INSERT INTO keys.destroyed_data_keys (key_id, user_id) SELECT unnest($1::uuid[]), $2 ON CONFLICT DO NOTHING',
            [rows.map((r) => r.key_id), userId],
          );
        }
        // Delivered at commit, to every listening process (this one included).
        await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, userId]);
        await client.query('COMMIT');
        for (const r of rows) remember(r.key_id, { userId, key: null, expiresAt: Number.POSITIVE_INFINITY });
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      dropUser(userId);
      destroyed.emit('destroyed', userId);
      return { keysDestroyed };
    },

    onDestroyed(listenerFn) {
      destroyed.on('destroyed', listenerFn);
      return () => destroyed.off('destroyed', listenerFn);
    },

    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      listener = undefined;
    },
  };
}
