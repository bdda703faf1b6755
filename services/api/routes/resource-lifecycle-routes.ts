import { z, type ZodType } from 'zod';
import type { AsOf } from '../../../queries/as-of.ts';
import { readResourceHistory, type HistoryFold, type HistoryTarget } from '../../../queries/resource-history.ts';
import { badRequest } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import {
  defineRoute,
  type RateLimitRule,
  type ResponseSpec,
  type RouteContext,
  type RouteDefinition,
  type RouteResult,
} from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { asOfFromQuery } from './as-of-param.ts';

/**
 * The routes every event-sourced resource family has in the same shape: soft delete, restore, history, and a GET
 * that can travel back in time (`as_of`). Each family gives its paths, schemas, workflows and views; the HTTP
 * binding, the read-your-writes answer and the documented responses are written here once.
 */

/** How a write route counts against the per-user rate limits (one of the two, as every write route must). */
export type WriteLimit = { rateLimit: RateLimitRule } | { rateLimitExempt: string };

/** What an append returned: the log position to wait for and the stream revision (the resource's version). */
export interface Appended {
  position: string | null;
  revision: number;
}

export interface ResourceRoutesFamily<P> {
  deps: ApiDependencies;
  /** The resource's path with its id parameter, e.g. `/api/v1/characters/:id`. */
  path: string;
  params: ZodType<P>;
  id: (params: P) => string;
  tags: string[];
  location: (id: string) => string;
  /** Responses every route of the family documents besides its own (e.g. the chats' 400/403/404). */
  errors?: Record<number, ResponseSpec>;
}

const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();
type ExpectedVersion = z.infer<typeof expectedVersionQuery>;

export const deletedSchema = z.object({ id: z.uuid(), version: z.number().int(), deleted: z.literal(true) });

/** `DELETE {path}`: a soft delete (an event; restorable), optimistic with `expected_version`. */
export function deleteRoute<P, R extends Appended = Appended>(
  family: ResourceRoutesFamily<P>,
  spec: WriteLimit & {
    operationId: string;
    summary: string;
    responses?: Record<number, ResponseSpec>;
    remove: (ctx: RouteContext<P, ExpectedVersion, undefined>) => Promise<R>;
    /** The version the answer names; the stream revision unless the family versions a part of its stream. */
    version?: (result: R) => number;
  },
): RouteDefinition<P, ExpectedVersion, undefined> {
  return defineRoute<P, ExpectedVersion, undefined>({
    method: 'delete',
    path: family.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tags: family.tags,
    auth: 'user',
    ...limitOf(spec),
    params: family.params,
    query: expectedVersionQuery,
    responses: {
      200: { description: 'deleted', schema: deletedSchema },
      409: { description: 'version conflict', schema: problemSchema },
      ...spec.responses,
      ...family.errors,
    },
    handler: async (ctx) => {
      const id = family.id(ctx.params);
      const result = await spec.remove(ctx);
      const body = { id, version: spec.version ? spec.version(result) : result.revision, deleted: true };
      return respondAfterProjection(family.deps, result.position, family.location(id), async () => ({ status: 200, body }), body);
    },
  });
}

/** `POST {path}/restore`: undoes a soft delete and answers with the resource as it now is. */
export function restoreRoute<P>(
  family: ResourceRoutesFamily<P>,
  spec: WriteLimit & {
    operationId: string;
    summary: string;
    /** Whether the route takes `expected_version`. */
    optimistic?: boolean;
    responses: { 200: ResponseSpec; 409: ResponseSpec };
    restore: (ctx: RouteContext<P, ExpectedVersion, undefined>) => Promise<Appended>;
    view: (id: string, status: number) => Promise<RouteResult>;
    /** The 202 body while the projection lags; `{ id, version }` unless given. */
    accepted?: (id: string, result: Appended) => Record<string, unknown>;
  },
): RouteDefinition<P, ExpectedVersion, undefined> {
  return defineRoute<P, ExpectedVersion, undefined>({
    method: 'post',
    path: `${family.path}/restore`,
    operationId: spec.operationId,
    summary: spec.summary,
    tags: family.tags,
    auth: 'user',
    ...limitOf(spec),
    params: family.params,
    ...(spec.optimistic ? { query: expectedVersionQuery } : {}),
    responses: { ...spec.responses, ...family.errors },
    handler: async (ctx) => {
      const id = family.id(ctx.params);
      const result = await spec.restore(ctx);
      const accepted = spec.accepted ? spec.accepted(id, result) : { id, version: result.revision };
      return respondAfterProjection(family.deps, result.position, family.location(id), () => spec.view(id, 200), accepted);
    },
  });
}

const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    order: z.enum(['asc', 'desc']).default('asc'),
    cursor: z.string().max(200).optional(),
  })
  .strict();
type HistoryQuery = z.infer<typeof historyQuery>;

export const historyItemSchema = z.object({
  version: z
    .number()
    .int()
    .describe('the stream revision after the event: the version of the resource (of the book, of the chat, for entries and messages)'),
  position: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  at: z.iso.datetime(),
  user_id: z.string(),
  request_id: z.string().nullable(),
  correlation_id: z.string().nullable(),
  summary: z.string(),
  changed_fields: z.array(z.string()),
});

const historySchema = z.object({
  items: z.array(historyItemSchema),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
  current_version: z.number().int(),
});

const historyResponses = {
  200: { description: 'the events that touched it, oldest first unless order=desc', schema: historySchema },
  400: { description: 'invalid cursor', schema: problemSchema },
  403: { description: "another user's", schema: problemSchema },
  404: { description: 'missing', schema: problemSchema },
};

/** Cursors are opaque to clients: the order and the last version seen. */
const encodeCursor = (order: string, version: number) => Buffer.from(JSON.stringify({ o: order, v: version })).toString('base64url');

function decodeCursor(cursor: string, order: string): number {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; v?: unknown };
    if (c.o === order && Number.isSafeInteger(c.v)) return c.v as number;
  } catch {
    // fall through
  }
  throw badRequest('invalid_cursor', 'cursor is not one this history gave (the order must stay the same)');
}

/**
 * `GET {path}/history`: the events of the resource's stream (or those touching one part of it, an entry or a
 * message), paginated by an opaque cursor. Deleted resources keep a readable history.
 */
export function historyRoute<P, S>(
  family: Pick<ResourceRoutesFamily<P>, 'deps' | 'path' | 'params' | 'tags'>,
  spec: {
    path?: string;
    operationId: string;
    summary: string;
    fold: HistoryFold<S>;
    /** The stream to read; async when the read model only routes the part to its stream (a message to its chat). */
    target: (params: P) => HistoryTarget | Promise<HistoryTarget>;
  },
): RouteDefinition<P, HistoryQuery, undefined> {
  return defineRoute<P, HistoryQuery, undefined>({
    method: 'get',
    path: spec.path ?? `${family.path}/history`,
    operationId: spec.operationId,
    summary: spec.summary,
    tags: family.tags,
    auth: 'user',
    params: family.params,
    query: historyQuery,
    responses: historyResponses,
    handler: async ({ params, query, actor }) => {
      const afterVersion = query.cursor !== undefined ? decodeCursor(query.cursor, query.order) : undefined;
      const { items, hasMore, currentVersion } = await readResourceHistory(
        family.deps.eventStore,
        spec.fold,
        await spec.target(params),
        actor,
        { order: query.order, limit: query.limit, ...(afterVersion !== undefined ? { afterVersion } : {}) },
      );
      const last = items[items.length - 1];
      return {
        status: 200,
        body: {
          items: items.map((i) => i.item),
          next_cursor: hasMore && last ? encodeCursor(query.order, last.item.version) : null,
          has_more: hasMore,
          current_version: currentVersion,
        },
      };
    },
  });
}

/** The responses of a GET that can travel back in time, beside its view schema. */
export function asOfResponses(view: ZodType, description: string): Record<number, ResponseSpec> {
  return {
    200: { description: `${description} (with \`as_of_version\` when rebuilt from its past)`, schema: view },
    400: { description: 'as_of is not a version or a date-time, or is in the future', schema: problemSchema },
    403: { description: "another user's", schema: problemSchema },
    404: { description: 'missing, or no such version (or not yet created at that time)', schema: problemSchema },
  };
}

/**
 * A GET's answer: rebuilt from the stream when the query asks for a point in time (`as_of`, `as_of_version`), the
 * read model's row otherwise. The past version is the ETag and `as_of_version`.
 */
export async function asOfOrCurrent(
  query: { as_of?: string | undefined; as_of_version?: number | undefined },
  answer: { past: (asOf: AsOf) => Promise<{ body: object; version: number }>; current: () => Promise<RouteResult> },
): Promise<RouteResult> {
  const asOf = asOfFromQuery(query);
  if (!asOf) return answer.current();
  const { body, version } = await answer.past(asOf);
  return { status: 200, body: { ...body, as_of_version: version }, headers: { ETag: `W/"${version}"` } };
}

function limitOf(limit: WriteLimit): WriteLimit {
  return 'rateLimit' in limit ? { rateLimit: limit.rateLimit } : { rateLimitExempt: limit.rateLimitExempt };
}
