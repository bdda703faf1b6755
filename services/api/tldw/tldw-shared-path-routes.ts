/**
 * tldw_server's answers on the paths our API shares with it, for requests that carry `X-API-Compat: tldw`
 * (api-compat.ts); without the header the request goes on to the native route of the same path. Each runs the
 * native route's workflow: only the response shape, the original's refusals and its 404 for another user's
 * resource differ.
 * - `DELETE /characters/{id}`: `{message, character_id}`, `expected_version` required;
 * - `GET /characters/{id}/world-books`: the attached books as a bare array (`enabled_only` true by default);
 * - `POST /characters/world-books`: 409 when the caller has a live book of that name (names are unique there);
 * - `POST /characters/world-books/entries/bulk`: 200 with `success: false` and the ids it could not change;
 * - `GET /characters/{id}`: a malformed id (the original's integer ids) or another user's character is a 404.
 */
import { z } from 'zod';
import { deleteCharacter } from '../../../commands/characters/character-workflows.ts';
import { createCharacterQueries, type CharacterRow } from '../../../queries/characters-queries.ts';
import { createWorldBookQueries, toAttachmentView } from '../../../queries/world-books-queries.ts';
import { canRead } from '../../../shared/access/access-rules.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError, conflict } from '../../../shared/errors.ts';
import { bulkOperationSchema } from '../../../shared/events/world-book-events.ts';
import { bulkChangeWorldBookEntries } from '../../world-info/bulk-change-world-book-entries.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { characterRoutes } from '../routes/character-routes.ts';
import { worldBookRoutes } from '../routes/world-book-routes.ts';
import { asksForTldwShapes } from './api-compat.ts';
import { fastApiBool } from './tldw-params.ts';
import { TLDW, tldwConflict, tldwErrors } from './tldw-route-defaults.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BOOKS = '/api/v1/characters/world-books';
const SHARED = { ...TLDW, claims: asksForTldwShapes };
const characterParams = z.object({ id: z.string().max(100) });
/** The bulk operations that need a number (`priority`, or our `value`). */
const VALUED = new Set(['set_priority', 'set_order']);

const bulkBody = z.object({
  entry_ids: z
    .array(z.union([z.string().max(100), z.number().int()]))
    .min(1)
    .max(10_000),
  operation: bulkOperationSchema,
  value: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  priority: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
});

/** The caller's live character; another user's, a deleted, a missing or a malformed one is the original's 404. */
async function ownCharacterOf(characters: ReturnType<typeof createCharacterQueries>, id: string, actor: Actor, detail: string) {
  const row = UUID.test(id) ? await characters.get(id) : undefined;
  if (!row || row.deleted_at || !canRead(actor, row)) throw new AppError(404, 'not_found', detail);
  return row;
}

/**
 * `GET /characters/{id}` with `X-API-Compat: tldw`: our route's answer, the original's 404 for an id that is not
 * one of the caller's characters. Mounted just before our `:id` routes, after every fixed path under /characters.
 */
export function tldwSharedCharacterGetRoute(deps: ApiDependencies): RouteDefinition {
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const nativeGet = characterRoutes(deps).find((r) => r.operationId === 'getCharacter')!;
  return {
    ...nativeGet,
    ...SHARED,
    operationId: 'tldwGetCharacter',
    summary: "tldw_server (with X-API-Compat: tldw): get a character; a malformed id or another user's character is a 404",
    params: characterParams,
    authorize: async ({ params, actor }) => {
      await ownCharacterOf(
        characters,
        (params as { id: string }).id,
        actor,
        `Character with ID ${(params as { id: string }).id} not found`,
      );
    },
    responses: { ...nativeGet.responses, ...tldwErrors },
  };
}

export function tldwSharedPathRoutes(deps: ApiDependencies): RouteDefinition[] {
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const books = createWorldBookQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const nativeCreateBook = worldBookRoutes(deps).find((r) => r.operationId === 'createWorldBook')!;

  /** The caller's live character; another user's, a deleted or a missing one is the original's 404. */
  const ownCharacter = (id: string, actor: Actor, detail: string): Promise<CharacterRow> => ownCharacterOf(characters, id, actor, detail);

  /** The ids of entries in the caller's live books; any other id (unknown, malformed, another user's) is not. */
  async function changeableEntries(ids: readonly (string | number)[], actor: Actor): Promise<Set<string>> {
    const candidates = ids.filter((id): id is string => typeof id === 'string' && UUID.test(id));
    const bookOf = await books.booksOfEntries(candidates);
    const owned = await books.getMany([...new Set(bookOf.values())]);
    const live = new Set(owned.filter((b) => !b.deleted_at && canRead(actor, b)).map((b) => b.id));
    return new Set(candidates.filter((id) => live.has(bookOf.get(id)!)));
  }

  return [
    defineRoute({
      ...SHARED,
      method: 'delete',
      path: '/api/v1/characters/:id',
      operationId: 'tldwDeleteCharacter',
      summary: 'tldw_server (with X-API-Compat: tldw): soft-delete a character; answers {message, character_id}',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: characterParams,
      query: z.object({ expected_version: z.coerce.number().int().min(1) }),
      authorize: async ({ params, actor }) => {
        await ownCharacter(params.id, actor, `Character with ID ${params.id} not found for deletion.`);
      },
      responses: { 200: { description: '{message, character_id}' }, ...tldwErrors, ...tldwConflict },
      handler: async ({ params, query, actor }) => {
        const row = await ownCharacter(params.id, actor, `Character with ID ${params.id} not found for deletion.`);
        const result = await deleteCharacter(commands, actor, row.id, query.expected_version);
        const answer = { message: `Character '${row.name}' (ID: ${row.id}) soft-deleted.`, character_id: row.id };
        return respondAfterProjection(
          deps,
          result.position,
          `/api/v1/characters/${row.id}`,
          async () => ({ status: 200, body: answer }),
          answer,
        );
      },
    }),
    defineRoute({
      ...SHARED,
      method: 'get',
      path: '/api/v1/characters/:id/world-books',
      operationId: 'tldwListCharacterWorldBooks',
      summary: "tldw_server (with X-API-Compat: tldw): a character's books as a bare array, by attachment priority",
      params: characterParams,
      query: z.object({ enabled_only: fastApiBool.default(true) }),
      authorize: async ({ params, actor }) => {
        await ownCharacter(params.id, actor, `Character with ID ${params.id} not found`);
      },
      responses: { 200: { description: 'the attached books (CharacterWorldBookResponse[])' }, ...tldwErrors },
      handler: async ({ params, query }) => {
        const rows = await books.attachments(params.id, { enabledOnly: query.enabled_only });
        return { status: 200, body: rows.map(toAttachmentView) };
      },
    }),
    {
      ...nativeCreateBook,
      ...SHARED,
      operationId: 'tldwCreateWorldBook',
      summary: "tldw_server (with X-API-Compat: tldw): create a world book; 409 when the caller's live book has the name",
      responses: { ...nativeCreateBook.responses, ...tldwErrors, ...tldwConflict },
      handler: async (ctx) => {
        const { name } = ctx.body as { name: string };
        if (await books.liveBookNamed(ctx.actor.userId, name))
          throw conflict('name_taken', `World book with name '${name}' already exists`);
        return nativeCreateBook.handler(ctx);
      },
    },
    defineRoute({
      ...SHARED,
      method: 'post',
      path: `${BOOKS}/entries/bulk`,
      operationId: 'tldwBulkWorldBookEntries',
      summary: 'tldw_server (with X-API-Compat: tldw): change entries in bulk; the ids it could not change are failed_ids',
      rateLimit: 'world_book_ops',
      body: bulkBody,
      responses: { 200: { description: '{success, operation, affected_count, failed_ids, message}' }, ...tldwErrors },
      handler: async ({ body, actor }) => {
        const value = body.value ?? (body.operation === 'set_priority' ? body.priority : undefined);
        const usable =
          VALUED.has(body.operation) && value === undefined ? new Set<string>() : await changeableEntries(body.entry_ids, actor);
        const failed = body.entry_ids.filter((id) => typeof id !== 'string' || !usable.has(id));
        const outcome =
          usable.size > 0
            ? await bulkChangeWorldBookEntries(commands, actor, (ids) => books.booksOfEntries(ids), {
                entry_ids: [...usable],
                operation: body.operation,
                ...(value !== undefined ? { value } : {}),
              })
            : null;
        const affected = outcome?.affected ?? 0;
        const answer = {
          success: failed.length === 0,
          operation: body.operation,
          affected_count: affected,
          failed_ids: failed,
          message: `Operation '${body.operation}' completed: ${affected} entries affected, ${failed.length} failed`,
        };
        if (!outcome) return { status: 200, body: answer };
        return respondAfterProjection(deps, outcome.position, BOOKS, async () => ({ status: 200, body: answer }), answer);
      },
    }),
  ];
}
