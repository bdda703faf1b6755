import type { Request } from 'express';
import { z } from 'zod';
import {
  addEntry,
  bulkChangeEntries,
  createWorldBook,
  deleteEntry,
  deleteWorldBook,
  restoreWorldBook,
  updateEntry,
  updateWorldBook,
} from '../../../commands/world-books/world-book-workflows.ts';
import { worldBookAsOf } from '../../../queries/resource-as-of.ts';
import {
  createWorldBookQueries,
  toEntryView,
  toLibraryBook,
  toWorldBookView,
  type WorldBookRow,
} from '../../../queries/world-books-queries.ts';
import { AppError, badRequest, notFound } from '../../../shared/errors.ts';
import type { BookChanges, WorldBookMeta } from '../../../shared/events/world-book-events.ts';
import { describeUnstorable, findUnstorableText } from '../../../shared/text/storable-text.ts';
import { computeBookStatistics } from '../../../shared/world-books/book-statistics.ts';
import { entryChangesFromApi, entryFieldsSchema } from '../../../shared/world-books/entry-api-fields.ts';
import {
  createEntry,
  createWorldBook as newLibraryBook,
  exportLorebook,
  importLorebook,
  type WorldInfoEntry,
} from '../../../shared/worldinfo/index.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { contentDispositionHeader } from '../http/file-response.ts';
import { MAX_JSON_DEPTH } from '../http/hardening.ts';
import { readMultipartFile } from '../http/multipart.ts';
import { jsonNestsDeeperThan } from '../../../shared/text/storable-text.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { asOfFromQuery } from './as-of-param.ts';
import {
  bookParams,
  bookViewSchema,
  bulkBody,
  createBookBody,
  createEntryBody,
  entryParams,
  entryViewSchema,
  expectedVersionQuery,
  exportQuery,
  getBookQuery,
  importQuery,
  listBooksQuery,
  listEntriesQuery,
  statisticsQuery,
  updateBookBody,
} from './world-book-schemas.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';

const BASE = '/api/v1/characters/world-books';

/** 404 for a missing (or deleted, unless `includeDeleted`) book, 403 for another user's. */
export function visibleBook(
  row: WorldBookRow | undefined,
  id: string,
  actor: Actor,
  options: { includeDeleted?: boolean } = {},
): WorldBookRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('world book', id);
  assertOwned(actor, row);
  return row;
}

function bookChanges(body: z.infer<typeof updateBookBody>): BookChanges {
  const { is_global, ...rest } = body;
  return { ...rest, ...(is_global !== undefined ? { isGlobal: is_global } : {}) };
}

/** The lorebook JSON of an import: a multipart file (`file`) or the JSON body itself. */
async function readLorebookJson(
  req: Request,
  maxBytes: number,
): Promise<{ json: unknown; filename?: string; fields: Record<string, string> }> {
  if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    const { file, fields } = await readMultipartFile(req, { fileFields: ['file', 'world_book_file'], maxBytes });
    if (jsonNestsDeeperThan(file.bytes, MAX_JSON_DEPTH))
      throw badRequest('json_too_deep', `the lorebook file nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes).replace(/^\uFEFF/, '');
    } catch {
      throw badRequest('invalid_encoding', 'the lorebook file is not valid UTF-8');
    }
    try {
      return { json: JSON.parse(text), ...(file.filename ? { filename: file.filename } : {}), fields };
    } catch {
      throw badRequest('invalid_json', 'the lorebook file is not valid JSON');
    }
  }
  if (req.body === undefined || typeof req.body !== 'object' || req.body === null)
    throw badRequest('missing_file', 'send the lorebook as multipart/form-data (field `file`) or as a JSON body');
  return { json: req.body, fields: {} };
}

const baseName = (filename: string) =>
  filename
    .replace(/^.*[\\/]/, '')
    .replace(/\.[^.]*$/, '')
    .trim()
    .slice(0, 200);

function contentDisposition(name: string): string {
  return contentDispositionHeader('attachment', { name: name || 'world-book', extension: 'json' });
}

export function worldBookRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createWorldBookQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `${BASE}/${id}`;
  const bookResponse = async (
    id: string,
    status: number,
    options: { includeEntries?: boolean; extra?: Record<string, unknown> } = {},
  ): Promise<RouteResult> => {
    const row = (await queries.get(id))!;
    const entries = options.includeEntries ? { entries: (await queries.entries(id)).map(toEntryView) } : {};
    return { status, body: { ...toWorldBookView(row), ...entries, ...options.extra }, headers: { ETag: `W/"${row.version}"` } };
  };
  const entryResponse = async (bookId: string, entryId: string, status: number): Promise<RouteResult> => {
    const [row, entry] = await Promise.all([queries.get(bookId), queries.entry(bookId, entryId)]);
    return { status, body: { ...toEntryView(entry!), world_book_version: row!.version }, headers: { ETag: `W/"${row!.version}"` } };
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
        const { json, filename, fields } = await readLorebookJson(req, deps.config.CARD_MAX_FILE_BYTES);
        const unstorable = findUnstorableText(json);
        if (unstorable)
          throw badRequest('invalid_unicode', `the lorebook's ${describeUnstorable(unstorable)}`, {
            path: unstorable.path,
            reason: unstorable.reason,
          });
        const name =
          query.name ??
          (fields.name?.trim() ? fields.name.trim().slice(0, 200) : undefined) ??
          (filename ? baseName(filename) || undefined : undefined);
        const isGlobal = query.is_global ?? (fields.is_global ? z.stringbool().parse(fields.is_global) : false);
        const imported = importLorebook(json, name ? { name } : {});
        await consumeRateLimit();
        const { entries, ...bookFields } = imported.book;
        const meta: WorldBookMeta = bookFields;
        const warnings = imported.warnings.map((w) => ({ ...w }));
        const { worldBookId, result } = await createWorldBook(commands, actor, {
          book: meta,
          entries,
          enabled: true,
          isGlobal,
          source: { kind: 'import', format: imported.format, ...(filename ? { filename: filename.slice(0, 255) } : {}) },
          warnings,
        });
        const report = {
          import: {
            format: imported.format,
            entries_imported: entries.length,
            warnings: imported.warnings.map((w) => ({
              entry_index: w.entryIndex,
              code: w.code,
              detail: w.detail,
              ...(w.field ? { field: w.field } : {}),
            })),
            invalid_regex: imported.warnings
              .filter((w) => w.code === 'invalid_regex')
              .map((w) => ({
                entry_index: w.entryIndex,
                entry_id: w.entryIndex !== null ? (result.state.entries[w.entryIndex]?.entryId ?? null) : null,
                field: w.field,
                detail: w.detail,
              })),
          },
        };
        return respondAfterProjection(
          deps,
          result.position,
          location(worldBookId),
          async () => {
            const r = await bookResponse(worldBookId, 201, { extra: report });
            return { ...r, headers: { ...r.headers, Location: location(worldBookId) } };
          },
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
        if (body.value !== undefined && body.priority !== undefined && body.value !== body.priority)
          throw badRequest('conflicting_value', 'give value or priority, not both');
        const value = body.value ?? (body.operation === 'set_priority' ? body.priority : undefined);
        if ((body.operation === 'set_priority' || body.operation === 'set_order') && value === undefined)
          throw badRequest('missing_value', `${body.operation} needs a numeric value`);
        const ids = [...new Set(body.entry_ids)];
        // The read model only routes the command to the books' streams; each book decides from its own stream.
        const bookOf = await queries.booksOfEntries(ids);
        const missing = ids.filter((id) => !bookOf.has(id));
        if (missing.length > 0)
          throw new AppError(404, 'not_found', `${missing.length} of the entries do not exist`, { missing_ids: missing });
        const entriesByBook = new Map<string, string[]>();
        for (const id of ids) {
          const book = bookOf.get(id)!;
          const list = entriesByBook.get(book);
          if (list) list.push(id);
          else entriesByBook.set(book, [id]);
        }
        const outcome = await bulkChangeEntries(commands, actor, {
          entriesByBook,
          operation: body.operation,
          ...(value !== undefined ? { value } : {}),
        });
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
        return respondAfterProjection(
          deps,
          result.position,
          location(worldBookId),
          async () => {
            const r = await bookResponse(worldBookId, 201);
            return { ...r, headers: { ...r.headers, Location: location(worldBookId) } };
          },
          { id: worldBookId, version: result.revision },
        );
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
        return {
          status: 200,
          body: {
            items: items.map(toWorldBookView),
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
      responses: {
        200: { description: 'the book (with `as_of_version` when rebuilt from its past)', schema: bookViewSchema },
        400: { description: 'as_of is not a version or a date-time, or is in the future', schema: problemSchema },
        403: { description: "another user's", schema: problemSchema },
        404: { description: 'missing, or no such version (or not yet created at that time)', schema: problemSchema },
      },
      handler: async ({ params, query, actor }) => {
        const asOf = asOfFromQuery(query);
        if (asOf) {
          const { row, entries, version } = await worldBookAsOf(deps.eventStore, params.id, asOf, actor);
          const withEntries = query.include_entries ? { entries: entries.map(toEntryView) } : {};
          return {
            status: 200,
            body: { ...toWorldBookView(row), ...withEntries, as_of_version: version },
            headers: { ETag: `W/"${version}"` },
          };
        }
        visibleBook(await queries.get(params.id), params.id, actor);
        return bookResponse(params.id, 200, { includeEntries: query.include_entries });
      },
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
    defineRoute({
      method: 'delete',
      path: `${BASE}/:id`,
      operationId: 'deleteWorldBook',
      summary: 'Soft-delete a world book (restorable)',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: bookParams,
      query: expectedVersionQuery,
      responses: {
        200: { description: 'deleted', schema: z.object({ id: z.uuid(), version: z.number().int(), deleted: z.literal(true) }) },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, actor }) => {
        const result = await deleteWorldBook(commands, actor, params.id, query.expected_version);
        const body = { id: params.id, version: result.revision, deleted: true };
        return respondAfterProjection(deps, result.position, location(params.id), async () => ({ status: 200, body }), body);
      },
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/:id/restore`,
      operationId: 'restoreWorldBook',
      summary: 'Restore a soft-deleted world book',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: bookParams,
      responses: { 200: { description: 'restored', schema: bookViewSchema }, 409: { description: 'not deleted', schema: problemSchema } },
      handler: async ({ params, actor }) => {
        const result = await restoreWorldBook(commands, actor, params.id);
        return respondAfterProjection(deps, result.position, location(params.id), () => bookResponse(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
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
    defineRoute({
      method: 'post',
      path: `${BASE}/:id/entries`,
      operationId: 'createWorldBookEntry',
      summary: "Add an entry (SillyTavern's editor defaults for fields not given; a new uid when none is given)",
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: bookParams,
      query: expectedVersionQuery,
      body: createEntryBody,
      responses: {
        201: { description: 'created', schema: entryViewSchema },
        400: { description: 'invalid (an uncompilable regex key is `invalid_regex`)', schema: problemSchema },
        422: { description: 'invalid entry', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const fields = entryChangesFromApi(body);
        const entry = createEntry({ keys: [], content: '', ...fields });
        const { entryId, result } = await addEntry(commands, actor, params.id, entry, query.expected_version);
        const where = `${location(params.id)}/entries/${entryId}`;
        return respondAfterProjection(
          deps,
          result.position,
          where,
          async () => {
            const r = await entryResponse(params.id, entryId, 201);
            return { ...r, headers: { ...r.headers, Location: where } };
          },
          { entry_id: entryId, world_book_version: result.revision },
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/entries`,
      operationId: 'listWorldBookEntries',
      summary: "A book's entries in book order",
      tags: ['world-books'],
      auth: 'user',
      params: bookParams,
      query: listEntriesQuery,
      responses: {
        200: {
          description: 'entries',
          schema: z.object({
            items: z.array(entryViewSchema),
            total: z.number().int(),
            world_book_id: z.uuid(),
            world_book_version: z.number().int(),
          }),
        },
      },
      handler: async ({ params, query, actor }) => {
        const row = visibleBook(await queries.get(params.id), params.id, actor);
        const all = (await queries.entries(params.id)).map(toEntryView).filter((e) => !query.enabled_only || e.enabled !== false);
        return {
          status: 200,
          body: {
            items: all.slice(query.offset, query.offset + query.limit),
            total: all.length,
            world_book_id: row.id,
            world_book_version: row.version,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/entries/:entry_id`,
      operationId: 'getWorldBookEntry',
      summary: 'One entry',
      tags: ['world-books'],
      auth: 'user',
      params: entryParams,
      responses: { 200: { description: 'the entry', schema: entryViewSchema }, 404: { description: 'missing', schema: problemSchema } },
      handler: async ({ params, actor }) => {
        visibleBook(await queries.get(params.id), params.id, actor);
        if (!(await queries.entry(params.id, params.entry_id))) throw notFound(`entry ${params.entry_id} of world book`, params.id);
        return entryResponse(params.id, params.entry_id, 200);
      },
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:id/entries/:entry_id`,
      operationId: 'updateWorldBookEntry',
      summary: "Change some of an entry's fields; expected_version is the book's version",
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: entryParams,
      query: expectedVersionQuery,
      body: entryFieldsSchema,
      responses: {
        200: { description: 'updated', schema: entryViewSchema },
        400: { description: 'invalid regex key', schema: problemSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const result = await updateEntry(commands, actor, params.id, params.entry_id, entryChangesFromApi(body), query.expected_version);
        return respondAfterProjection(
          deps,
          result.position,
          `${location(params.id)}/entries/${params.entry_id}`,
          () => entryResponse(params.id, params.entry_id, 200),
          { entry_id: params.entry_id, world_book_version: result.revision },
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${BASE}/:id/entries/:entry_id`,
      operationId: 'deleteWorldBookEntry',
      summary: 'Remove an entry (an event: the book history keeps it)',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      params: entryParams,
      query: expectedVersionQuery,
      responses: {
        200: {
          description: 'deleted',
          schema: z.object({ entry_id: z.uuid(), world_book_id: z.uuid(), world_book_version: z.number().int(), deleted: z.literal(true) }),
        },
      },
      handler: async ({ params, query, actor }) => {
        const result = await deleteEntry(commands, actor, params.id, params.entry_id, query.expected_version);
        const body = { entry_id: params.entry_id, world_book_id: params.id, world_book_version: result.revision, deleted: true };
        return respondAfterProjection(deps, result.position, location(params.id), async () => ({ status: 200, body }), body);
      },
    }),
  ];
}
