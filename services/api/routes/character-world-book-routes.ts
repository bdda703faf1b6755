import { z } from 'zod';
import { attachWorldBook, detachWorldBook } from '../../../commands/world-books/character-world-book-workflows.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createWorldBookQueries, toAttachmentView } from '../../../queries/world-books-queries.ts';
import { AppError } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { visibleCharacter } from './character-routes.ts';
import { attachBody, attachmentParams, attachmentsQuery, attachmentViewSchema, characterParams } from './world-book-schemas.ts';

/** World books attached to a character (its lore in every chat with it). */
export function characterWorldBookRoutes(deps: ApiDependencies): RouteDefinition[] {
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const books = createWorldBookQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `/api/v1/characters/${id}/world-books`;

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/characters/:id/world-books',
      operationId: 'attachWorldBook',
      summary: 'Attach a world book to a character (again: change its priority or enabled flag)',
      tags: ['world-books', 'characters'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: characterParams,
      body: attachBody,
      responses: {
        200: { description: 'attached', schema: attachmentViewSchema },
        403: { description: "another user's character or book", schema: problemSchema },
        404: { description: 'character or book missing', schema: problemSchema },
      },
      handler: async ({ params, body, actor }) => {
        const result = await attachWorldBook(commands, actor, params.id, {
          worldBookId: body.world_book_id,
          priority: body.priority,
          enabled: body.enabled,
        });
        return respondAfterProjection(
          deps,
          result.position,
          location(params.id),
          async () => {
            const row = (await books.attachments(params.id, { enabledOnly: false })).find((a) => a.world_book_id === body.world_book_id);
            if (!row) throw new AppError(404, 'not_found', `world book ${body.world_book_id} is deleted`);
            return { status: 200, body: toAttachmentView(row) };
          },
          { character_id: params.id, world_book_id: body.world_book_id },
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/characters/:id/world-books/:world_book_id',
      operationId: 'detachWorldBook',
      summary: 'Detach a world book from a character',
      tags: ['world-books', 'characters'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: attachmentParams,
      responses: {
        200: {
          description: 'detached',
          schema: z.object({ message: z.string(), world_book_id: z.uuid(), detached_from_character_id: z.uuid() }),
        },
        404: { description: 'not attached', schema: problemSchema },
      },
      handler: async ({ params, actor }) => {
        const result = await detachWorldBook(commands, actor, params.id, params.world_book_id);
        const body = {
          message: `World book ${params.world_book_id} detached from character ${params.id}`,
          world_book_id: params.world_book_id,
          detached_from_character_id: params.id,
        };
        return respondAfterProjection(deps, result.position, location(params.id), async () => ({ status: 200, body }), body);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/world-books',
      operationId: 'listCharacterWorldBooks',
      summary: "A character's world books by attachment priority (highest first), then name",
      tags: ['world-books', 'characters'],
      auth: 'user',
      params: characterParams,
      query: attachmentsQuery,
      responses: {
        200: { description: 'attached books', schema: z.object({ items: z.array(attachmentViewSchema), character_id: z.uuid() }) },
      },
      handler: async ({ params, query, actor }) => {
        visibleCharacter(await characters.get(params.id), params.id, actor);
        const rows = await books.attachments(params.id, { enabledOnly: query.enabled_only });
        return { status: 200, body: { items: rows.map(toAttachmentView), character_id: params.id } };
      },
    }),
  ];
}
