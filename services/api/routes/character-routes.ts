import { z } from 'zod';
import { characterStream } from '../../../commands/characters/character-decider.ts';
import {
  characterAtVersion,
  createCharacter,
  deleteCharacter,
  restoreCharacter,
  revertCharacter,
  updateCharacter,
} from '../../../commands/characters/character-workflows.ts';
import { createCharacterQueries, toCharacterView, type CharacterRow } from '../../../queries/characters-queries.ts';
import { characterHistoryFold } from '../../../queries/history-folds.ts';
import { characterAsOf } from '../../../queries/resource-as-of.ts';
import { readResourceHistory } from '../../../queries/resource-history.ts';
import { cardFromBasicFields, resolveCardLimits, validateCanonicalCard, KNOWN_DATA_KEYS } from '../../../shared/cards/index.ts';
import { diffStoredCards } from '../../../shared/characters/card-diff.ts';
import type { StoredCard } from '../../../shared/characters/stored-card.ts';
import { AppError, notFound } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { respondAfterProjection, respondProjectedInline } from '../http/read-your-writes.ts';
import { characterCreateInline } from '../../../projections/inline-character-create.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import {
  booleanParam,
  characterViewSchema,
  createBody,
  expectedVersionQuery,
  idParams,
  listQuery,
  listSchema,
  updateBody,
} from './character-schemas.ts';
import { asOfParam } from './as-of-param.ts';
import { asOfOrCurrent, asOfResponses, deleteRoute, restoreRoute } from './resource-lifecycle-routes.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';
import { planCardBinaries } from '../../../commands/characters/card-binaries.ts';
import { decodeImageBase64 } from '../../../shared/cards/image-base64.ts';
import { characterImageBase64 } from '../../../queries/character-image.ts';

export { characterViewSchema };

/** 404 for a missing (or deleted) character, 403 for another user's. */
export function visibleCharacter(
  row: CharacterRow | undefined,
  id: string,
  actor: Actor,
  options: { includeDeleted?: boolean } = {},
): CharacterRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('character', id);
  assertOwned(actor, row);
  return row;
}

function checkCard(stored: StoredCard, deps: ApiDependencies): void {
  const checked = validateCanonicalCard(stored.card, resolveCardLimits({ maxFileBytes: deps.config.CARD_MAX_FILE_BYTES }));
  if (!checked.ok) throw new AppError(checked.error.status, checked.error.code, checked.error.detail);
}

const knownKeys = new Set<string>(KNOWN_DATA_KEYS);

export function characterRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createCharacterQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const inline = deps.config.INLINE_PROJECTIONS ? characterCreateInline(deps.readSchema) : undefined;
  const location = (id: string) => `/api/v1/characters/${id}`;
  const family = {
    deps,
    path: '/api/v1/characters/:id',
    params: idParams,
    id: (p: { id: string }) => p.id,
    tags: ['characters'],
    location,
  };
  const retentionMs = () => deps.config.CHARACTER_RESTORE_RETENTION_DAYS * 86_400_000;
  const current = async (id: string, status: number, extra: Record<string, unknown> = {}) => {
    const row = (await queries.get(id))!;
    return { status, body: { ...toCharacterView(row), ...extra }, headers: { ETag: `W/"${row.version}"` } };
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/characters',
      operationId: 'createCharacter',
      summary: 'Create a character (name unique per user)',
      tags: ['characters'],
      auth: 'user',
      rateLimit: 'character_create',
      body: createBody,
      responses: {
        201: { description: 'created', schema: characterViewSchema },
        202: { description: 'accepted; not yet readable' },
        400: { description: 'invalid', schema: problemSchema },
        409: { description: 'name taken', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const { card_data, image_base64, ...fields } = body;
        const card = cardFromBasicFields(fields);
        for (const [k, v] of Object.entries(card_data ?? {})) if (v !== null) (card.data as Record<string, unknown>)[k] = v;
        checkCard({ card, avatar: null, assets: [] }, deps);
        // An image is stored as an imported card's is: charged to the owner's quota, written before the event.
        const image = image_base64 ? planCardBinaries(deps.blobStore, decodeImageBase64(image_base64), []) : null;
        const reservation = await image?.reserve(actor.userId, deps.config.STORAGE_QUOTA_BYTES_PER_USER);
        const stored: StoredCard = { card, avatar: image?.avatar ?? null, assets: [] };
        const {
          characterId,
          result,
          inline: row,
        } = await createCharacter(commands, actor, {
          stored,
          source: { kind: 'api' },
          ...(image ? { beforeAppend: () => image.write() } : {}),
          ...(inline ? { inline } : {}),
        }).catch(async (err: unknown) => {
          await reservation?.release();
          throw err;
        });
        const headers = { Location: location(characterId) };
        if (row)
          return respondProjectedInline(deps, actor.userId, result.position, {
            status: 201,
            body: toCharacterView(row),
            headers: { ...headers, ETag: `W/"${row.version}"` },
          });
        return respondAfterProjection(
          deps,
          result.position,
          location(characterId),
          async () => {
            const r = await current(characterId, 201);
            return { ...r, headers: { ...r.headers, Location: location(characterId) } };
          },
          { id: characterId, version: result.revision },
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters',
      operationId: 'listCharacters',
      summary: "List the caller's characters: filter by tags, creator, full-text query; sort by name, created, updated, last used",
      tags: ['characters'],
      auth: 'user',
      query: listQuery,
      responses: { 200: { description: 'a page of characters', schema: listSchema } },
      handler: async ({ query, actor }) => {
        const tags = query.tags
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        const { items, total } = await queries.list(actor.userId, {
          limit: query.limit,
          offset: query.offset,
          ...(tags?.length ? { tags, tagMode: query.tag_mode } : {}),
          ...(query.creator ? { creator: query.creator } : {}),
          ...(query.q ? { q: query.q } : {}),
          ...(query.sort ? { sort: query.sort } : {}),
          ...(query.order ? { order: query.order } : {}),
        });
        const next = query.offset + items.length < total ? query.offset + items.length : null;
        return {
          status: 200,
          body: { items: items.map((r) => toCharacterView(r)), total, limit: query.limit, offset: query.offset, next_offset: next },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id',
      operationId: 'getCharacter',
      summary: 'Get a character; `as_of` (a version or an ISO date-time) rebuilds it as it was, from its events',
      tags: ['characters', 'history'],
      auth: 'user',
      params: idParams,
      query: z
        .object({
          as_of: asOfParam.optional(),
          as_of_version: z.coerce.number().int().min(1).optional().describe('the same as as_of=N (kept for older clients)'),
          include_card: booleanParam.optional(),
          /** tldw_server's `image_base64` member: the character's image as base64 (null without one). */
          include_image_base64: booleanParam.optional(),
        })
        .strict(),
      responses: asOfResponses(characterViewSchema.extend({ as_of_version: z.number().int().optional() }), 'the character'),
      handler: async ({ params, query, actor }) => {
        const includeCard = query.include_card ?? false;
        return asOfOrCurrent(query, {
          past: async (asOf) => {
            const { row, version } = await characterAsOf(deps.eventStore, params.id, asOf, actor);
            return { body: toCharacterView(row, { includeCard }), version };
          },
          current: async () => {
            const row = visibleCharacter(await queries.get(params.id), params.id, actor);
            const image = query.include_image_base64 ? { image_base64: await characterImageBase64(deps.blobStore, row) } : {};
            return { status: 200, body: { ...toCharacterView(row, { includeCard }), ...image }, headers: { ETag: `W/"${row.version}"` } };
          },
        });
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/characters/:id',
      operationId: 'updateCharacter',
      summary: 'Change some fields (optimistic: expected_version); `card_data` sets other card fields such as V3 `nickname`',
      tags: ['characters'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: idParams,
      query: expectedVersionQuery,
      body: updateBody,
      responses: {
        200: { description: 'updated', schema: characterViewSchema },
        409: { description: 'version conflict or name taken', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const { card_data, image_base64, ...changes } = body;
        const image = image_base64 ? planCardBinaries(deps.blobStore, decodeImageBase64(image_base64), []) : null;
        const reservation = await image?.reserve(actor.userId, deps.config.STORAGE_QUOTA_BYTES_PER_USER);
        const result = await updateCharacter(commands, actor, params.id, {
          changes,
          ...(card_data ? { dataChanges: card_data } : {}),
          ...(image?.avatar ? { avatar: image.avatar, beforeAppend: () => image.write() } : {}),
          ...(query.expected_version !== undefined ? { expectedVersion: query.expected_version } : {}),
          validate: (next) => checkCard(next, deps),
        }).catch(async (err: unknown) => {
          await reservation?.release();
          throw err;
        });
        return respondAfterProjection(deps, result.position, location(params.id), () => current(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
    deleteRoute(family, {
      operationId: 'deleteCharacter',
      summary: 'Soft-delete a character (restorable within the retention window)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      remove: ({ params, query, actor }) => deleteCharacter(commands, actor, params.id, query.expected_version),
    }),
    restoreRoute(family, {
      operationId: 'restoreCharacter',
      summary: 'Restore a soft-deleted character (within CHARACTER_RESTORE_RETENTION_DAYS)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      responses: {
        200: { description: 'restored', schema: characterViewSchema },
        409: { description: 'not deleted, name taken, or the window has passed', schema: problemSchema },
      },
      restore: ({ params, actor }) => restoreCharacter(commands, actor, params.id, retentionMs()),
      view: current,
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/versions',
      operationId: 'listCharacterVersions',
      summary: 'Every version of a character from its events: who, when, what kind of change, which fields',
      tags: ['characters', 'history'],
      auth: 'user',
      params: idParams,
      responses: {
        200: { description: 'versions, oldest first', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: async ({ params, actor }) => {
        // The same history as …/history (one implementation), in this endpoint's older shape, unpaginated.
        const history = await readResourceHistory(
          deps.eventStore,
          characterHistoryFold,
          { streamId: characterStream(params.id), what: 'character', id: params.id },
          actor,
          { order: 'asc', limit: Number.MAX_SAFE_INTEGER },
        );
        const items = history.items.map(({ item, event: e }) => ({
          version: item.version,
          event_type: item.event_type,
          user_id: item.user_id,
          at: item.at,
          request_id: item.request_id,
          changed_fields: item.changed_fields,
          summary: item.summary,
          ...(e.type === 'CharacterReverted' ? { reverted_to: e.data.toVersion } : {}),
          ...(e.type === 'CharacterImported' || e.type === 'CharacterCardReplaced' ? { source: e.data.source } : {}),
        }));
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/versions/diff',
      operationId: 'diffCharacterVersions',
      summary: 'Field-by-field difference between two versions',
      tags: ['characters', 'history'],
      auth: 'user',
      params: idParams,
      query: z.object({ from_version: z.coerce.number().int().min(1), to_version: z.coerce.number().int().min(1) }).strict(),
      responses: {
        200: {
          description: 'the changes',
          schema: z.object({
            from_version: z.number(),
            to_version: z.number(),
            changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
          }),
        },
      },
      handler: async ({ params, query, actor }) => {
        const [from, to] = await Promise.all([
          characterAtVersion(commands, actor, params.id, query.from_version),
          characterAtVersion(commands, actor, params.id, query.to_version),
        ]);
        const changes = diffStoredCards(from.stored, to.stored).map((c) => ({ ...c, known_field: knownKeys.has(c.field) }));
        return { status: 200, body: { from_version: query.from_version, to_version: query.to_version, changes } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/characters/:id/revert',
      operationId: 'revertCharacter',
      summary: 'Make an earlier version current again (a new version; history is kept)',
      tags: ['characters', 'history'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: idParams,
      query: expectedVersionQuery,
      body: z.object({ target_version: z.number().int().min(1) }).strict(),
      responses: {
        200: { description: 'reverted', schema: characterViewSchema },
        400: { description: 'bad target', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const result = await revertCharacter(commands, actor, params.id, body.target_version, query.expected_version);
        return respondAfterProjection(deps, result.position, location(params.id), () => current(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
  ];
}
