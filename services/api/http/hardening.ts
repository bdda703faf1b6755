import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError, badRequest } from '../../../shared/errors.ts';
import { describeUnstorable, findUnstorableText, jsonNestsDeeperThan } from '../../../shared/text/storable-text.ts';

export const JSON_TYPES = ['application/json', 'application/*+json'];
/** Arrays and objects nested deeper than this are refused (400 `json_too_deep`) before the body is parsed. */
export const MAX_JSON_DEPTH = 64;

/**
 * The JSON body parser: `limit` bytes (413 beyond), UTF-8 only (415 for another declared charset, 400
 * `invalid_utf8` for malformed bytes, which would otherwise become U+FFFD silently), nesting at most
 * MAX_JSON_DEPTH (400 `json_too_deep`, checked on the raw bytes before JSON.parse and zod see them).
 */
export function jsonBodyParser(limit: number): RequestHandler {
  return express.json({
    limit,
    strict: true,
    type: JSON_TYPES,
    verify: (_req: IncomingMessage, _res, buf: Buffer, encoding: string) => {
      if (encoding && encoding.toLowerCase() !== 'utf-8' && encoding.toLowerCase() !== 'utf8')
        throw new AppError(415, 'unsupported_encoding', `JSON bodies must be UTF-8, not ${encoding}`);
      if (!isUtf8(buf)) throw badRequest('invalid_utf8', 'the request body is not valid UTF-8');
      if (jsonNestsDeeperThan(buf, MAX_JSON_DEPTH))
        throw badRequest('json_too_deep', `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, {
          max_depth: MAX_JSON_DEPTH,
        });
    },
  });
}

/** Refuses parsed JSON bodies holding text that cannot be stored (NUL, lone surrogates): 400 `invalid_unicode`. */
export function storableTextGuard(req: Request, _res: Response, next: NextFunction): void {
  if (req.body !== null && typeof req.body === 'object') {
    const found = findUnstorableText(req.body);
    if (found) return next(badRequest('invalid_unicode', describeUnstorable(found), { path: found.path, reason: found.reason }));
  }
  next();
}

/** Headers on every response: no sniffing, no framing, no referrer, and a CSP that lets a JSON answer run nothing. */
export function securityHeaders(res: Response): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-API-KEY, X-API-Compat, If-Match, If-None-Match, X-Request-Id, X-Correlation-Id';
const EXPOSED_HEADERS =
  'ETag, Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, X-Request-Id, X-Export-Warnings, Content-Disposition';

/** The allowed origins from CORS_ORIGINS: empty (the default) allows none, `*` any. */
export function parseCorsOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/**
 * CORS for the configured origins. A preflight (OPTIONS with Access-Control-Request-Method) is answered here:
 * 204 with the allowed methods and headers for an allowed origin, 403 `cors_origin_not_allowed` otherwise.
 * Credentials travel in headers (API keys, bearer tokens), never cookies, so no Allow-Credentials.
 */
export function corsMiddleware(origins: string[]): RequestHandler {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (typeof origin !== 'string') return next();
    const ok = any || allowed.has(origin);
    res.vary('Origin');
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (!preflight) return next();
    if (!ok) return next(new AppError(403, 'cors_origin_not_allowed', `origin ${origin.slice(0, 200)} is not in CORS_ORIGINS`));
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
