import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../../infra/config.ts';
import { secretsEqual } from '../../../infra/auth/api-keys.ts';
import { unauthorized } from '../../../shared/errors.ts';
import { presentedCredential, type Authenticate } from './authenticator.ts';
import { assertAdmin, canAdminister } from '../../../shared/access/access-rules.ts';

/**
 * Who may see the service's insides: `/metrics` (route patterns, queue depth, projection lag, process figures)
 * and `/ready`'s details (components, their errors). Guarded in multi-user mode, and in single-user mode once
 * METRICS_TOKEN is set; open otherwise, as a lone user on a loopback address expects.
 */
export interface MonitoringAccess {
  guarded: boolean;
  /** Express middleware for GET /metrics: an administrator's credential or METRICS_TOKEN (as a Bearer token). */
  metrics(req: Request, res: Response, next: NextFunction): Promise<void>;
  /** Whether this request may see `/ready`'s details: an administrator (everyone when unguarded). */
  seesDetails(req: Request): Promise<boolean>;
}

export function monitoringAccess(config: Pick<Config, 'AUTH_MODE' | 'METRICS_TOKEN'>, authenticate: Authenticate): MonitoringAccess {
  const token = config.METRICS_TOKEN;
  const guarded = config.AUTH_MODE === 'multi-user' || token !== undefined;
  return {
    guarded,
    async metrics(req, _res, next) {
      if (!guarded) return next();
      const credential = presentedCredential(req);
      if (token !== undefined && credential !== undefined && secretsEqual(credential, token)) return next();
      const principal = await authenticate(req);
      if (!principal)
        throw unauthorized(`metrics need an administrator's credential${token !== undefined ? ' or METRICS_TOKEN as a Bearer token' : ''}`);
      assertAdmin(principal, 'metrics need an administrator');
      next();
    },
    async seesDetails(req) {
      if (!guarded) return true;
      if (presentedCredential(req) === undefined) return false;
      // A bad credential on a public probe gets the status, not a 401.
      const principal = await authenticate(req).catch(() => null);
      return principal ? canAdminister(principal) : false;
    },
  };
}
