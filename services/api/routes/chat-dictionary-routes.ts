import { z } from 'zod';
import {
  addDictionaryEntry,
  createDictionary,
  deleteDictionary,
  deleteDictionaryEntry,
  reorderDictionaryEntries,
  restoreDictionary,
  updateDictionary,
  updateDictionaryEntry,
} from '../../../commands/chat-dictionaries/chat-dictionary-workflows.ts';
import { createChatDictionaryQueries, toDictionaryView, toEntryView, toPortable } from '../../../queries/chat-dictionaries-queries.ts';
import {
  exportDictionaryJson,
  exportDictionaryMarkdown,
  importDictionaryJson,
  importDictionaryMarkdown,
  type ImportedDictionary,
} from '../../../shared/dictionaries/dictionary-formats.ts';
import {
  cleanCategory,
  cleanTags,
  DEFAULT_ENTRY,
  MAX_DICTIONARY_TAGS,
  type DictionaryEntry,
  type DictionaryMeta,
} from '../../../shared/dictionaries/dictionary-model.ts';
import { badRequest, notFound } from '../../../shared/errors.ts';
import type { DictionaryChanges } from '../../../shared/events/chat-dictionary-events.ts';
import { describeUnstorable, findUnstorableText } from '../../../shared/text/storable-text.ts';
import { createChatDictionaryProcessor } from '../../chat-dictionaries/process-chat-dictionaries.ts';
import { visibleDictionary } from '../../chat-dictionaries/visible-dictionary.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import {
  createDictionaryBody,
  createEntryBody,
  dictionaryParams,
  dictionaryViewSchema,
  entryParams,
  entryViewSchema,
  expectedVersionQuery,
  importJsonBody,
  importMarkdownBody,
  listEntriesQuery,
  listQuery,
  processBody,
  processResultSchema,
  reorderBody,
  updateDictionaryBody,
  updateEntryBody,
} from './chat-dictionary-schemas.ts';

const BASE = '/api/v1/chat/dictionaries';

export { visibleDictionary };

/** Two ways to give the expected version (the original's body `version`, or `expected_version`): they must agree. */
function expectedVersion(body: number | undefined, query: number | undefined): number | undefined {
  if (body !== undefined && query !== undefined && body !== query)
    throw badRequest('conflicting_version', 'version (body) and expected_version (query) differ');
  return body ?? query;
}

function tagsOf(raw: readonly string[]): string[] {
  const tags = cleanTags(raw);
  if (tags.length > MAX_DICTIONARY_TAGS) throw badRequest('too_many_tags', `at most ${MAX_DICTIONARY_TAGS} tags`);
  return tags;
}

function entryFromBody(body: z.infer<typeof createEntryBody>): DictionaryEntry & { priority?: number } {
  const { timed_effects, ...rest } = body;
  const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const { priority: _p, ...defaults } = DEFAULT_ENTRY;
  return { ...defaults, ...fields, timed_effects: { ...DEFAULT_ENTRY.timed_effects, ...timed_effects } } as DictionaryEntry & {
    priority?: number;
  };
}

function assertStorable(value: unknown, what: string): void {
  const unstorable = findUnstorableText(value);
  if (unstorable)
    throw badRequest('invalid_unicode', `the ${what}'s ${describeUnstorable(unstorable)}`, {
      path: unstorable.path,
      reason: unstorable.reason,
    });
}

export function chatDictionaryRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createChatDictionaryQueries(deps.db, deps.readSchema);
  const processor = createChatDictionaryProcessor(deps);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = (id: string) => `${BASE}/${id}`;

  const dictionaryResponse = async (
    id: string,
    status: number,
    options: { includeEntries?: boolean; extra?: Record<string, unknown> } = {},
  ): Promise<RouteResult> => {
    const row = (await queries.get(id))!;
    const entries = options.includeEntries ? { entries: (await queries.entries(id)).map(toEntryView) } : {};
    return { status, body: { ...toDictionaryView(row), ...entries, ...options.extra }, headers: { ETag: `W/"${row.version}"` } };
  };
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

  const createFrom = async (imported: ImportedDictionary, activate: boolean, format: 'markdown' | 'json', actor: Actor) => {
    const meta: DictionaryMeta = { ...imported.meta, is_active: activate && imported.meta.is_active };
    const { dictionaryId, result } = await createDictionary(commands, actor, {
      meta,
      entries: imported.entries,
      source: { kind: 'import', format },
    });
    const report = {
      dictionary_id: dictionaryId,
      name: meta.name,
      entries_imported: imported.entries.length,
      groups_created: new Set(imported.entries.map((e) => e.group).filter((g) => g !== null)).size,
      warnings: imported.warnings.map((w) => ({ entry_index: w.entryIndex, detail: w.detail })),
    };
    return respondAfterProjection(
      deps,
      result.position,
      location(dictionaryId),
      async () => {
        const r = await dictionaryResponse(dictionaryId, 201, { extra: report });
        return { ...r, headers: { ...r.headers, Location: location(dictionaryId) } };
      },
      { id: dictionaryId, version: result.revision, ...report },
    );
  };

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
      handler: async ({ body, actor }) => {
        assertStorable(body.content, 'Markdown');
        return createFrom(importDictionaryMarkdown(body.content, body.name ? { name: body.name } : {}), body.activate, 'markdown', actor);
      },
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
      handler: async ({ body, actor }) => {
        assertStorable(body.data, 'dictionary');
        const imported = importDictionaryJson(body.data, body.name ? { name: body.name } : {});
        return createFrom(imported, body.activate, 'json', actor);
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/entries/:entry_id`,
      operationId: 'getChatDictionaryEntry',
      summary: 'One entry',
      tags: ['chat-dictionaries'],
      auth: 'user',
      params: entryParams,
      responses: { 200: { description: 'the entry', schema: entryViewSchema }, 404: { description: 'missing', schema: problemSchema } },
      handler: async ({ params, actor }) => {
        await dictionaryOfEntry(params.entry_id, actor);
        return entryResponse(params.entry_id, 200);
      },
    }),
    defineRoute({
      method: 'put',
      path: `${BASE}/entries/:entry_id`,
      operationId: 'updateChatDictionaryEntry',
      summary: "Change some of an entry's fields (a new version of its dictionary; `version` or expected_version is the dictionary's)",
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: entryParams,
      query: expectedVersionQuery,
      body: updateEntryBody,
      responses: {
        200: { description: 'updated', schema: entryViewSchema },
        400: { description: 'a pattern that does not compile (`invalid_regex`)', schema: problemSchema },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const dictionaryId = await dictionaryOfEntry(params.entry_id, actor);
        const { version, timed_effects, ...fields } = body;
        const changes = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<DictionaryEntry>;
        if (timed_effects) changes.timed_effects = timed_effects as DictionaryEntry['timed_effects'];
        assertStorable(changes, 'entry');
        const result = await updateDictionaryEntry(
          commands,
          actor,
          dictionaryId,
          params.entry_id,
          changes,
          expectedVersion(version, query.expected_version),
        );
        return respondAfterProjection(
          deps,
          result.position,
          `${BASE}/entries/${params.entry_id}`,
          () => entryResponse(params.entry_id, 200),
          { id: params.entry_id, dictionary_version: result.revision },
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${BASE}/entries/:entry_id`,
      operationId: 'deleteChatDictionaryEntry',
      summary: 'Remove an entry (an event: the dictionary history keeps it)',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: entryParams,
      query: expectedVersionQuery,
      responses: {
        200: {
          description: 'deleted',
          schema: z.object({ id: z.uuid(), dictionary_id: z.uuid(), dictionary_version: z.number().int(), deleted: z.literal(true) }),
        },
      },
      handler: async ({ params, query, actor }) => {
        const dictionaryId = await dictionaryOfEntry(params.entry_id, actor);
        const result = await deleteDictionaryEntry(commands, actor, dictionaryId, params.entry_id, query.expected_version);
        const body = { id: params.entry_id, dictionary_id: dictionaryId, dictionary_version: result.revision, deleted: true };
        return respondAfterProjection(deps, result.position, location(dictionaryId), async () => ({ status: 200, body }), body);
      },
    }),
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
    defineRoute({
      method: 'delete',
      path: `${BASE}/:id`,
      operationId: 'deleteChatDictionary',
      summary: 'Soft-delete a dictionary (restorable)',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: dictionaryParams,
      query: expectedVersionQuery,
      responses: {
        200: { description: 'deleted', schema: z.object({ id: z.uuid(), version: z.number().int(), deleted: z.literal(true) }) },
        409: { description: 'version conflict', schema: problemSchema },
      },
      handler: async ({ params, query, actor }) => {
        const result = await deleteDictionary(commands, actor, params.id, query.expected_version);
        const body = { id: params.id, version: result.revision, deleted: true };
        return respondAfterProjection(deps, result.position, location(params.id), async () => ({ status: 200, body }), body);
      },
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/:id/restore`,
      operationId: 'restoreChatDictionary',
      summary: 'Restore a soft-deleted dictionary',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: dictionaryParams,
      responses: {
        200: { description: 'restored', schema: dictionaryViewSchema },
        409: { description: 'not deleted', schema: problemSchema },
      },
      handler: async ({ params, actor }) => {
        const result = await restoreDictionary(commands, actor, params.id);
        return respondAfterProjection(deps, result.position, location(params.id), () => dictionaryResponse(params.id, 200), {
          id: params.id,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: `${BASE}/:id/entries`,
      operationId: 'createChatDictionaryEntry',
      summary: 'Add an entry (last in processing order unless a priority is given)',
      tags: ['chat-dictionaries'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      params: dictionaryParams,
      query: expectedVersionQuery,
      body: createEntryBody,
      responses: {
        201: { description: 'created', schema: entryViewSchema },
        400: { description: 'a pattern that does not compile (`invalid_regex`)', schema: problemSchema },
      },
      handler: async ({ params, query, body, actor }) => {
        const entry = entryFromBody(body);
        assertStorable(entry, 'entry');
        const { entryId, result } = await addDictionaryEntry(commands, actor, params.id, entry, query.expected_version);
        const where = `${BASE}/entries/${entryId}`;
        return respondAfterProjection(
          deps,
          result.position,
          where,
          async () => {
            const r = await entryResponse(entryId, 201);
            return { ...r, headers: { ...r.headers, Location: where } };
          },
          { id: entryId, dictionary_version: result.revision },
        );
      },
    }),
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
