import { z } from 'zod';
import { addEntry, deleteEntry, updateEntry } from '../../../commands/world-books/world-book-workflows.ts';
import { createWorldBookQueries, toEntryView } from '../../../queries/world-books-queries.ts';
import { notFound } from '../../../shared/errors.ts';
import { entryChangesFromApi, entryFieldsSchema } from '../../../shared/world-books/entry-api-fields.ts';
import { createEntry } from '../../../shared/worldinfo/index.ts';
import { visibleBook } from '../../world-info/visible-world-book.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { entryRoutes } from './entry-routes.ts';
import { bookParams, createEntryBody, entryParams, entryViewSchema, listEntriesQuery } from './world-book-schemas.ts';

const BASE = '/api/v1/characters/world-books';

/** A world book's entries: the list in book order, and the entries family (entry-routes.ts) over the book's stream. */
export function worldBookEntryRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createWorldBookQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `${BASE}/${id}`;
  const entryResponse = async (bookId: string, entryId: string, status: number): Promise<RouteResult> => {
    const [row, entry] = await Promise.all([queries.get(bookId), queries.entry(bookId, entryId)]);
    return { status, body: { ...toEntryView(entry!), world_book_version: row!.version }, headers: { ETag: `W/"${row!.version}"` } };
  };

  return [
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
    ...entryRoutes(
      {
        deps,
        tags: ['world-books'],
        limit: { rateLimit: 'world_book_ops' },
        names: { entryId: 'entry_id', containerId: 'world_book_id', containerVersion: 'world_book_version' },
        collection: { path: `${BASE}/:id/entries`, params: bookParams, containerId: (p) => p.id },
        item: {
          path: `${BASE}/:id/entries/:entry_id`,
          params: entryParams,
          entryId: (p) => p.entry_id,
          containerOf: async (p, actor, purpose) => {
            // A write is decided by the book's stream; a read checks the read model.
            if (purpose === 'write') return p.id;
            visibleBook(await queries.get(p.id), p.id, actor);
            if (!(await queries.entry(p.id, p.entry_id))) throw notFound(`entry ${p.entry_id} of world book`, p.id);
            return p.id;
          },
        },
        location: (bookId, entryId) => `${location(bookId)}/entries/${entryId}`,
        containerLocation: location,
        entryViewSchema,
        view: entryResponse,
      },
      {
        create: {
          operationId: 'createWorldBookEntry',
          summary: "Add an entry (SillyTavern's editor defaults for fields not given; a new uid when none is given)",
          body: createEntryBody,
          responses: {
            201: { description: 'created', schema: entryViewSchema },
            400: { description: 'invalid (an uncompilable regex key is `invalid_regex`)', schema: problemSchema },
            422: { description: 'invalid entry', schema: problemSchema },
          },
          add: ({ body, query, actor }, bookId) =>
            addEntry(commands, actor, bookId, createEntry({ keys: [], content: '', ...entryChangesFromApi(body) }), query.expected_version),
        },
        get: { operationId: 'getWorldBookEntry', summary: 'One entry' },
        update: {
          operationId: 'updateWorldBookEntry',
          summary: "Change some of an entry's fields; expected_version is the book's version",
          body: entryFieldsSchema,
          responses: {
            200: { description: 'updated', schema: entryViewSchema },
            400: { description: 'invalid regex key', schema: problemSchema },
            409: { description: 'version conflict', schema: problemSchema },
          },
          change: ({ body, query, actor }, bookId, entryId) =>
            updateEntry(commands, actor, bookId, entryId, entryChangesFromApi(body), query.expected_version),
        },
        remove: {
          operationId: 'deleteWorldBookEntry',
          summary: 'Remove an entry (an event: the book history keeps it)',
          remove: ({ query, actor }, bookId, entryId) => deleteEntry(commands, actor, bookId, entryId, query.expected_version),
        },
      },
    ),
  ];
}
