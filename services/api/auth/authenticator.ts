import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../../../infra/config.ts';
import { secretsEqual } from '../../../infra/auth/api-keys.ts';
import type { UserStore } from '../../../infra/auth/user-store.ts';
import { LOCAL_USER_ID, type Principal } from './principal.ts';

export type Authenticate = (req: Request) => Promise<Principal | null>;

/** The credential a request presents: `X-API-KEY`, or `Authorization: Bearer`. */
export function presentedCredential(req: Request): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  return undefined;
}

export function singleUserAuthenticator(apiKey: string): Authenticate {
  return async (req) => {
    const credential = presentedCredential(req);
    if (!credential || !secretsEqual(credential, apiKey)) return null;
    return { userId: LOCAL_USER_ID, isAdmin: true, method: 'api-key' };
  };
}

const looksLikeJwt = (s: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s);

function isAdminClaim(payload: JWTPayload): boolean {
  const p = payload as Record<string, unknown>;
  if (p.admin === true || p.role === 'admin') return true;
  const roles = p.roles;
  return Array.isArray(roles) && roles.includes('admin');
}

function jwtKey(config: Config): { key: Uint8Array | KeyObject | JWTVerifyGetKey; algorithms: string[] } | undefined {
  if (config.JWT_SECRET) return { key: new TextEncoder().encode(config.JWT_SECRET), algorithms: ['HS256'] };
  if (config.JWT_PUBLIC_KEY) {
    const key = createPublicKey(config.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'));
    return { key, algorithms: key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'] };
  }
  if (config.JWT_JWKS_URL) return { key: createRemoteJWKSet(new URL(config.JWT_JWKS_URL)), algorithms: ['RS256', 'ES256'] };
  return undefined;
}

/**
 * Multi-user mode: a JWT (HS256 secret, RS256/ES256 public key, or a JWKS URL; `sub` is the user id) or a
 * per-user API key. Positive key lookups are cached briefly; a revoked key stops working within `cacheMs`.
 */
export function multiUserAuthenticator(config: Config, users: UserStore, cacheMs = 5000): Authenticate {
  const verifier = jwtKey(config);
  const cache = new Map<string, { principal: Principal; expires: number }>();
  return async (req) => {
    const credential = presentedCredential(req);
    if (!credential) return null;
    if (looksLikeJwt(credential)) {
      if (!verifier) return null;
      try {
        const { payload } = await jwtVerify(credential, verifier.key as never, {
          algorithms: verifier.algorithms,
          ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
          ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
        });
        if (!payload.sub) return null;
        return { userId: payload.sub, isAdmin: isAdminClaim(payload), method: 'jwt' };
      } catch {
        return null;
      }
    }
    const now = Date.now();
    const hit = cache.get(credential);
    if (hit && hit.expires > now) return hit.principal;
    const owner = await users.findKeyOwner(credential);
    if (!owner) return null;
    const principal: Principal = { userId: owner.userId, isAdmin: owner.isAdmin, method: 'api-key' };
    if (cache.size > 10_000) cache.clear();
    cache.set(credential, { principal, expires: now + cacheMs });
    return principal;
  };
}
