import type { NextFunction, Request, Response, Router } from 'express';
import { z, type ZodType } from 'zod';
import type { Actor } from '../../../shared/access/actor.ts';
import type { Logger } from '../../../infra/logger.ts';
import { AppError, unauthorized } from '../../../shared/errors.ts';
import type { RateLimitAction, RateLimitDecision, RateLimits } from '../../../infra/ratelimit/rate-limits.ts';
import { JSON_TYPES } from './hardening.ts';
import { problemSchema } from './schemas.ts';
import { assertAdmin } from '../../../shared/access/access-rules.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  contentType?: string;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The caller (`anonymous` on a public route), with this request's ids for the events it causes. */
  actor: Actor;
  log: Logger;
  req: Request;
  res: Response;
  /**
   * Spends the route's rate-limit points (429 when one is used up); only for a route with `rateLimitInHandler`,
   * once the request is known to be valid. Without `actions`: the route's rules against the parsed body; with
   * them: exactly those (each must be one the route declares), for what only the handler can tell (a card with images).
   */
  consumeRateLimit: (actions?: readonly RateLimitAction[]) => Promise<void>;
}

/** An action a route counts against, or one it counts only when the validated body calls for it (a message with an image). */
export type RateLimitRule<B = any> = RateLimitAction | { action: RateLimitAction; when: (body: B) => boolean };

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One entry of the route table: the HTTP binding, its zod schemas (which validate requests and generate the
 * OpenAPI document), who may call it, and a thin handler. The table is also what the authorization-matrix
 * tests iterate over, so a new route cannot skip them.
 */
export interface RouteDefinition<P = any, Q = any, B = any> {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  auth: 'public' | 'user' | 'admin';
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /**
   * The per-user rate limits this route counts against, spent once params, query and body are validated (a
   * refused request spends nothing). Every write route has this or `rateLimitExempt`.
   */
  rateLimit?: RateLimitRule<B> | readonly RateLimitRule<B>[];
  /** Why this write route counts against no rate limit. */
  rateLimitExempt?: string;
  /**
   * The handler validates beyond the schemas (a multipart body, a card file, a completion's model and target) and
   * calls `ctx.consumeRateLimit` once the request is good; nothing is spent before the handler.
   */
  rateLimitInHandler?: true;
  /** Content types accepted for the body; JSON by default. Routes with other types parse the body themselves. */
  bodyContentType?: string;
  /** A larger JSON body limit than BODY_LIMIT_BYTES for this route (message images, chat imports). */
  bodyLimitBytes?: number;
  /**
   * Runs once the path parameters are parsed and before the query and body are: ownership comes before
   * validation, so another user's resource with odd parameters is its 403/404, never a 400/422.
   */
  authorize?: (ctx: { params: P; actor: Actor }) => Promise<void>;
  /**
   * Only the path written with its trailing slash is this route's; without the slash the request goes on to the
   * next route of the same path (tldw_server's `GET /characters/` beside our `GET /characters`).
   */
  trailingSlash?: true;
  /**
   * Only the requests this accepts are this route's; the others go on to the next route of the same path
   * (tldw_server's shapes on a path both APIs share, asked for with `X-API-Compat: tldw`).
   */
  claims?: (req: Request) => boolean;
  /**
   * How this route's errors are written: problem+json (the default), or FastAPI's `{"detail": ...}` with 422 and
   * its error list for invalid input, for the tldw_server-compatible routes (`services/api/tldw/`).
   */
  errorStyle?: 'problem' | 'fastapi';
  responses: Record<number, ResponseSpec>;
  /** Returns the response, or undefined when the handler wrote it itself (streams, files). */
  handler: (ctx: RouteContext<P, Q, B>) => Promise<RouteResult | undefined>;
}

export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  route: RouteDefinition<P, Q, B>,
): RouteDefinition<P, Q, B> {
  return route;
}

/** Sets the IETF RateLimit headers (and Retry-After on a refusal). */
export function setRateLimitHeaders(
  res: Response,
  d: { limit: number; remaining: number; resetMs: number; windowSeconds: number; allowed: boolean },
): void {
  const reset = Math.max(1, Math.ceil(d.resetMs / 1000));
  res.setHeader('RateLimit-Limit', String(d.limit));
  res.setHeader('RateLimit-Remaining', String(d.remaining));
  res.setHeader('RateLimit-Reset', String(reset));
  res.setHeader('RateLimit-Policy', `${d.limit};w=${d.windowSeconds}`);
  if (!d.allowed) res.setHeader('Retry-After', String(reset));
}

/**
 * Spends one point of each action in turn; when one is used up the points already taken are given back (the request
 * did nothing) and the answer is a 429 with that action's headers. An allowed request carries the headers of the
 * action closest to its limit.
 */
async function spendRateLimits(rateLimits: RateLimits, userId: string, actions: readonly RateLimitAction[], res: Response): Promise<void> {
  const spent: RateLimitDecision[] = [];
  for (const action of actions) {
    const d = await rateLimits.consume(action, userId);
    if (!d.allowed) {
      // A refund the store cannot take leaves a point spent; the answer is the 429 all the same.
      await Promise.all(spent.map((s) => rateLimits.refund(s.action, userId).catch(() => undefined)));
      setRateLimitHeaders(res, d);
      throw new AppError(
        429,
        'rate_limited',
        `rate limit for ${action} exceeded: ${d.limit} per ${d.windowSeconds} s; retry in ${Math.ceil(d.resetMs / 1000)} s`,
        {
          action,
          limit: d.limit,
          retry_after_seconds: Math.max(1, Math.ceil(d.resetMs / 1000)),
        },
      );
    }
    spent.push(d);
  }
  const closest = spent.reduce<RateLimitDecision | undefined>(
    (a, d) => (!a || d.remaining / d.limit < a.remaining / a.limit ? d : a),
    undefined,
  );
  if (closest) setRateLimitHeaders(res, closest);
}

/** Where a request failed validation (FastAPI's `loc` starts with it). */
export type RequestPart = 'path' | 'query' | 'body';

/** The keys of a query schema that is an object (undefined for any other schema). */
function queryKeys(schema: ZodType | undefined): string[] | undefined {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/**
 * The query a route's schema is given. A GET ignores parameters it does not know (as FastAPI does, so clients
 * that send extra ones keep working), logged at debug; a known parameter with a bad value is still refused.
 * Writes keep their strict schemas.
 */
export function knownQuery(
  route: Pick<RouteDefinition, 'method' | 'query'>,
  raw: Record<string, unknown>,
  log?: Logger,
): Record<string, unknown> {
  const keys = route.method === 'get' ? queryKeys(route.query) : undefined;
  if (!keys) return raw;
  const known: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (keys.includes(key)) known[key] = value;
    else ignored.push(key);
  }
  if (ignored.length > 0) log?.debug({ ignored }, 'unknown query parameters ignored');
  return known;
}

function parsePart<T>(schema: ZodType<T>, value: unknown, part: RequestPart, res: Response): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  res.locals.invalidPart = part;
  res.locals.invalidInput = value;
  throw parsed.error;
}

export function registerRoutes(
  router: Router,
  routes: readonly RouteDefinition[],
  authenticate: (req: Request) => Promise<Pick<Actor, 'userId' | 'isAdmin'> | null>,
  options: { rateLimits?: RateLimits; beforeRead?: (userId: string) => Promise<void> } = {},
): void {
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response, next: NextFunction) => {
      if (route.trailingSlash && !req.path.endsWith('/')) return next();
      if (route.claims && !route.claims(req)) return next();
      if (route.errorStyle) res.locals.errorStyle = route.errorStyle;
      let principal: Pick<Actor, 'userId' | 'isAdmin'> | null = null;
      if (route.auth !== 'public') {
        principal = await authenticate(req);
        if (!principal) throw unauthorized();
        if (route.auth === 'admin') assertAdmin(principal, 'this operation needs an administrator');
      }
      if (principal && route.method === 'get' && options.beforeRead) await options.beforeRead(principal.userId);
      // After authentication: a 401 is the same problem document on every route (it carries `detail` too).
      if (route.errorStyle === 'fastapi') res.locals.fastApiErrors = true;
      // A JSON route given a body of another type would otherwise see no body at all.
      // (FastAPI answers a request with no body at all by its 422 "field required", not a 415.)
      const noBody = req.headers['content-length'] === '0' && !req.headers['content-type'];
      if (route.body && !route.bodyContentType && req.is(JSON_TYPES) === false && !(noBody && route.errorStyle === 'fastapi'))
        throw new AppError(415, 'unsupported_media_type', 'send the request body as application/json');
      const params = route.params ? parsePart(route.params, req.params, 'path', res) : {};
      const requestId = res.locals.requestId as string;
      const log = (res.locals.log as Logger).child(principal ? { userId: principal.userId } : {});
      const actor: Actor = {
        userId: principal?.userId ?? 'anonymous',
        isAdmin: principal?.isAdmin ?? false,
        requestId,
        correlationId: (res.locals.correlationId as string) ?? requestId,
        causationId: requestId,
      };
      if (route.authorize) await route.authorize({ params, actor });
      const query = route.query ? parsePart(route.query, knownQuery(route, req.query as Record<string, unknown>, log), 'query', res) : {};
      const body = route.body ? parsePart(route.body, req.body ?? {}, 'body', res) : undefined;
      const rules = ([] as RateLimitRule[]).concat(route.rateLimit ?? []);
      let consumed = false;
      const consumeRateLimit = async (actions?: readonly RateLimitAction[]) => {
        if (consumed) throw new Error(`${route.operationId} consumed its rate limit twice`);
        consumed = true;
        const declared = rules.map((r) => (typeof r === 'string' ? r : r.action));
        const undeclared = actions?.find((a) => !declared.includes(a));
        if (undeclared) throw new Error(`${route.operationId} does not declare the rate limit ${undeclared}`);
        if (!options.rateLimits || !principal) return;
        await spendRateLimits(
          options.rateLimits,
          principal.userId,
          actions ?? rules.flatMap((r) => (typeof r === 'string' ? [r] : r.when(body) ? [r.action] : [])),
          res,
        );
      };
      if (rules.length > 0 && !route.rateLimitInHandler) await consumeRateLimit();
      const ctx: RouteContext<unknown, unknown, unknown> = {
        params,
        query,
        body,
        actor,
        log,
        req,
        res,
        consumeRateLimit: async (actions) => {
          if (!route.rateLimitInHandler) throw new Error(`${route.operationId} spends its rate limit before the handler`);
          await consumeRateLimit(actions);
        },
      };
      const result = await route.handler(ctx as never);
      if (!result) return;
      for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
      if (result.body === undefined) res.status(result.status).end();
      else res.status(result.status).json(result.body);
    });
  }
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

function jsonSchema(schema: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function objectParameters(schema: ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

/** A rate-limited route documents its 429 and the actions it counts against. */
function withRateLimitResponse(route: RouteDefinition): Record<number, ResponseSpec> {
  const actions = ([] as RateLimitRule[])
    .concat(route.rateLimit ?? [])
    .map((r) => (typeof r === 'string' ? r : `${r.action} (when the request calls for it)`));
  if (actions.length === 0) return route.responses;
  const description = `rate limited (\`rate_limited\`): counts against ${actions.join(', ')}; Retry-After and RateLimit-* say when to retry`;
  return {
    ...route.responses,
    429: {
      schema: problemSchema,
      ...route.responses[429],
      description: route.responses[429] ? `${route.responses[429].description}; ${description}` : description,
    },
  };
}

/** OpenAPI 3.1 (JSON Schema 2020-12) generated from the same zod schemas that validate requests. */
export function openApiDocument(routes: readonly RouteDefinition[], info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const p = toOpenApiPath(route.path);
    paths[p] ??= {};
    paths[p][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      ...(route.auth === 'public' ? { security: [] } : {}),
      parameters: [...objectParameters(route.params, 'path'), ...objectParameters(route.query, 'query')],
      ...(route.body || route.bodyContentType
        ? {
            requestBody: {
              required: true,
              content: { [route.bodyContentType ?? 'application/json']: { schema: route.body ? jsonSchema(route.body, 'input') : {} } },
            },
          }
        : {}),
      ...(route.rateLimitExempt ? { 'x-rate-limit-exempt': route.rateLimitExempt } : {}),
      responses: Object.fromEntries(
        Object.entries(withRateLimitResponse(route)).map(([status, spec]) => [
          status,
          {
            description: spec.description,
            ...(spec.schema || spec.contentType
              ? {
                  content: {
                    [spec.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json')]: {
                      schema: spec.schema ? jsonSchema(spec.schema, 'output') : {},
                    },
                  },
                }
              : {}),
          },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key or (multi-user mode) a JWT' },
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
  };
}
