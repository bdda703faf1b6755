import { z, type ZodType } from 'zod';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { respondAfterProjection, respondCreatedAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type ResponseSpec, type RouteContext, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import type { Appended, WriteLimit } from './resource-lifecycle-routes.ts';

/**
 * The entries of a container resource (a world book's entries, a chat dictionary's): add, get, change and remove
 * one entry, written once for both families. An entry is part of its container's stream: the container's version
 * is the entry's, the container's stream decides, and the read model only routes an entry to its container.
 */

const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();
type ExpectedVersion = z.infer<typeof expectedVersionQuery>;

/** The names a family's answers use: `entry_id` or `id` for the entry, and its container's id and version. */
export interface EntryAnswerNames {
  entryId: string;
  containerId: string;
  containerVersion: string;
}

export interface EntryFamily<CP, EP> {
  deps: ApiDependencies;
  tags: string[];
  limit: WriteLimit;
  names: EntryAnswerNames;
  /** The container's entries, e.g. `/api/v1/chat/dictionaries/:id/entries`. */
  collection: { path: string; params: ZodType<CP>; containerId: (params: CP) => string };
  /** One entry. */
  item: {
    path: string;
    params: ZodType<EP>;
    entryId: (params: EP) => string;
    /**
     * The entry's container, for a read (404 for a missing entry, 403 for another user's) or a write (where the
     * container's stream decides; a family may still need the read model to route the entry).
     */
    containerOf: (params: EP, actor: Actor, purpose: 'read' | 'write') => Promise<string>;
  };
  location: (containerId: string, entryId: string) => string;
  /** The container's location, where a removed entry's answer points. */
  containerLocation: (containerId: string) => string;
  entryViewSchema: ZodType;
  /** The entry with its container's version (and ETag). */
  view: (containerId: string, entryId: string, status: number) => Promise<RouteResult>;
}

export interface EntryOperations<CP, EP, CB, UB> {
  create: {
    operationId: string;
    summary: string;
    body: ZodType<CB>;
    responses: Record<number, ResponseSpec>;
    add: (ctx: RouteContext<CP, ExpectedVersion, CB>, containerId: string) => Promise<{ entryId: string; result: Appended }>;
  };
  get: { operationId: string; summary: string };
  update: {
    operationId: string;
    summary: string;
    body: ZodType<UB>;
    responses: Record<number, ResponseSpec>;
    change: (ctx: RouteContext<EP, ExpectedVersion, UB>, containerId: string, entryId: string) => Promise<Appended>;
  };
  remove: {
    operationId: string;
    summary: string;
    remove: (ctx: RouteContext<EP, ExpectedVersion, undefined>, containerId: string, entryId: string) => Promise<Appended>;
  };
}

/** The create, get, update and delete routes of a family's entries. */
export function entryRoutes<CP, EP, CB, UB>(family: EntryFamily<CP, EP>, ops: EntryOperations<CP, EP, CB, UB>): RouteDefinition[] {
  const { deps, names } = family;
  const limit = 'rateLimit' in family.limit ? { rateLimit: family.limit.rateLimit } : { rateLimitExempt: family.limit.rateLimitExempt };
  const accepted = (entryId: string, result: Appended) => ({ [names.entryId]: entryId, [names.containerVersion]: result.revision });

  return [
    defineRoute<CP, ExpectedVersion, CB>({
      method: 'post',
      path: family.collection.path,
      operationId: ops.create.operationId,
      summary: ops.create.summary,
      tags: family.tags,
      auth: 'user',
      ...limit,
      params: family.collection.params,
      query: expectedVersionQuery,
      body: ops.create.body,
      responses: ops.create.responses,
      handler: async (ctx) => {
        const containerId = family.collection.containerId(ctx.params);
        const { entryId, result } = await ops.create.add(ctx, containerId);
        return respondCreatedAfterProjection(
          deps,
          result.position,
          family.location(containerId, entryId),
          () => family.view(containerId, entryId, 201),
          accepted(entryId, result),
        );
      },
    }),
    defineRoute<EP>({
      method: 'get',
      path: family.item.path,
      operationId: ops.get.operationId,
      summary: ops.get.summary,
      tags: family.tags,
      auth: 'user',
      params: family.item.params,
      responses: {
        200: { description: 'the entry', schema: family.entryViewSchema },
        404: { description: 'missing', schema: problemSchema },
      },
      handler: async ({ params, actor }) => {
        const containerId = await family.item.containerOf(params, actor, 'read');
        return family.view(containerId, family.item.entryId(params), 200);
      },
    }),
    defineRoute<EP, ExpectedVersion, UB>({
      method: 'put',
      path: family.item.path,
      operationId: ops.update.operationId,
      summary: ops.update.summary,
      tags: family.tags,
      auth: 'user',
      ...limit,
      params: family.item.params,
      query: expectedVersionQuery,
      body: ops.update.body,
      responses: ops.update.responses,
      handler: async (ctx) => {
        const entryId = family.item.entryId(ctx.params);
        const containerId = await family.item.containerOf(ctx.params, ctx.actor, 'write');
        const result = await ops.update.change(ctx, containerId, entryId);
        return respondAfterProjection(
          deps,
          result.position,
          family.location(containerId, entryId),
          () => family.view(containerId, entryId, 200),
          accepted(entryId, result),
        );
      },
    }),
    defineRoute<EP, ExpectedVersion, undefined>({
      method: 'delete',
      path: family.item.path,
      operationId: ops.remove.operationId,
      summary: ops.remove.summary,
      tags: family.tags,
      auth: 'user',
      ...limit,
      params: family.item.params,
      query: expectedVersionQuery,
      responses: {
        200: {
          description: 'deleted',
          schema: z.object({
            [names.entryId]: z.uuid(),
            [names.containerId]: z.uuid(),
            [names.containerVersion]: z.number().int(),
            deleted: z.literal(true),
          }),
        },
      },
      handler: async (ctx) => {
        const entryId = family.item.entryId(ctx.params);
        const containerId = await family.item.containerOf(ctx.params, ctx.actor, 'write');
        const result = await ops.remove.remove(ctx, containerId, entryId);
        const body = {
          [names.entryId]: entryId,
          [names.containerId]: containerId,
          [names.containerVersion]: result.revision,
          deleted: true,
        };
        return respondAfterProjection(
          deps,
          result.position,
          family.containerLocation(containerId),
          async () => ({ status: 200, body }),
          body,
        );
      },
    }),
  ];
}
