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
`;

export interface UserRecord {
  id: string;
  name: string;
  is_admin: boolean;
  created_at: Date;
  disabled_at: Date | null;
  active_keys: number;
}

export interface ApiKeyOwner {
  userId: string;
  isAdmin: boolean;
}

export function createUserStore(pool: pg.Pool) {
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
      const { rowCount } = await pool.query('UPDATE auth.api_keys SET revoked_at = now() WHERE (id = $1 OR prefix = $1) AND revoked_at IS NULL', [keyIdOrPrefix]);
      return rowCount === 1;
    },

    async listUsers(): Promise<UserRecord[]> {
      const { rows } = await pool.query<UserRecord>(
        `SELECT u.id, u.name, u.is_admin, u.created_at, u.disabled_at,
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
