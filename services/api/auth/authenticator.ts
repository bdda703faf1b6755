import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../../../infra/config.ts';
import { secretsEqual } from '../../../infra/auth/api-keys.ts';
import type { CredentialStatus, UserStore } from '../../../infra/auth/user-store.ts';
import { AppError, unauthorized } from '../../../shared/errors.ts';
import { LOCAL_USER_ID, USER_ID_PATTERN, USER_ID_RULE, type Actor } from '../../../shared/access/actor.ts';

/**
 * Who the caller of a request is (the route adds the request's ids to make the Actor): null when no credential, or none this service knows, was presented (a plain 401); a
 * known but refused one (an expired token, a disabled user) throws a 401 AppError with a code saying why.
 */
export type Authenticate = (req: Request) => Promise<Pick<Actor, 'userId' | 'isAdmin'> | null>;

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
    return { userId: LOCAL_USER_ID, isAdmin: true };
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

/** A refused credential: a 401 problem with a stable code saying why. */
const refused = (code: string, detail: string) => new AppError(401, code, detail);

/**
 * The claims a verified JWT must carry beyond a good signature: `exp` within the longest lifetime, no `iat` in the
 * future beyond the skew, a `sub` that is a user id. Checked only after the signature, so a forger learns nothing.
 */
function checkClaims(
  payload: JWTPayload,
  config: Pick<Config, 'JWT_MAX_LIFETIME_SECONDS' | 'JWT_CLOCK_SKEW_SECONDS'>,
  nowSeconds: number,
): string {
  const { exp, iat, sub } = payload;
  if (typeof exp !== 'number') throw refused('token_exp_missing', 'the token has no expiry (exp): tokens must expire');
  if (iat !== undefined && iat > nowSeconds + config.JWT_CLOCK_SKEW_SECONDS) {
    throw refused(
      'token_iat_in_future',
      `the token claims to be issued ${Math.round(iat - nowSeconds)} s in the future (at most ${config.JWT_CLOCK_SKEW_SECONDS} s of clock skew is allowed)`,
    );
  }
  const lifetime = exp - (iat ?? nowSeconds);
  if (lifetime > config.JWT_MAX_LIFETIME_SECONDS) {
    throw refused(
      'token_lifetime_too_long',
      `the token is valid for ${Math.round(lifetime)} s ${iat === undefined ? 'from now' : 'from its iat'}; at most ${config.JWT_MAX_LIFETIME_SECONDS} s is accepted`,
    );
  }
  if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub))
    throw refused('token_subject_invalid', `the token's subject (sub) ${USER_ID_RULE}`);
  return sub;
}

/** jose's claim errors (after a good signature) as our codes; anything else is a plain 401. */
function claimError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof joseErrors.JWTExpired && err.claim === 'exp') return refused('token_expired', 'the token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' && err.reason === 'check_failed') return refused('token_not_yet_valid', 'the token is not valid yet (nbf)');
    if (err.reason === 'invalid') return refused('token_claims_invalid', `the token's ${err.claim} claim has the wrong type`);
  }
  return unauthorized();
}

export interface MultiUserAuthenticatorOptions {
  /** How long a positive lookup (an API key, a JWT user's status) is reused; a change elsewhere lands within it. */
  cacheMs?: number;
  /** More sources of "this user's credentials changed" (another process forgot them) besides the user store. */
  invalidations?: Array<(listener: (userId: string) => void) => unknown>;
}

/**
 * Multi-user mode: a JWT (HS256 secret, RS256/ES256 public key, or a JWKS URL; `sub` is the user id) or a
 * per-user API key. A disabled user is refused either way; a forgotten user's keys are revoked and their JWTs
 * issued before the forget (and within the clock skew after it, or without `iat`) refused.
 */
export function multiUserAuthenticator(config: Config, users: UserStore, options: MultiUserAuthenticatorOptions = {}): Authenticate {
  const cacheMs = options.cacheMs ?? 5000;
  const verifier = jwtKey(config);
  const keyCache = new Map<string, { principal: Pick<Actor, 'userId' | 'isAdmin'>; expires: number }>();
  const statusCache = new Map<string, { status: CredentialStatus | null; expires: number }>();
  const drop = (userId: string) => {
    statusCache.delete(userId);
    for (const [credential, hit] of keyCache) if (hit.principal.userId === userId) keyCache.delete(credential);
  };
  users.onCredentialsChanged(drop);
  for (const subscribe of options.invalidations ?? []) subscribe(drop);

  async function statusOf(userId: string, now: number): Promise<CredentialStatus | null> {
    const hit = statusCache.get(userId);
    if (hit && hit.expires > now) return hit.status;
    const status = await users.credentialStatus(userId);
    if (statusCache.size > 10_000) statusCache.clear();
    statusCache.set(userId, { status, expires: now + cacheMs });
    return status;
  }

  return async (req) => {
    const credential = presentedCredential(req);
    if (!credential) return null;
    const now = Date.now();
    if (looksLikeJwt(credential)) {
      if (!verifier) return null;
      let payload: JWTPayload;
      let userId: string;
      try {
        ({ payload } = await jwtVerify(credential, verifier.key as never, {
          algorithms: verifier.algorithms,
          ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
          ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
        }));
        userId = checkClaims(payload, config, Math.floor(now / 1000));
      } catch (err) {
        throw claimError(err);
      }
      const status = await statusOf(userId, now);
      if (status?.disabledAt) throw refused('user_disabled', 'this user is disabled');
      if (status?.forgottenAt) {
        // Whole seconds, as iat is; a token issued in the same second as the forget, or within the skew, is refused.
        const revokedUntil = Math.floor(status.forgottenAt.getTime() / 1000) + config.JWT_CLOCK_SKEW_SECONDS;
        if (payload.iat === undefined || payload.iat <= revokedUntil) {
          throw refused('token_revoked', "the token was issued before this user's data was forgotten; sign in again");
        }
      }
      return { userId, isAdmin: isAdminClaim(payload) };
    }
    const hit = keyCache.get(credential);
    if (hit && hit.expires > now) return hit.principal;
    const owner = await users.findKeyOwner(credential);
    if (!owner) return null;
    const principal: Pick<Actor, 'userId' | 'isAdmin'> = { userId: owner.userId, isAdmin: owner.isAdmin };
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(credential, { principal, expires: now + cacheMs });
    return principal;
  };
}
