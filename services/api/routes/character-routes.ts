import { z } from 'zod';
import { handleCommand } from '../../../commands/command-handler.ts';
import { characterDecider, characterStream } from '../../../commands/characters/character-decider.ts';
import { createCharacterQueries, toCharacterView, type CharacterRow } from '../../../queries/characters-queries.ts';
import { characterChangesSchema, characterFieldsSchema } from '../../../shared/characters/character-fields.ts';
import { forbidden, notFound } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Principal } from '../auth/principal.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();

export const characterViewSchema = characterFieldsSchema.extend({
  id: z.uuid(),
  version: z.number().int(),
  owner_id: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  deleted_at: z.iso.datetime().nullable(),
});

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

const listSchema = z.object({ items: z.array(characterViewSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int(), next_offset: z.number().int().nullable() });

/** 404 for a missing (or deleted) character, 403 for another user's. */
export function visibleCharacter(row: CharacterRow | undefined, id: string, principal: Principal, options: { includeDeleted?: boolean } = {}): CharacterRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('character', id);
  if (row.owner_id !== principal.userId && !principal.isAdmin) throw forbidden();
  return row;
}

export function characterRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createCharacterQueries(deps.db, deps.readSchema);
  const location = (id: string) => `/api/v1/characters/${id}`;
  const current = async (id: string, status: number) => {
    const row = (await queries.get(id))!;
    return { status, body: toCharacterView(row), headers: { ETag: `W/"${row.version}"` } };
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/characters',
      operationId: 'createCharacter',
      summary: 'Create a character',
      tags: ['characters'],
      auth: 'user',
      body: characterFieldsSchema,
      responses: { 201: { description: 'created', schema: characterViewSchema }, 202: { description: 'accepted; not yet readable' }, 400: { description: 'invalid', schema: problemSchema } },
      handler: async ({ body, command }) => {
        const id = newId();
        const result = await handleCommand(deps.eventStore, characterStream(id), characterDecider, { type: 'CreateCharacter', characterId: id, fields: body }, command);
        return respondAfterProjection(deps, result.position, location(id), async () => {
          const r = await current(id, 201);
          return { ...r, headers: { ...r.headers, Location: location(id) } };
        }, { id, version: result.revision });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters',
      operationId: 'listCharacters',
      summary: "List the caller's characters",
      tags: ['characters'],
      auth: 'user',
      query: listQuery,
      responses: { 200: { description: 'a page of characters', schema: listSchema } },
      handler: async ({ query, principal }) => {
        const { items, total } = await queries.list(principal.userId, query);
        const next = query.offset + items.length < total ? query.offset + items.length : null;
        return { status: 200, body: { items: items.map(toCharacterView), total, limit: query.limit, offset: query.offset, next_offset: next } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id',
      operationId: 'getCharacter',
      summary: 'Get a character',
      tags: ['characters'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'the character', schema: characterViewSchema }, 403: { description: "another user's", schema: problemSchema }, 404: { description: 'missing', schema: problemSchema } },
      handler: async ({ params, principal }) => {
        const row = visibleCharacter(await queries.get(params.id), params.id, principal);
        return { status: 200, body: toCharacterView(row), headers: { ETag: `W/"${row.version}"` } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/characters/:id',
      operationId: 'updateCharacter',
      summary: 'Update some fields of a character (optimistic: expected_version)',
      tags: ['characters'],
      auth: 'user',
      params: idParams,
      query: expectedVersionQuery,
      body: characterChangesSchema,
      responses: { 200: { description: 'updated', schema: characterViewSchema }, 409: { description: 'version conflict', schema: problemSchema } },
      // Existence and ownership are decided from the character's stream, not from the read model.
      handler: async ({ params, query, body, command }) => {
        const result = await handleCommand(deps.eventStore, characterStream(params.id), characterDecider, { type: 'UpdateCharacter', characterId: params.id, changes: body }, command, {
          ...(query.expected_version !== undefined ? { expectedRevision: query.expected_version } : {}),
        });
        return respondAfterProjection(deps, result.position, location(params.id), () => current(params.id, 200), { id: params.id, version: result.revision });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/characters/:id',
      operationId: 'deleteCharacter',
      summary: 'Soft-delete a character (restorable)',
      tags: ['characters'],
      auth: 'user',
      params: idParams,
      query: expectedVersionQuery,
      responses: { 200: { description: 'deleted', schema: z.object({ id: z.uuid(), version: z.number().int(), deleted: z.literal(true) }) }, 409: { description: 'version conflict', schema: problemSchema } },
      handler: async ({ params, query, command }) => {
        const result = await handleCommand(deps.eventStore, characterStream(params.id), characterDecider, { type: 'DeleteCharacter', characterId: params.id }, command, {
          ...(query.expected_version !== undefined ? { expectedRevision: query.expected_version } : {}),
        });
        return respondAfterProjection(deps, result.position, location(params.id), async () => ({ status: 200, body: { id: params.id, version: result.revision, deleted: true } }), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
  ];
}
