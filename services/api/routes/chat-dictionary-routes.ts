import { z } from 'zod';
import {
  createDictionary,
  deleteDictionary,
  restoreDictionary,
  updateDictionary,
} from '../../../commands/chat-dictionaries/chat-dictionary-workflows.ts';
import { createChatDictionaryQueries, toDictionaryView, toEntryView, toPortable } from '../../../queries/chat-dictionaries-queries.ts';
import { exportDictionaryJson, exportDictionaryMarkdown } from '../../../shared/dictionaries/dictionary-formats.ts';
import { cleanCategory, type DictionaryMeta } from '../../../shared/dictionaries/dictionary-model.ts';
import type { DictionaryChanges } from '../../../shared/events/chat-dictionary-events.ts';
import { createChatDictionaryProcessor } from '../../chat-dictionaries/process-chat-dictionaries.ts';
import { visibleDictionary } from '../../chat-dictionaries/visible-dictionary.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection, respondCreatedAfterProjection } from '../http/read-your-writes.ts';
import { entryFromBody, expectedVersion, tagsOf } from './chat-dictionary-input.ts';
import { chatDictionaryEntryRoutes } from './chat-dictionary-entry-routes.ts';
import { deleteRoute, restoreRoute } from './resource-lifecycle-routes.ts';
import { assertStorable, importChatDictionary } from '../../chat-dictionaries/import-chat-dictionary.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import {
  createDictionaryBody,
  dictionaryParams,
  dictionaryViewSchema,
  expectedVersionQuery,
  importJsonBody,
  importMarkdownBody,
  listQuery,
  processBody,
  processResultSchema,
  updateDictionaryBody,
} from './chat-dictionary-schemas.ts';

const BASE = '/api/v1/chat/dictionaries';

export { visibleDictionary };

export function chatDictionaryRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createChatDictionaryQueries(deps.db, deps.readSchema);
  const processor = createChatDictionaryProcessor(deps);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `${BASE}/${id}`;
  const family = {
    deps,
    path: `${BASE}/:id`,
    params: dictionaryParams,
    id: (p: { id: string }) => p.id,
    tags: ['chat-dictionaries'],
    location,
  };

  const dictionaryResponse = async (
    id: string,
    status: number,
    options: { includeEntries?: boolean; extra?: Record<string, unknown> } = {},
  ): Promise<RouteResult> => {
    const row = (await queries.get(id))!;
    const entries = options.includeEntries ? { entries: (await queries.entries(id)).map(toEntryView) } : {};
    return { status, body: { ...toDictionaryView(row), ...entries, ...options.extra }, headers: { ETag: `W/"${row.version}"` } };
  };

  const created = ({ dictionaryId, result, report }: Awaited<ReturnType<typeof importChatDictionary>>) =>
    respondCreatedAfterProjection(
      deps,
      result.position,
      location(dictionaryId),
      () => dictionaryResponse(dictionaryId, 201, { extra: report }),
      { id: dictionaryId, version: result.revision, ...report },
    );

  return [
    defineRoute({
      method: 'post',
      path: `${BASE}/process`,
      operationId: 'processChatDictionaries',
      summary: 'Apply dictionaries to a text: processed text, replacements, passes, entries used, budget, and an explanation per entry',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimit: 'dictionary_process',
      body: processBody,
      bodyLimitBytes: 4 * 1024 * 1024,
      responses: {
        200: { description: 'the result', schema: processResultSchema },
        400: { description: 'text too long, an include cycle', schema: problemSchema },
        404: { description: 'an unknown dictionary or chat', schema: problemSchema },
        422: { description: 'entries × passes × text beyond DICTIONARY_MAX_PROCESS_WORK (`processing_too_costly`)', schema: problemSchema },
        503: { description: 'the run took longer than CPU_TASK_TIMEOUT_MS (`processing_timeout`)', schema: problemSchema },
      },
      handler: async ({ body, actor }) => ({ status: 200, body: await processor.process(body, actor) }),
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/import`,
      operationId: 'importChatDictionaryMarkdown',
      summary: "Import a dictionary from the original's Markdown format (also its list syntax and plain `pattern: replacement` lines)",
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      body: importMarkdownBody,
      bodyLimitBytes: 8 * 1024 * 1024,
      responses: {
        201: { description: 'imported', schema: dictionaryViewSchema },
        400: { description: 'an invalid regex, an include cycle', schema: problemSchema },
      },
      handler: async ({ body, actor }) =>
        created(
          await importChatDictionary(
            commands,
            actor,
            { format: 'markdown', content: body.content },
            { name: body.name, activate: body.activate },
          ),
        ),
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/import/json`,
      operationId: 'importChatDictionaryJson',
      summary: "Import a dictionary from the original's JSON export (`{data: {name, entries, ...}}`)",
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      body: importJsonBody,
      bodyLimitBytes: 8 * 1024 * 1024,
      responses: {
        201: { description: 'imported', schema: dictionaryViewSchema },
        400: { description: 'not a dictionary, an invalid regex', schema: problemSchema },
      },
      handler: async ({ body, actor }) =>
        created(
          await importChatDictionary(commands, actor, { format: 'json', data: body.data }, { name: body.name, activate: body.activate }),
        ),
    }),
    ...chatDictionaryEntryRoutes(deps),
    defineRoute({
      method: 'post',
      path: BASE,
      operationId: 'createChatDictionary',
      summary: 'Create a dictionary (optionally with entries)',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      body: createDictionaryBody,
      responses: {
        201: { description: 'created', schema: dictionaryViewSchema },
        400: { description: 'an invalid regex, an unknown include, an include cycle', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const meta: DictionaryMeta = {
          name: body.name,
          description: body.description,
          category: cleanCategory(body.category),
          tags: tagsOf(body.tags),
          included_dictionary_ids: [...new Set(body.included_dictionary_ids)],
          default_token_budget: body.default_token_budget ?? null,
          is_active: body.is_active,
        };
        const entries = (body.entries ?? []).map((e, i) => {
          const entry = entryFromBody(e);
          return { ...entry, priority: entry.priority ?? i };
        });
        assertStorable({ meta, entries }, 'dictionary');
        const { dictionaryId, result } = await createDictionary(commands, actor, { meta, entries, source: { kind: 'api' } });
        return respondAfterProjection(
          deps,
          result.position,
          location(dictionaryId),
          async () => {
            const r = await dictionaryResponse(dictionaryId, 201, { includeEntries: entries.length > 0 });
            return { ...r, headers: { ...r.headers, Location: location(dictionaryId) } };
          },
          { id: dictionaryId, version: result.revision },
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: BASE,
      operationId: 'listChatDictionaries',
      summary:
        "The caller's dictionaries by name (active ones unless include_inactive), with processing_priority and, on request, the chats using them",
      tags: ['chat-dictionaries'],
      auth: 'user',
      query: listQuery,
      responses: {
        200: {
          description: 'dictionaries',
          schema: z.object({
            dictionaries: z.array(dictionaryViewSchema),
            total: z.number().int(),
            active_count: z.number().int(),
            inactive_count: z.number().int(),
          }),
        },
      },
      handler: async ({ query, actor }) => {
        const page = await queries.list(actor.userId, {
          includeInactive: query.include_inactive,
          includeDeleted: query.include_deleted,
          limit: query.limit,
          offset: query.offset,
        });
        const rank = new Map(page.activeOrder.map((id, i) => [id, i + 1]));
        const usage = query.include_usage ? await queries.chatUsage(page.items.map((r) => r.id)) : null;
        const dictionaries = page.items.map((r) => {
          const refs = usage?.get(r.id) ?? [];
          return {
            ...toDictionaryView(r),
            processing_priority: rank.get(r.id) ?? null,
            ...(usage
              ? {
                  used_by_chat_count: refs.length,
                  used_by_active_chat_count: refs.filter((c) => c.state === 'in-progress').length,
                  used_by_chat_refs: refs,
                }
              : {}),
          };
        });
        return {
          status: 200,
          body: { dictionaries, total: page.total, active_count: page.activeCount, inactive_count: page.inactiveCount },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id`,
      operationId: 'getChatDictionary',
      summary: 'A dictionary with its entries (in processing order)',
      tags: ['chat-dictionaries'],
      auth: 'user',
      params: dictionaryParams,
      responses: {
        200: { description: 'the dictionary', schema: dictionaryViewSchema },
        403: { description: "another user's", schema: problemSchema },
        404: { description: 'missing', schema: problemSchema },
      },
      handler: async ({ params, actor }) => {
        visibleDictionary(await queries.get(params.id), params.id, actor);
        return dictionaryResponse(params.id, 200, { includeEntries: true });
      },
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/:id`,
      operationId: 'updateChatDictionary',
      summary: 'Change dictionary fields; `version` (body) or expected_version (query) must be the current version (409 otherwise)',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: dictionaryParams,
      query: expectedVersionQuery,
      body: updateDictionaryBody,
      responses: {
        200: { description: 'updated', schema: dictionaryViewSchema },
        400: { description: 'an include cycle, an unknown include', schema: problemSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const { version, tags, category, included_dictionary_ids, ...rest } = body;
        const changes: DictionaryChanges = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
        if (tags !== undefined) changes.tags = tagsOf(tags);
        if (category !== undefined) changes.category = cleanCategory(category);
        if (included_dictionary_ids !== undefined) changes.included_dictionary_ids = [...new Set(included_dictionary_ids)];
        assertStorable(changes, 'dictionary');
        const result = await updateDictionary(commands, actor, params.id, changes, expectedVersion(version, query.expected_version));
        return respondAfterProjection(deps, result.position, location(params.id), () => dictionaryResponse(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
    deleteRoute(family, {
      operationId: 'deleteChatDictionary',
      summary: 'Soft-delete a dictionary (restorable)',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      remove: ({ params, query, actor }) => deleteDictionary(commands, actor, params.id, query.expected_version),
    }),
    restoreRoute(family, {
      operationId: 'restoreChatDictionary',
      summary: 'Restore a soft-deleted dictionary',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      responses: {
        200: { description: 'restored', schema: dictionaryViewSchema },
        409: { description: 'not deleted', schema: problemSchema },
      },
      restore: ({ params, actor }) => restoreDictionary(commands, actor, params.id),
      view: (id, status) => dictionaryResponse(id, status),
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/export`,
      operationId: 'exportChatDictionaryMarkdown',
      summary: "The dictionary in the original's Markdown format (every field: import gives it back)",
      tags: ['chat-dictionaries'],
      auth: 'user',
      params: dictionaryParams,
      responses: {
        200: {
          description: 'the Markdown',
          schema: z.object({ name: z.string(), content: z.string(), entry_count: z.number().int(), group_count: z.number().int() }),
        },
      },
      handler: async ({ params, actor }) => {
        const row = visibleDictionary(await queries.get(params.id), params.id, actor);
        const portable = toPortable(row, await queries.entries(params.id));
        const groups = new Set(portable.entries.map((e) => e.group).filter((g) => g !== null));
        return {
          status: 200,
          body: {
            name: row.name,
            content: exportDictionaryMarkdown(portable),
            entry_count: portable.entries.length,
            group_count: groups.size,
          },
          headers: { ETag: `W/"${row.version}-md"` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/:id/export/json`,
      operationId: 'exportChatDictionaryJson',
      summary: "The dictionary as the original's JSON export",
      tags: ['chat-dictionaries'],
      auth: 'user',
      params: dictionaryParams,
      responses: { 200: { description: 'the JSON', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ params, actor }) => {
        const row = visibleDictionary(await queries.get(params.id), params.id, actor);
        return {
          status: 200,
          body: exportDictionaryJson(toPortable(row, await queries.entries(params.id))),
          headers: { ETag: `W/"${row.version}-json"` },
        };
      },
    }),
  ];
}
