import { deletePersona, restorePersona } from '../../../commands/personas/persona-workflows.ts';
import { personaAsOf, personaHistoryFold } from '../../../queries/persona-as-of.ts';
import { createPersonaQueries, toPersonaView, type PersonaRow } from '../../../queries/personas-queries.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError, notFound } from '../../../shared/errors.ts';
import { personaStream } from '../../../shared/personas/persona-fold.ts';
import { createPersonaBackup } from '../../personas/persona-backup.ts';
import { readPersonaBackup } from '../../personas/read-persona-backup.ts';
import { createPersonaWrites } from '../../personas/persona-writes.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { sendUserFile } from '../http/file-response.ts';
import { respondAfterProjection, respondCreatedAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import {
  backupSchema,
  createPersonaBody,
  expectedVersionQuery,
  getPersonaQuery,
  importReportSchema,
  listPersonasQuery,
  personaListSchema,
  personaParams,
  personaViewSchema,
  updatePersonaBody,
} from './persona-schemas.ts';
import { asOfOrCurrent, asOfResponses, deleteRoute, historyRoute, restoreRoute } from './resource-lifecycle-routes.ts';

const BASE = '/api/v1/personas';
const TAGS = ['personas'];

/** 404 for a missing (or deleted) persona, 403 for another user's. */
export function visiblePersona(row: PersonaRow | undefined, id: string, actor: Actor): PersonaRow {
  if (!row || row.deleted_at) throw notFound('persona', id);
  assertOwned(actor, row, 'this persona belongs to another user');
  return row;
}

export function personaRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createPersonaQueries(deps.db, deps.readSchema);
  const writes = createPersonaWrites(deps.db, deps.readSchema, deps);
  const backup = createPersonaBackup(deps.db, deps.readSchema, deps);
  const location = (id: string) => `${BASE}/${id}`;
  const family = { deps, path: `${BASE}/:id`, params: personaParams, id: (p: { id: string }) => p.id, tags: TAGS, location };
  const view = async (id: string, status: number): Promise<RouteResult> => {
    const row = (await queries.get(id))!;
    return { status, body: toPersonaView(row), headers: { ETag: `W/"${row.version}"` } };
  };

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/import`,
      operationId: 'importPersonas',
      summary:
        "Import SillyTavern's persona backup (`personas`, `persona_descriptions`, `default_persona`, or a settings.json's `power_user`): a JSON body (avatars as `avatars: {<id>: base64}`), or multipart with the backup in `file` and the avatar images in `avatar` fields named by persona id",
      tags: TAGS,
      auth: 'user',
      rateLimit: 'persona_ops',
      rateLimitInHandler: true,
      bodyContentType: 'multipart/form-data',
      bodyLimitBytes: deps.config.CARD_MAX_FILE_BYTES,
      responses: {
        201: { description: 'imported (personas already imported are skipped, never overwritten)', schema: importReportSchema },
        400: { description: 'not JSON, a bad image', schema: problemSchema },
        403: { description: 'over the persona limit', schema: problemSchema },
        422: { description: 'not a persona backup', schema: problemSchema },
      },
      handler: async ({ req, actor, consumeRateLimit }) => {
        const upload = await readPersonaBackup(req, deps.config.CARD_MAX_FILE_BYTES);
        const { report, last } = await backup.import(actor, upload.json, upload.avatars, () => consumeRateLimit());
        return respondAfterProjection(deps, last?.position ?? null, BASE, async () => ({ status: 201, body: report }), { ...report });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/export`,
      operationId: 'exportPersonas',
      summary: "The caller's personas as SillyTavern's persona backup (with the newer `lorebook` and `connections` fields)",
      tags: TAGS,
      auth: 'user',
      responses: { 200: { description: 'the backup JSON', schema: backupSchema } },
      handler: async ({ actor }) => ({ status: 200, body: await backup.export(actor.userId) }),
    }),
    defineRoute({
      method: 'post',
      path: BASE,
      operationId: 'createPersona',
      summary: 'Create a persona (who "I" am in a chat); `is_default: true` makes it the default and clears the previous one',
      tags: TAGS,
      auth: 'user',
      rateLimit: 'persona_ops',
      body: createPersonaBody,
      bodyLimitBytes: 8 * 1024 * 1024,
      responses: {
        201: { description: 'created', schema: personaViewSchema },
        400: { description: 'invalid, an unknown world book or character, a bad image', schema: problemSchema },
        403: { description: "over the persona limit, another user's world book or character", schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const written = await writes.create(actor, body);
        return respondCreatedAfterProjection(deps, written.position, location(written.personaId), () => view(written.personaId, 201), {
          id: written.personaId,
          version: written.revision,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: BASE,
      operationId: 'listPersonas',
      summary: "The caller's personas by name",
      tags: TAGS,
      auth: 'user',
      query: listPersonasQuery,
      responses: { 200: { description: 'a page of personas', schema: personaListSchema } },
      handler: async ({ query, actor }) => {
        const { items, total } = await queries.list(actor.userId, {
          limit: query.limit,
          offset: query.offset,
          includeDeleted: query.include_deleted,
        });
        const next = query.offset + items.length < total ? query.offset + items.length : null;
        return {
          status: 200,
          body: { items: items.map(toPersonaView), total, limit: query.limit, offset: query.offset, next_offset: next },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id`,
      operationId: 'getPersona',
      summary: 'A persona; `as_of` (a version or an ISO date-time) rebuilds it as it was, from its events',
      tags: [...TAGS, 'history'],
      auth: 'user',
      params: personaParams,
      query: getPersonaQuery,
      responses: asOfResponses(personaViewSchema, 'the persona'),
      handler: async ({ params, query, actor }) =>
        asOfOrCurrent(query, {
          past: async (asOf) => {
            const { row, version } = await personaAsOf(deps.eventStore, params.id, asOf, actor);
            return { body: toPersonaView(row), version };
          },
          current: async () => {
            visiblePersona(await queries.get(params.id), params.id, actor);
            return view(params.id, 200);
          },
        }),
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:id`,
      operationId: 'updatePersona',
      summary: 'Change persona fields (only those given); optimistic with expected_version; `is_default: true` clears the previous default',
      tags: TAGS,
      auth: 'user',
      rateLimit: 'persona_ops',
      params: personaParams,
      query: expectedVersionQuery,
      body: updatePersonaBody,
      bodyLimitBytes: 8 * 1024 * 1024,
      responses: {
        200: { description: 'updated', schema: personaViewSchema },
        400: { description: 'invalid, an unknown world book or character, a bad image', schema: problemSchema },
        403: { description: "another user's", schema: problemSchema },
        404: { description: 'missing', schema: problemSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const written = await writes.update(actor, params.id, body, query.expected_version);
        return respondAfterProjection(deps, written.position, location(params.id), () => view(params.id, 200), {
          id: params.id,
          version: written.revision,
        });
      },
    }),
    deleteRoute(family, {
      operationId: 'deletePersona',
      summary: 'Soft-delete a persona (restorable); a deleted default leaves no default',
      rateLimit: 'persona_ops',
      remove: ({ params, query, actor }) => deletePersona(deps, actor, params.id, query.expected_version),
    }),
    restoreRoute(family, {
      operationId: 'restorePersona',
      summary: 'Restore a soft-deleted persona (counts against the persona limit again; it is no longer the default)',
      rateLimit: 'persona_ops',
      responses: {
        200: { description: 'restored', schema: personaViewSchema },
        409: { description: 'not deleted', schema: problemSchema },
      },
      restore: ({ params, actor }) => restorePersona(deps, actor, params.id),
      view,
    }),
    historyRoute(family, {
      operationId: 'personaHistory',
      summary: "A persona's history: every event, who, when, the fields it changed",
      fold: personaHistoryFold,
      target: ({ id }) => ({ streamId: personaStream(id), what: 'persona', id }),
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/avatar`,
      operationId: 'getPersonaAvatar',
      summary: "The persona's image, with its content type and an ETag",
      tags: TAGS,
      auth: 'user',
      params: personaParams,
      responses: {
        200: { description: 'the image', contentType: 'image/*' },
        304: { description: 'not modified' },
        404: { description: 'no image', schema: problemSchema },
      },
      handler: async ({ params, actor, req, res }) => {
        const row = visiblePersona(await queries.get(params.id), params.id, actor);
        if (!row.avatar) throw new AppError(404, 'no_image', `persona ${params.id} has no image`);
        const etag = `"${row.avatar.sha256}"`;
        if (req.headers['if-none-match'] === etag) {
          res.status(304).setHeader('ETag', etag).end();
          return undefined;
        }
        const blob = await deps.blobStore.get(row.avatar.sha256);
        if (!blob) throw notFound('image of persona', params.id);
        sendUserFile(res, blob.bytes, { name: row.name }, { ETag: etag, 'Cache-Control': 'private, no-cache' });
        return undefined;
      },
    }),
  ];
}
