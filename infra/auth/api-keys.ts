import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys look like `ccb_<8-char id>_<secret>`; only a SHA-256 of the whole key is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('base64url').slice(0, 8);
  const key = `ccb_${prefix}_${randomBytes(24).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function apiKeyPrefix(key: string): string | undefined {
  return /^ccb_([A-Za-z0-9_-]{8})_[A-Za-z0-9_-]{16,}$/.exec(key)?.[1];
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
