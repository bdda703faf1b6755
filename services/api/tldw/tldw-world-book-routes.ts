/**
 * tldw_server's world-book routes that our API has no path for: `POST /characters/world-books/process` (its
 * request and response around our lorebook engine) and entries addressed by their own id,
 * `PUT`/`DELETE /characters/world-books/entries/{entry_id}`. The same workflows and engine as the native routes;
 * a missing or another user's book, entry or character is a 404 with the original's message.
 */
import { deleteEntry, updateEntry } from '../../../commands/world-books/world-book-workflows.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createWorldBookQueries, type WorldBookRow } from '../../../queries/world-books-queries.ts';
import { canRead } from '../../../shared/access/access-rules.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { AppError, badRequest } from '../../../shared/errors.ts';
import { createWorldInfoContextProcessor } from '../../world-info/process-world-info-context.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { processContextBody, toEngineSettings } from '../routes/process-context-schemas.ts';
import { entryChangesFromTldw, tldwEntryUpdateBody, toTldwEntry } from './world-book-entry-shape.ts';
import { tldwProcessBody, tldwProcessResponse, tldwProcessResponseSchema } from './world-book-process-shape.ts';
import { z } from 'zod';

const BASE = '/api/v1/characters/world-books';
const TAGS = ['tldw_server compatibility'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const entryParams = z.object({ entry_id: z.string().max(100) });

const notFoundAs = (detail: string) => new AppError(404, 'not_found', detail);

export function tldwWorldBookRoutes(deps: ApiDependencies): RouteDefinition[] {
  const books = createWorldBookQueries(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const processor = createWorldInfoContextProcessor(deps);

  /** The caller's live book of an entry and the entry's row; a 404 in the original's words otherwise. */
  async function visibleEntry(entryId: string, actor: Actor) {
    const missing = notFoundAs(`Entry with ID ${entryId} not found`);
    if (!UUID.test(entryId)) throw missing;
    const bookId = (await books.booksOfEntries([entryId])).get(entryId);
    const book = bookId ? await books.get(bookId) : undefined;
    if (!book || book.deleted_at || !canRead(actor, book)) throw missing;
    const row = await books.entry(book.id, entryId);
    if (!row) throw missing;
    return { book, row };
  }

  /** The request's books, each the caller's and live (the original answers 404 for any other); disabled ones are left out. */
  async function requestedBooks(ids: readonly string[], actor: Actor): Promise<WorldBookRow[]> {
    const rows = await books.getMany(ids.filter((id) => UUID.test(id)));
    return ids.map((id) => {
      const row = rows.find((r) => r.id === id);
      if (!row || row.deleted_at || !canRead(actor, row)) throw notFoundAs(`World book ${id} not found.`);
      return row;
    });
  }

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/process`,
      errorStyle: 'fastapi',
      operationId: 'tldwProcessWorldBooks',
      summary: "tldw_server's world-info processing of a text: the injected content, budget and why each entry fired",
      tags: TAGS,
      auth: 'user',
      rateLimit: 'world_book_ops',
      body: tldwProcessBody,
      responses: {
        200: { description: "the original's result, computed by our engine", schema: tldwProcessResponseSchema },
        404: { description: '"World book {id} not found." / "Character with ID {id} not found"' },
      },
      handler: async ({ body, actor }) => {
        const explicit = (await requestedBooks(body.world_book_ids ?? [], actor)).filter((b) => b.enabled);
        let characterId: string | undefined;
        let attachedRecursive = false;
        if (body.character_id) {
          const row = UUID.test(body.character_id) ? await characters.get(body.character_id) : undefined;
          if (!row || row.deleted_at || !canRead(actor, row)) throw notFoundAs(`Character with ID ${body.character_id} not found`);
          characterId = row.id;
          const attached = await books.attachments(row.id, { enabledOnly: true });
          attachedRecursive = attached.some((a) => a.book.recursive_scanning === true);
        }
        // null: recursive when any book used asks for it, as the original decides.
        const recursive = body.recursive_scanning ?? (explicit.some((b) => b.recursive_scanning === true) || attachedRecursive);
        const native = processContextBody.parse({
          text: body.text,
          world_book_ids: explicit.map((b) => b.id),
          ...(characterId ? { character_id: characterId } : {}),
          include_global: false,
          scan_depth: body.scan_depth,
          token_budget: body.token_budget,
          recursive_scanning: recursive,
        });
        const { result, books: used } = await processor.process(native, toEngineSettings(native), actor);
        return { status: 200, body: tldwProcessResponse(result, used, body.token_budget) };
      },
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/entries/:entry_id`,
      errorStyle: 'fastapi',
      operationId: 'tldwUpdateWorldBookEntry',
      summary: 'Change some fields of an entry addressed by its own id (an event on its book)',
      tags: TAGS,
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: entryParams,
      authorize: async ({ params, actor }) => void (await visibleEntry(params.entry_id, actor)),
      body: tldwEntryUpdateBody,
      responses: { 200: { description: "the entry in the original's shape" }, 404: { description: '"Entry with ID {id} not found"' } },
      handler: async ({ params, body, actor }) => {
        const { book, row } = await visibleEntry(params.entry_id, actor);
        const changes = entryChangesFromTldw(body, row.entry);
        if (changes.keys?.length === 0) throw badRequest('keywords_required', 'Entry must have at least one keyword');
        const result = await updateEntry(commands, actor, book.id, row.entry_id, changes);
        return respondAfterProjection(
          deps,
          result.position,
          `${BASE}/entries/${row.entry_id}`,
          async () => ({ status: 200, body: toTldwEntry((await books.entry(book.id, row.entry_id))!) }),
          { id: row.entry_id, world_book_id: book.id },
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${BASE}/entries/:entry_id`,
      errorStyle: 'fastapi',
      operationId: 'tldwDeleteWorldBookEntry',
      summary: 'Remove an entry addressed by its own id (an event on its book: the book history keeps it)',
      tags: TAGS,
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: entryParams,
      responses: { 200: { description: '{message, entry_id}' }, 404: { description: '"Entry with ID {id} not found"' } },
      handler: async ({ params, actor }) => {
        const { book, row } = await visibleEntry(params.entry_id, actor);
        const result = await deleteEntry(commands, actor, book.id, row.entry_id);
        const answer = { message: `World book entry (ID: ${row.entry_id}) deleted`, entry_id: row.entry_id };
        return respondAfterProjection(deps, result.position, `${BASE}/${book.id}`, async () => ({ status: 200, body: answer }), answer);
      },
    }),
  ];
}
