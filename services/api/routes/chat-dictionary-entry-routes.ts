import { z } from 'zod';
import {
  addDictionaryEntry,
  deleteDictionaryEntry,
  reorderDictionaryEntries,
  updateDictionaryEntry,
} from '../../../commands/chat-dictionaries/chat-dictionary-workflows.ts';
import { createChatDictionaryQueries, toEntryView } from '../../../queries/chat-dictionaries-queries.ts';
import type { DictionaryEntry } from '../../../shared/dictionaries/dictionary-model.ts';
import { notFound } from '../../../shared/errors.ts';
import { assertStorable } from '../../chat-dictionaries/import-chat-dictionary.ts';
import { visibleDictionary } from '../../chat-dictionaries/visible-dictionary.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import { entryFromBody, expectedVersion } from './chat-dictionary-input.ts';
import {
  createEntryBody,
  dictionaryParams,
  entryParams,
  entryViewSchema,
  listEntriesQuery,
  reorderBody,
  updateEntryBody,
} from './chat-dictionary-schemas.ts';
import { entryRoutes } from './entry-routes.ts';

const BASE = '/api/v1/chat/dictionaries';

/**
 * A dictionary's entries: the entries family (entry-routes.ts) over the dictionary's stream, an entry addressed by its
 * own id (`/entries/{entry_id}`, the original's paths), the list in processing order, and the reorder.
 */
export function chatDictionaryEntryRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createChatDictionaryQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `${BASE}/${id}`;
  const entryResponse = async (entryId: string, status: number): Promise<RouteResult> => {
    const entry = (await queries.entry(entryId))!;
    const row = (await queries.get(entry.dictionary_id))!;
    return { status, body: { ...toEntryView(entry), dictionary_version: row.version }, headers: { ETag: `W/"${row.version}"` } };
  };
  /** The entry's dictionary, as the read model routes it (the dictionary's stream decides). */
  const dictionaryOfEntry = async (entryId: string, actor: Actor): Promise<string> => {
    const entry = await queries.entry(entryId);
    if (!entry) throw notFound('chat dictionary entry', entryId);
    visibleDictionary(await queries.get(entry.dictionary_id), entry.dictionary_id, actor);
    return entry.dictionary_id;
  };

  return [
    ...entryRoutes(
      {
        deps,
        tags: ['chat-dictionaries'],
        limit: { rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange },
        names: { entryId: 'id', containerId: 'dictionary_id', containerVersion: 'dictionary_version' },
        collection: { path: `${BASE}/:id/entries`, params: dictionaryParams, containerId: (p) => p.id },
        item: {
          path: `${BASE}/entries/:entry_id`,
          params: entryParams,
          entryId: (p) => p.entry_id,
          containerOf: (p, actor) => dictionaryOfEntry(p.entry_id, actor),
        },
        location: (_dictionaryId, entryId) => `${BASE}/entries/${entryId}`,
        containerLocation: location,
        entryViewSchema,
        view: (_dictionaryId, entryId, status) => entryResponse(entryId, status),
      },
      {
        create: {
          operationId: 'createChatDictionaryEntry',
          summary: 'Add an entry (last in processing order unless a priority is given)',
          body: createEntryBody,
          responses: {
            201: { description: 'created', schema: entryViewSchema },
            400: { description: 'a pattern that does not compile (`invalid_regex`)', schema: problemSchema },
          },
          add: ({ body, query, actor }, dictionaryId) => {
            const entry = entryFromBody(body);
            assertStorable(entry, 'entry');
            return addDictionaryEntry(commands, actor, dictionaryId, entry, query.expected_version);
          },
        },
        get: { operationId: 'getChatDictionaryEntry', summary: 'One entry' },
        update: {
          operationId: 'updateChatDictionaryEntry',
          summary: "Change some of an entry's fields (a new version of its dictionary; `version` or expected_version is the dictionary's)",
          body: updateEntryBody,
          responses: {
            200: { description: 'updated', schema: entryViewSchema },
            400: { description: 'a pattern that does not compile (`invalid_regex`)', schema: problemSchema },
            409: { description: 'version conflict', schema: problemSchema },
          },
          change: ({ body, query, actor }, dictionaryId, entryId) => {
            const { version, timed_effects, ...fields } = body;
            const changes = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<DictionaryEntry>;
            if (timed_effects) changes.timed_effects = timed_effects as DictionaryEntry['timed_effects'];
            assertStorable(changes, 'entry');
            return updateDictionaryEntry(commands, actor, dictionaryId, entryId, changes, expectedVersion(version, query.expected_version));
          },
        },
        remove: {
          operationId: 'deleteChatDictionaryEntry',
          summary: 'Remove an entry (an event: the dictionary history keeps it)',
          remove: ({ query, actor }, dictionaryId, entryId) =>
            deleteDictionaryEntry(commands, actor, dictionaryId, entryId, query.expected_version),
        },
      },
    ),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/entries`,
      operationId: 'listChatDictionaryEntries',
      summary: "A dictionary's entries in processing order (optionally one group)",
      tags: ['chat-dictionaries'],
      auth: 'user',
      params: dictionaryParams,
      query: listEntriesQuery,
      responses: {
        200: {
          description: 'entries',
          schema: z.object({
            entries: z.array(entryViewSchema),
            total: z.number().int(),
            dictionary_id: z.uuid(),
            group: z.string().nullable(),
          }),
        },
      },
      handler: async ({ params, query, actor }) => {
        visibleDictionary(await queries.get(params.id), params.id, actor);
        const entries = (await queries.entries(params.id))
          .map(toEntryView)
          .filter((e) => query.group === undefined || e.group === query.group);
        return { status: 200, body: { entries, total: entries.length, dictionary_id: params.id, group: query.group ?? null } };
      },
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:id/entries/reorder`,
      operationId: 'reorderChatDictionaryEntries',
      summary: 'Set the processing order: every entry id exactly once; priorities become 0, 1, 2, ...',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: dictionaryParams,
      body: reorderBody,
      responses: {
        200: {
          description: 'reordered',
          schema: z.object({
            success: z.boolean(),
            dictionary_id: z.uuid(),
            affected_count: z.number().int(),
            entry_ids: z.array(z.uuid()),
            message: z.string(),
            version: z.number().int(),
          }),
        },
      },
      handler: async ({ params, body, actor }) => {
        const result = await reorderDictionaryEntries(commands, actor, params.id, body.entry_ids, body.version);
        const answer = {
          success: true,
          dictionary_id: params.id,
          affected_count: body.entry_ids.length,
          entry_ids: body.entry_ids,
          message: `Reordered ${body.entry_ids.length} entries.`,
          version: result.revision,
        };
        return respondAfterProjection(deps, result.position, location(params.id), async () => ({ status: 200, body: answer }), answer);
      },
    }),
  ];
}
