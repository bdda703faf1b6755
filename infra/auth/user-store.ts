import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { newId } from '../../shared/ids.ts';
import { apiKeyPrefix, generateApiKey, hashApiKey } from './api-keys.ts';

/**
 * Users and their API keys (multi-user mode). Credentials are infrastructure, not domain history, so they
 * live in plain tables rather than in the event log; keys are stored only as hashes.
 */
export const AUTH_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.users (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  is_admin    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);
CREATE TABLE IF NOT EXISTS auth.api_keys (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES auth.users(id),
  prefix      text NOT NULL UNIQUE,
  key_hash    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
-- Set when the user was forgotten: their JWTs issued before it are refused (their keys were revoked with it).
ALTER TABLE auth.users ADD COLUMN IF NOT EXISTS forgotten_at timestamptz;
`;

export interface UserRecord {
  id: string;
  name: string;
  is_admin: boolean;
  created_at: Date;
  disabled_at: Date | null;
  forgotten_at: Date | null;
  active_keys: number;
}

/** What the authenticator needs to know about a JWT's user (none: no account row, nothing held against them). */
export interface CredentialStatus {
  disabledAt: Date | null;
  forgottenAt: Date | null;
}

export interface ApiKeyOwner {
  userId: string;
  isAdmin: boolean;
}

export function createUserStore(pool: pg.Pool) {
  // Tells this process's authenticator to drop what it cached of a user (other processes: within its cache time).
  const changes = new EventEmitter();
  const changed = (userId: string) => changes.emit('changed', userId);
  return {
    async migrate(): Promise<void> {
      await pool.query(AUTH_SCHEMA_SQL);
    },

    async createUser(name: string, isAdmin: boolean): Promise<{ user: UserRecord; apiKey: string; keyId: string }> {
      const id = newId();
      await pool.query('INSERT INTO auth.users (id, name, is_admin) VALUES ($1, $2, $3)', [id, name, isAdmin]);
      const { key, keyId } = await this.issueKey(id);
      const users = await this.listUsers();
      return { user: users.find((u) => u.id === id)!, apiKey: key, keyId };
    },

    async issueKey(userId: string): Promise<{ key: string; keyId: string }> {
      const { key, prefix, hash } = generateApiKey();
      const keyId = newId();
      const { rowCount } = await pool.query(
        'INSERT INTO auth.api_keys (id, user_id, prefix, key_hash) SELECT $1, id, $3, $4 FROM auth.users WHERE id = $2 AND disabled_at IS NULL',
        [keyId, userId, prefix, hash],
      );
      if (rowCount !== 1) throw new Error(`no active user ${userId}`);
      return { key, keyId };
    },

    async revokeKey(keyIdOrPrefix: string): Promise<boolean> {
      const { rows } = await pool.query<{ user_id: string }>(
        'UPDATE auth.api_keys SET revoked_at = now() WHERE (id = $1 OR prefix = $1) AND revoked_at IS NULL RETURNING user_id',
        [keyIdOrPrefix],
      );
      for (const r of rows) changed(r.user_id);
      return rows.length === 1;
    },

    /**
     * Refuses the user's keys and JWTs until enabled again. A JWT-only user (no account row) gets one, named by
     * their id. False when they were disabled already.
     */
    async disableUser(userId: string): Promise<boolean> {
      const { rows } = await pool.query<{ was: Date | null }>(
        `INSERT INTO auth.users AS u (id, name, disabled_at) VALUES ($1, $1, now())
           ON CONFLICT (id) DO UPDATE SET disabled_at = coalesce(u.disabled_at, now())
         RETURNING (SELECT disabled_at FROM auth.users WHERE id = $1) AS was`,
        [userId],
      );
      changed(userId);
      return rows[0]!.was === null;
    },

    async enableUser(userId: string): Promise<boolean> {
      const { rowCount } = await pool.query('UPDATE auth.users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL', [userId]);
      changed(userId);
      return rowCount === 1;
    },

    /**
     * Part of forgetting a user: revokes every API key of theirs, records the time (JWTs issued before it are
     * refused) and replaces the account's name with its id. Idempotent; answers the keys it revoked now.
     */
    async forgetCredentials(userId: string): Promise<{ apiKeysRevoked: number }> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO auth.users AS u (id, name, forgotten_at) VALUES ($1, $1, now())
             ON CONFLICT (id) DO UPDATE SET forgotten_at = now(), name = u.id`,
          [userId],
        );
        const { rowCount } = await client.query('UPDATE auth.api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
          userId,
        ]);
        await client.query('COMMIT');
        return { apiKeysRevoked: rowCount ?? 0 };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
        changed(userId);
      }
    },

    async credentialStatus(userId: string): Promise<CredentialStatus | null> {
      const { rows } = await pool.query<{ disabled_at: Date | null; forgotten_at: Date | null }>(
        'SELECT disabled_at, forgotten_at FROM auth.users WHERE id = $1',
        [userId],
      );
      return rows[0] ? { disabledAt: rows[0].disabled_at, forgottenAt: rows[0].forgotten_at } : null;
    },

    /** Called with a user id whenever this process changed what that user's credentials may do. */
    onCredentialsChanged(listener: (userId: string) => void): () => void {
      changes.on('changed', listener);
      return () => changes.off('changed', listener);
    },

    async listUsers(): Promise<UserRecord[]> {
      const { rows } = await pool.query<UserRecord>(
        `SELECT u.id, u.name, u.is_admin, u.created_at, u.disabled_at, u.forgotten_at,
                count(k.id) FILTER (WHERE k.revoked_at IS NULL)::int AS active_keys
           FROM auth.users u LEFT JOIN auth.api_keys k ON k.user_id = u.id
          GROUP BY u.id ORDER BY u.created_at`,
      );
      return rows;
    },

    async listKeys(userId?: string) {
      const { rows } = await pool.query<{ id: string; user_id: string; prefix: string; created_at: Date; revoked_at: Date | null }>(
        'SELECT id, user_id, prefix, created_at, revoked_at FROM auth.api_keys WHERE $1::text IS NULL OR user_id = $1 ORDER BY created_at',
        [userId ?? null],
      );
      return rows;
    },

    async findKeyOwner(key: string): Promise<ApiKeyOwner | null> {
      const prefix = apiKeyPrefix(key);
      if (!prefix) return null;
      const { rows } = await pool.query<{ user_id: string; is_admin: boolean }>(
        `SELECT k.user_id, u.is_admin FROM auth.api_keys k JOIN auth.users u ON u.id = k.user_id
          WHERE k.prefix = $1 AND k.key_hash = $2 AND k.revoked_at IS NULL AND u.disabled_at IS NULL`,
        [prefix, hashApiKey(key)],
      );
      return rows[0] ? { userId: rows[0].user_id, isAdmin: rows[0].is_admin } : null;
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
