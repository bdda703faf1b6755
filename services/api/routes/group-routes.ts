import { z } from 'zod';
import { deleteGroup, restoreGroup } from '../../../commands/groups/group-workflows.ts';
import { groupAsOf } from '../../../queries/group-as-of.ts';
import { groupHistoryFold } from '../../../queries/group-history-fold.ts';
import { createGroupQueries, toGroupView, type GroupRow } from '../../../queries/groups-queries.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';
import { AppError, notFound } from '../../../shared/errors.ts';
import { groupStream } from '../../../shared/groups/group-fold.ts';
import { exportSillyTavernGroup, importSillyTavernGroup } from '../../groups/sillytavern-groups.ts';
import { createGroupWrites } from '../../groups/group-writes.ts';
import { contentDispositionHeader, sendUserFile } from '../http/file-response.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection, respondCreatedAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { asOfOrCurrent, asOfResponses, deleteRoute, historyRoute, restoreRoute } from './resource-lifecycle-routes.ts';
import {
  createGroupBody,
  expectedVersionQuery,
  getGroupQuery,
  groupParams,
  groupViewSchema,
  listGroupsQuery,
  toMembers,
  updateGroupBody,
} from './group-schemas.ts';

const BASE = '/api/v1/groups';

/** Groups of characters (SillyTavern's group chats' definitions): create, read, list, change, delete, restore, history. */
export function groupRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createGroupQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache, maxMembers: deps.config.GROUP_MAX_MEMBERS };
  const writes = createGroupWrites({ ...commands, blobStore: deps.blobStore, config: deps.config });
  const location = (id: string) => `${BASE}/${id}`;
  const visibleGroup = (row: GroupRow | undefined, id: string, actor: Parameters<typeof assertOwned>[0]) => {
    if (!row || row.deleted_at) throw notFound('group', id);
    assertOwned(actor, row);
    return row;
  };
  const family = { deps, path: `${BASE}/:id`, params: groupParams, id: (p: { id: string }) => p.id, tags: ['groups'], location };
  const view = async (row: GroupRow) => toGroupView(row, await queries.memberCharacters([row]));
  const groupResponse = async (id: string, status: number): Promise<RouteResult> => {
    const row = (await queries.get(id))!;
    return { status, body: await view(row), headers: { ETag: `W/"${row.version}"` } };
  };

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/import`,
      operationId: 'importSillyTavernGroup',
      summary:
        "Import a SillyTavern group file (groups/<id>.json): members matched to the caller's characters by avatar file name, then by name",
      tags: ['groups'],
      auth: 'user',
      rateLimit: 'group_ops',
      body: z.record(z.string(), z.unknown()),
      responses: {
        201: { description: 'imported; `unresolved` lists the members no character matched', schema: groupViewSchema },
        400: { description: 'no member matched one of the caller’s characters', schema: problemSchema },
        422: { description: 'not a SillyTavern group file', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const { groupId, result, unresolved } = await importSillyTavernGroup(deps.db, deps.readSchema, commands, actor, body);
        const created = async () => {
          const answer = await groupResponse(groupId, 201);
          return { ...answer, body: { ...(answer.body as object), unresolved } };
        };
        return respondCreatedAfterProjection(deps, result.position, location(groupId), created, {
          id: groupId,
          version: result.revision,
          unresolved,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/export`,
      operationId: 'exportSillyTavernGroup',
      summary: 'The group as a SillyTavern group file (members as avatar file names, numeric strategy and mode)',
      tags: ['groups'],
      auth: 'user',
      params: groupParams,
      responses: { 200: { description: 'the group file', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ params, actor }) => {
        const row = await queries.get(params.id);
        if (!row || row.deleted_at) throw notFound('group', params.id);
        assertOwned(actor, row);
        return {
          status: 200,
          body: await exportSillyTavernGroup(deps.db, deps.readSchema, row),
          headers: { 'Content-Disposition': contentDispositionHeader('attachment', { name: row.name, extension: 'json' }) },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: BASE,
      operationId: 'createGroup',
      summary: "Create a group of the caller's characters (members in list order, muted or not, talkativeness overrides)",
      tags: ['groups'],
      auth: 'user',
      rateLimit: 'group_ops',
      body: createGroupBody,
      responses: {
        201: { description: 'created', schema: groupViewSchema },
        400: { description: 'a member or world book that is not the caller’s, a duplicate, too many members', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const { member_ids, avatar_base64, ...rest } = body;
        const { groupId, result } = await writes.create(actor, { ...rest, members: toMembers(member_ids) }, avatar_base64);
        return respondCreatedAfterProjection(deps, result.position, location(groupId), () => groupResponse(groupId, 201), {
          id: groupId,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: BASE,
      operationId: 'listGroups',
      summary: "The caller's groups by name",
      tags: ['groups'],
      auth: 'user',
      query: listGroupsQuery,
      responses: {
        200: {
          description: 'a page of groups',
          schema: z.object({ items: z.array(groupViewSchema), total: z.number().int(), next_offset: z.number().int().nullable() }),
        },
      },
      handler: async ({ query, actor }) => {
        const { items, total } = await queries.list(actor.userId, {
          limit: query.limit,
          offset: query.offset,
          includeDeleted: query.include_deleted,
        });
        const characters = await queries.memberCharacters(items);
        const next = query.offset + items.length < total ? query.offset + items.length : null;
        return { status: 200, body: { items: items.map((r) => toGroupView(r, characters)), total, next_offset: next } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id`,
      operationId: 'getGroup',
      summary: 'A group; `as_of` (a version or an ISO date-time) rebuilds it as it was, from its events',
      tags: ['groups', 'history'],
      auth: 'user',
      params: groupParams,
      query: getGroupQuery,
      responses: asOfResponses(groupViewSchema, 'the group'),
      handler: async ({ params, query, actor }) =>
        asOfOrCurrent(query, {
          past: async (asOf) => {
            const { row, version } = await groupAsOf(deps.eventStore, params.id, asOf, actor);
            return { body: await view(row), version };
          },
          current: async () => {
            const row = await queries.get(params.id);
            if (!row || row.deleted_at) throw notFound('group', params.id);
            assertOwned(actor, row);
            return groupResponse(params.id, 200);
          },
        }),
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:id`,
      operationId: 'updateGroup',
      summary: 'Change group fields (name, member_ids, strategy, mode, ...); optimistic with expected_version',
      tags: ['groups'],
      auth: 'user',
      rateLimit: 'group_ops',
      params: groupParams,
      query: expectedVersionQuery,
      body: updateGroupBody,
      responses: {
        200: { description: 'updated', schema: groupViewSchema },
        400: { description: 'invalid members or world books', schema: problemSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const { member_ids, avatar_base64, ...rest } = body;
        const changes = { ...rest, ...(member_ids ? { members: toMembers(member_ids) } : {}) };
        const result = await writes.update(actor, params.id, changes, avatar_base64, query.expected_version);
        return respondAfterProjection(deps, result.position, location(params.id), () => groupResponse(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/avatar`,
      operationId: 'getGroupAvatar',
      summary: "The group's image, with its content type and an ETag",
      tags: ['groups'],
      auth: 'user',
      params: groupParams,
      responses: {
        200: { description: 'the image', contentType: 'image/*' },
        304: { description: 'not modified' },
        404: { description: 'no image', schema: problemSchema },
      },
      handler: async ({ params, actor, req, res }) => {
        const row = visibleGroup(await queries.get(params.id), params.id, actor);
        if (!row.avatar) throw new AppError(404, 'no_image', `group ${params.id} has no image`);
        const etag = `"${row.avatar.sha256}"`;
        if (req.headers['if-none-match'] === etag) {
          res.status(304).setHeader('ETag', etag).end();
          return undefined;
        }
        const blob = await deps.blobStore.get(row.avatar.sha256);
        if (!blob) throw notFound('image of group', params.id);
        sendUserFile(res, blob.bytes, { name: row.name }, { ETag: etag, 'Cache-Control': 'private, no-cache' });
        return undefined;
      },
    }),
    deleteRoute(family, {
      operationId: 'deleteGroup',
      summary: 'Soft-delete a group (restorable)',
      rateLimit: 'group_ops',
      remove: ({ params, query, actor }) => deleteGroup(commands, actor, params.id, query.expected_version),
    }),
    restoreRoute(family, {
      operationId: 'restoreGroup',
      summary: 'Restore a soft-deleted group',
      rateLimit: 'group_ops',
      responses: { 200: { description: 'restored', schema: groupViewSchema }, 409: { description: 'not deleted', schema: problemSchema } },
      restore: ({ params, actor }) => restoreGroup(commands, actor, params.id),
      view: (id, status) => groupResponse(id, status),
    }),
    historyRoute(family, {
      operationId: 'groupHistory',
      summary: "A group's history: every event, who, when, the fields it changed",
      fold: groupHistoryFold,
      target: ({ id }) => ({ streamId: groupStream(id), what: 'group', id }),
    }),
  ];
}
