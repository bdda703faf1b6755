import { z } from 'zod';
import { createWorldBook, deleteWorldBook, restoreWorldBook, updateWorldBook } from '../../../commands/world-books/world-book-workflows.ts';
import { worldBookAsOf } from '../../../queries/resource-as-of.ts';
import { createWorldBookQueries, toEntryView, toLibraryBook, toWorldBookView } from '../../../queries/world-books-queries.ts';
import type { BookChanges } from '../../../shared/events/world-book-events.ts';
import { computeBookStatistics } from '../../../shared/world-books/book-statistics.ts';
import { createWorldBook as newLibraryBook, exportLorebook, type WorldInfoEntry } from '../../../shared/worldinfo/index.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { contentDispositionHeader } from '../http/file-response.ts';
import { respondAfterProjection, respondCreatedAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { worldBookEntryRoutes } from './world-book-entry-routes.ts';
import { visibleBook } from '../../world-info/visible-world-book.ts';
import { asOfOrCurrent, asOfResponses, deleteRoute, restoreRoute } from './resource-lifecycle-routes.ts';
import { bulkChangeWorldBookEntries } from '../../world-info/bulk-change-world-book-entries.ts';
import { importWorldBook, readLorebookJson } from '../../world-info/import-world-book.ts';
import {
  bookParams,
  bookViewSchema,
  bulkBody,
  createBookBody,
  expectedVersionQuery,
  exportQuery,
  getBookQuery,
  importQuery,
  listBooksQuery,
  statisticsQuery,
  updateBookBody,
} from './world-book-schemas.ts';

const BASE = '/api/v1/characters/world-books';

export { visibleBook };

function bookChanges(body: z.infer<typeof updateBookBody>): BookChanges {
  const { is_global, ...rest } = body;
  return { ...rest, ...(is_global !== undefined ? { isGlobal: is_global } : {}) };
}

function contentDisposition(name: string): string {
  return contentDispositionHeader('attachment', { name: name || 'world-book', extension: 'json' });
}

export function worldBookRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createWorldBookQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `${BASE}/${id}`;
  const family = { deps, path: `${BASE}/:id`, params: bookParams, id: (p: { id: string }) => p.id, tags: ['world-books'], location };
  const bookResponse = async (
    id: string,
    status: number,
    options: { includeEntries?: boolean; extra?: Record<string, unknown> } = {},
  ): Promise<RouteResult> => {
    const row = (await queries.get(id))!;
    const entries = options.includeEntries ? { entries: (await queries.entries(id)).map(toEntryView) } : {};
    return { status, body: { ...toWorldBookView(row), ...entries, ...options.extra }, headers: { ETag: `W/"${row.version}"` } };
  };

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/import`,
      operationId: 'importWorldBook',
      summary:
        'Import a lorebook: SillyTavern world info, character_book (bare or in a card), lorebook_v3, NovelAI, Agnai, RisuAI, the original export',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      rateLimitInHandler: true,
      query: importQuery,
      bodyContentType: 'multipart/form-data',
      bodyLimitBytes: deps.config.CARD_MAX_FILE_BYTES,
      responses: {
        201: {
          description: 'imported; `import` reports the format, warnings and invalid regex keys (their entries are kept)',
          schema: bookViewSchema,
        },
        400: { description: 'not JSON or not UTF-8', schema: problemSchema },
        413: { description: 'file too large', schema: problemSchema },
        422: { description: 'not a lorebook format this service reads', schema: problemSchema },
      },
      handler: async ({ req, query, actor, consumeRateLimit }) => {
        const upload = await readLorebookJson(req, deps.config.CARD_MAX_FILE_BYTES);
        const { worldBookId, result, report } = await importWorldBook(commands, actor, upload, {
          name: query.name,
          isGlobal: query.is_global,
          beforeCreate: () => consumeRateLimit(),
        });
        return respondCreatedAfterProjection(
          deps,
          result.position,
          location(worldBookId),
          () => bookResponse(worldBookId, 201, { extra: report }),
          { id: worldBookId, version: result.revision, ...report },
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/entries/bulk`,
      operationId: 'bulkWorldBookEntries',
      summary: 'Enable, disable, delete, or set the priority or order of entries (of one or several books); all or nothing',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      body: bulkBody,
      responses: {
        200: {
          description: 'done',
          schema: z.object({
            success: z.boolean(),
            operation: z.string(),
            affected_count: z.number().int(),
            failed_ids: z.array(z.string()),
            books: z.array(z.object({ world_book_id: z.uuid(), version: z.number().int(), affected_count: z.number().int() })),
            message: z.string(),
          }),
        },
        400: { description: 'missing value', schema: problemSchema },
        403: { description: "an entry of another user's book", schema: problemSchema },
        404: { description: 'an entry that does not exist (`missing_ids`)', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const outcome = await bulkChangeWorldBookEntries(commands, actor, (ids) => queries.booksOfEntries(ids), body);
        const answer = {
          success: true,
          operation: body.operation,
          affected_count: outcome.affected,
          failed_ids: [] as string[],
          books: outcome.books.map((b) => ({ world_book_id: b.worldBookId, version: b.version, affected_count: b.affected })),
          message: `Operation '${body.operation}' completed: ${outcome.affected} entries affected`,
        };
        return respondAfterProjection(deps, outcome.position, BASE, async () => ({ status: 200, body: answer }), answer);
      },
    }),
    defineRoute({
      method: 'post',
      path: BASE,
      operationId: 'createWorldBook',
      summary: 'Create an empty world book',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      body: createBookBody,
      responses: { 201: { description: 'created', schema: bookViewSchema }, 400: { description: 'invalid', schema: problemSchema } },
      handler: async ({ body, actor }) => {
        const { entries: _none, ...meta } = newLibraryBook(body.name, {
          description: body.description,
          ...(body.extensions ? { extensions: body.extensions } : {}),
          ...(body.scan_depth !== undefined ? { scan_depth: body.scan_depth } : {}),
          ...(body.token_budget !== undefined ? { token_budget: body.token_budget } : {}),
          ...(body.recursive_scanning !== undefined ? { recursive_scanning: body.recursive_scanning } : {}),
        });
        const { worldBookId, result } = await createWorldBook(commands, actor, {
          book: meta,
          entries: [],
          enabled: body.enabled,
          isGlobal: body.is_global,
          source: { kind: 'api' },
          warnings: [],
        });
        return respondCreatedAfterProjection(deps, result.position, location(worldBookId), () => bookResponse(worldBookId, 201), {
          id: worldBookId,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: BASE,
      operationId: 'listWorldBooks',
      summary: "The caller's world books by name (enabled ones unless include_disabled)",
      tags: ['world-books'],
      auth: 'user',
      query: listBooksQuery,
      responses: {
        200: {
          description: 'a page of books',
          schema: z.object({
            items: z.array(bookViewSchema),
            world_books: z.array(bookViewSchema).describe('the same list under tldw_server’s name'),
            total: z.number().int(),
            enabled_count: z.number().int(),
            disabled_count: z.number().int(),
            limit: z.number().int(),
            offset: z.number().int(),
            next_offset: z.number().int().nullable(),
          }),
        },
      },
      handler: async ({ query, actor }) => {
        const { items, total, enabledCount, disabledCount } = await queries.list(actor.userId, {
          limit: query.limit,
          offset: query.offset,
          includeDisabled: query.include_disabled,
          includeDeleted: query.include_deleted,
          globalOnly: query.global_only,
        });
        const next = query.offset + items.length < total ? query.offset + items.length : null;
        const views = items.map(toWorldBookView);
        return {
          status: 200,
          body: {
            items: views,
            // tldw_server's name for the same list (its clients read `world_books`).
            world_books: views,
            total,
            enabled_count: enabledCount,
            disabled_count: disabledCount,
            limit: query.limit,
            offset: query.offset,
            next_offset: next,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id`,
      operationId: 'getWorldBook',
      summary:
        'A world book with its entries (`include_entries=false` for the book alone); `as_of` (a version or an ISO date-time) rebuilds it as it was, from its events',
      tags: ['world-books', 'history'],
      auth: 'user',
      params: bookParams,
      query: getBookQuery,
      responses: asOfResponses(bookViewSchema, 'the book'),
      handler: async ({ params, query, actor }) =>
        asOfOrCurrent(query, {
          past: async (asOf) => {
            const { row, entries, version } = await worldBookAsOf(deps.eventStore, params.id, asOf, actor);
            return { body: { ...toWorldBookView(row), ...(query.include_entries ? { entries: entries.map(toEntryView) } : {}) }, version };
          },
          current: async () => {
            visibleBook(await queries.get(params.id), params.id, actor);
            return bookResponse(params.id, 200, { includeEntries: query.include_entries });
          },
        }),
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:id`,
      operationId: 'updateWorldBook',
      summary: 'Change book fields (name, description, enabled, is_global, ...); optimistic with expected_version',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: bookParams,
      query: expectedVersionQuery,
      body: updateBookBody,
      responses: {
        200: { description: 'updated', schema: bookViewSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const result = await updateWorldBook(commands, actor, params.id, bookChanges(body), query.expected_version);
        return respondAfterProjection(deps, result.position, location(params.id), () => bookResponse(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
    deleteRoute(family, {
      operationId: 'deleteWorldBook',
      summary: 'Soft-delete a world book (restorable)',
      rateLimit: 'world_book_ops',
      remove: ({ params, query, actor }) => deleteWorldBook(commands, actor, params.id, query.expected_version),
    }),
    restoreRoute(family, {
      operationId: 'restoreWorldBook',
      summary: 'Restore a soft-deleted world book',
      rateLimit: 'world_book_ops',
      responses: { 200: { description: 'restored', schema: bookViewSchema }, 409: { description: 'not deleted', schema: problemSchema } },
      restore: ({ params, actor }) => restoreWorldBook(commands, actor, params.id),
      view: (id, status) => bookResponse(id, status),
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/export`,
      operationId: 'exportWorldBook',
      summary: 'The book as a SillyTavern world-info file, a lorebook_v3 file, or a character_book object',
      tags: ['world-books'],
      auth: 'user',
      params: bookParams,
      query: exportQuery,
      responses: { 200: { description: 'the lorebook JSON', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ params, query, actor }) => {
        const row = visibleBook(await queries.get(params.id), params.id, actor);
        const book = toLibraryBook(row, await queries.entries(params.id));
        return {
          status: 200,
          body: exportLorebook(book, query.format),
          headers: { 'Content-Disposition': contentDisposition(row.name), ETag: `W/"${row.version}-${query.format}"` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/statistics`,
      operationId: 'worldBookStatistics',
      summary: 'Entry counts, token totals per position (real tokenizer) and activation counts per entry',
      tags: ['world-books'],
      auth: 'user',
      params: bookParams,
      query: statisticsQuery,
      responses: { 200: { description: 'statistics', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ params, query, actor }) => {
        const row = visibleBook(await queries.get(params.id), params.id, actor);
        const [entries, activations] = await Promise.all([queries.entries(params.id), queries.activationCounts(params.id)]);
        const stats = computeBookStatistics(
          entries.map((e) => ({ entryId: e.entry_id, entry: e.entry as unknown as WorldInfoEntry })),
          activations,
          query.tokenizer,
        );
        return { status: 200, body: { world_book_id: row.id, name: row.name, version: row.version, ...stats } };
      },
    }),
    ...worldBookEntryRoutes(deps),
  ];
}
