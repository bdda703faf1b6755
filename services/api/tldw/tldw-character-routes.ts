/**
 * tldw_server's character listing routes beside ours (`characters_endpoint.py`): `GET /characters/` as a bare
 * array, `/characters/search/`, `/characters/filter`, `/characters/query` and `/characters/tags/operations`.
 * They read the same read model as `GET /api/v1/characters` and change tags through the same update workflow;
 * only the request and response shapes are the original's, and errors are FastAPI's `{"detail": ...}`.
 */
import { applyTagOperation } from '../../../commands/characters/character-tag-operation.ts';
import { createCharacterQueries, type CharacterRow } from '../../../queries/characters-queries.ts';
import { badRequest } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { characterRoutes } from '../routes/character-routes.ts';
import { toTldwCharacter, toTldwCharacterWithImage } from './character-response.ts';
import {
  filterQuery,
  listQuery,
  offsetPagination,
  queryQuery,
  queryResponseSchema,
  searchQuery,
  tagOperationBody,
  tagOperationResponseSchema,
  tldwCharacterSchema,
} from './tldw-character-schemas.ts';
import { z } from 'zod';

const BASE = '/api/v1/characters';
const TAGS = ['tldw_server compatibility'];
const characterList = { 200: { description: 'a bare JSON array of characters', schema: z.array(tldwCharacterSchema) } };
/** How many tagged characters one tag operation reads (the original reads them all; this bounds one request). */
const MAX_TAG_OPERATION_TARGETS = 10_000;

export function tldwCharacterRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createCharacterQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const shapes = (rows: CharacterRow[]) => rows.map(toTldwCharacter);
  const nativeCreate = characterRoutes(deps).find((r) => r.operationId === 'createCharacter')!;

  return [
    // The original's create is `POST /characters/`: the same route as ours (same workflow, checks and rate limit),
    // answering its validation errors as FastAPI does (422 with the error list) when the slash is written.
    {
      ...nativeCreate,
      path: `${BASE}/`,
      trailingSlash: true,
      errorStyle: 'fastapi',
      operationId: 'tldwCreateCharacter',
      summary: "tldw_server's create (the trailing slash): our create, with FastAPI's errors",
      tags: TAGS,
    },
    defineRoute({
      method: 'get',
      path: `${BASE}/`,
      trailingSlash: true,
      errorStyle: 'fastapi',
      operationId: 'tldwListCharacters',
      summary: "tldw_server's list: the caller's characters by name, as a bare array (only with the trailing slash)",
      tags: TAGS,
      auth: 'user',
      query: listQuery,
      responses: characterList,
      handler: async ({ query, actor }) => {
        const { items } = await queries.query(actor.userId, { limit: query.limit, offset: query.offset, sortBy: 'name' });
        return { status: 200, body: shapes(items) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/search/`,
      errorStyle: 'fastapi',
      operationId: 'tldwSearchCharacters',
      summary: 'Full-text search over name, description, personality, scenario and system prompt, newest change first',
      tags: TAGS,
      auth: 'user',
      query: searchQuery,
      responses: { ...characterList, 400: { description: '"Search query cannot be empty."' } },
      handler: async ({ query, actor }) => {
        if (!query.query.trim()) throw badRequest('empty_query', 'Search query cannot be empty.');
        const { items } = await queries.query(actor.userId, {
          q: query.query,
          limit: query.limit,
          offset: 0,
          sortBy: 'updated_at',
          sortOrder: 'desc',
        });
        return { status: 200, body: shapes(items) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/filter`,
      errorStyle: 'fastapi',
      operationId: 'tldwFilterCharacters',
      summary: 'Characters with any (or, with match_all, every) of the tags; without tags, the plain list',
      tags: TAGS,
      auth: 'user',
      query: filterQuery,
      responses: characterList,
      handler: async ({ query, actor }) => {
        const tags = (query.tags ?? []).map((t) => t.trim()).filter(Boolean);
        const { items } = await queries.query(actor.userId, {
          tags,
          matchAllTags: query.match_all,
          limit: query.limit,
          offset: query.offset,
          sortBy: 'name',
        });
        return { status: 200, body: shapes(items) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/query`,
      errorStyle: 'fastapi',
      operationId: 'tldwQueryCharacters',
      summary: 'A page of characters: text, tags, creator, conversations, favourites, date ranges, trash, sort',
      tags: TAGS,
      auth: 'user',
      query: queryQuery,
      responses: { 200: { description: 'a page of characters', schema: queryResponseSchema } },
      handler: async ({ query: q, actor }) => {
        const offset = (q.page - 1) * q.page_size;
        const { items, total } = await queries.query(actor.userId, {
          limit: q.page_size,
          offset,
          ...(q.query?.trim() ? { q: q.query } : {}),
          tags: (q.tags ?? []).map((t) => t.trim()).filter(Boolean),
          matchAllTags: q.match_all_tags,
          ...(q.creator?.trim() ? { creator: q.creator.trim() } : {}),
          ...(q.has_conversations !== undefined ? { hasConversations: q.has_conversations } : {}),
          favoriteOnly: q.favorite_only,
          ...(q.created_from ? { createdFrom: q.created_from } : {}),
          ...(q.created_to ? { createdTo: q.created_to } : {}),
          ...(q.updated_from ? { updatedFrom: q.updated_from } : {}),
          ...(q.updated_to ? { updatedTo: q.updated_to } : {}),
          deleted: q.deleted_only ? 'only' : q.include_deleted ? 'include' : 'exclude',
          sortBy: q.sort_by,
          sortOrder: q.sort_order,
        });
        const body = q.include_image_base64
          ? await Promise.all(items.map((row) => toTldwCharacterWithImage(deps.blobStore, row)))
          : shapes(items);
        const pagination = offsetPagination(q.page_size, offset, items.length, total);
        return {
          status: 200,
          body: {
            items: body,
            total,
            page: q.page,
            page_size: q.page_size,
            has_more: pagination.has_more,
            next_offset: pagination.next_offset,
            pagination,
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/tags/operations`,
      errorStyle: 'fastapi',
      operationId: 'tldwCharacterTagOperation',
      summary: "Rename, merge or delete a tag on every one of the caller's characters that carries it (an event each)",
      tags: TAGS,
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      body: tagOperationBody,
      responses: { 200: { description: 'what changed', schema: tagOperationResponseSchema } },
      handler: async ({ body, actor }) => {
        const { items } = await queries.query(actor.userId, { tags: [body.source_tag], limit: MAX_TAG_OPERATION_TARGETS, offset: 0 });
        const targetTag = body.operation === 'delete' ? null : (body.target_tag ?? null);
        const outcome = await applyTagOperation(commands, actor, items, {
          operation: body.operation,
          sourceTag: body.source_tag,
          ...(targetTag ? { targetTag } : {}),
        });
        const answer = {
          operation: body.operation,
          source_tag: body.source_tag,
          target_tag: targetTag,
          matched_count: items.length,
          updated_count: outcome.updatedIds.length,
          failed_count: outcome.failedIds.length,
          updated_character_ids: outcome.updatedIds,
          failed_character_ids: outcome.failedIds,
        };
        return respondAfterProjection(deps, outcome.position, `${BASE}/query`, async () => ({ status: 200, body: answer }), answer);
      },
    }),
  ];
}
