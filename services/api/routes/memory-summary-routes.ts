import { deleteSummary, reviseSummary } from '../../../commands/memory/summary-workflows.ts';
import { createChatSummaryQueries } from '../../../queries/chat-summaries-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { notFound } from '../../../shared/errors.ts';
import { summaryRequestDeps } from '../../memory/summary-deps.ts';
import { regenerateSummary, requestSummary, type SummaryOutcome } from '../../memory/summary-requests.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition, type RouteResult } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import {
  deleteSummaryQuery,
  listSummariesQuery,
  requestSummaryBody,
  summariesParams,
  summaryListSchema,
  summaryParams,
  summaryQueuedSchema,
  summaryViewSchema,
  summaryWithHistorySchema,
  updateSummaryBody,
} from './memory-summary-schemas.ts';

const BASE = '/api/v1/character_chats/:chat_id/memory/summaries';
const location = (chatId: string, summaryId: string) => `/api/v1/character_chats/${chatId}/memory/summaries/${summaryId}`;
const errors = {
  403: { description: "another user's chat or summary", schema: problemSchema },
  404: { description: 'no such chat or summary', schema: problemSchema },
};
const written = {
  202: { description: 'queued; the provider has not finished yet (GET the location later)', schema: summaryQueuedSchema },
  400: { description: 'not a span of the active path, or too long', schema: problemSchema },
  502: { description: 'the provider failed', schema: problemSchema },
  503: { description: 'no LLM provider is configured', schema: problemSchema },
};

/** Long-term memory summaries of a chat: read, request over a range, edit, pin, delete, regenerate. */
export function memorySummaryRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const summaries = createChatSummaryQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const requests = summaryRequestDeps(
    { db: deps.db, readSchema: deps.readSchema, ...commands, queue: deps.completions.queue, providers: deps.completions.providers },
    deps.config,
  );
  const ownChat = async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
    const chat = await chats.get(params.chat_id);
    if (!chat || chat.deleted_at) throw notFound('chat', params.chat_id);
    assertOwned(actor, chat, 'this chat belongs to another user');
  };
  const ownSummary = async (ctx: { params: { chat_id: string; summary_id: string }; actor: Actor }) => {
    await ownChat(ctx);
    const row = await summaries.byId(ctx.params.summary_id);
    if (!row || row.deleted || row.chat_id !== ctx.params.chat_id) throw notFound('summary', ctx.params.summary_id);
    assertOwned(ctx.actor, row, 'this summary belongs to another user');
  };
  const current = async (chatId: string, summaryId: string, status = 200): Promise<RouteResult> => {
    const row = (await summaries.byId(summaryId))!;
    const { owner_id: _owner, deleted: _deleted, ...view } = row;
    return { status, body: { ...view, versions: await summaries.versions(summaryId) }, headers: { ETag: `W/"${row.version}"` } };
  };
  const outcome = (chatId: string, result: SummaryOutcome, status: number): Promise<RouteResult> | RouteResult => {
    const where = location(chatId, result.summaryId);
    if (result.status === 'queued')
      return {
        status: 202,
        body: { summary_id: result.summaryId, status: 'queued', job_id: result.jobId, location: where },
        headers: { Location: where },
      };
    return current(chatId, result.summaryId, status);
  };
  const common = { tags: ['memory'], auth: 'user' as const };

  return [
    defineRoute({
      ...common,
      method: 'get',
      path: BASE,
      operationId: 'listChatSummaries',
      summary: "The chat's summaries, oldest first: those whose sources are all on the active path, or all with include_off_branch",
      params: summariesParams,
      query: listSummariesQuery,
      authorize: ownChat,
      responses: { 200: { description: 'summaries', schema: summaryListSchema }, ...errors },
      handler: async ({ params, query }) => ({
        status: 200,
        body: { summaries: await summaries.list(params.chat_id, { includeOffBranch: query.include_off_branch === 'true' }) },
      }),
    }),
    defineRoute({
      ...common,
      method: 'post',
      path: BASE,
      operationId: 'requestChatSummary',
      summary: 'Have the configured provider summarise a span of the active path (from_message_id to to_message_id)',
      rateLimit: 'message_send',
      params: summariesParams,
      body: requestSummaryBody,
      authorize: ownChat,
      responses: { 201: { description: 'written', schema: summaryWithHistorySchema }, ...written, ...errors },
      handler: async ({ params, body, actor }) =>
        outcome(params.chat_id, await requestSummary(requests, actor, params.chat_id, body.from_message_id, body.to_message_id), 201),
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: `${BASE}/:summary_id`,
      operationId: 'getChatSummary',
      summary: 'A summary with every version it had (edits and regenerations supersede, never overwrite)',
      params: summaryParams,
      authorize: ownSummary,
      responses: { 200: { description: 'the summary', schema: summaryWithHistorySchema }, ...errors },
      handler: async ({ params }) => current(params.chat_id, params.summary_id),
    }),
    defineRoute({
      ...common,
      method: 'patch',
      path: `${BASE}/:summary_id`,
      operationId: 'updateChatSummary',
      summary: 'Edit the text or pin it: a new version (the previous one stays in its versions)',
      rateLimit: 'message_edit',
      params: summaryParams,
      body: updateSummaryBody,
      authorize: ownSummary,
      responses: {
        200: { description: 'the new version', schema: summaryWithHistorySchema },
        202: { description: 'accepted; not yet readable' },
        400: { description: 'invalid', schema: problemSchema },
        409: { description: 'expected_version is not the current version', schema: problemSchema },
        ...errors,
      },
      handler: async ({ params, body, actor }) => {
        const { expected_version, ...change } = body;
        const result = await reviseSummary(commands, actor, params.summary_id, { ...change, origin: 'edit' }, expected_version);
        const where = location(params.chat_id, params.summary_id);
        return respondAfterProjection(deps, result.position, where, () => current(params.chat_id, params.summary_id), {
          summary_id: params.summary_id,
          version: result.revision,
        });
      },
    }),
    defineRoute({
      ...common,
      method: 'delete',
      path: `${BASE}/:summary_id`,
      operationId: 'deleteChatSummary',
      summary: 'Delete a summary (an event: its versions stay in the history; it is no longer listed or recalled)',
      rateLimit: 'message_delete',
      params: summaryParams,
      query: deleteSummaryQuery,
      responses: {
        200: { description: 'deleted' },
        409: { description: 'expected_version is not the current version', schema: problemSchema },
        ...errors,
      },
      // Checked in the handler, after the rate limit: a repeated delete spends a point like a message's.
      handler: async ({ params, query, actor }) => {
        await ownSummary({ params, actor });
        const result = await deleteSummary(commands, actor, params.summary_id, query.expected_version);
        const body = { summary_id: params.summary_id, deleted: true, version: result.revision };
        return respondAfterProjection(
          deps,
          result.position,
          location(params.chat_id, params.summary_id),
          async () => ({ status: 200, body }),
          body,
        );
      },
    }),
    defineRoute({
      ...common,
      method: 'post',
      path: `${BASE}/:summary_id/regenerate`,
      operationId: 'regenerateChatSummary',
      summary: 'Have the provider write the summary again from its sources: a new version',
      rateLimit: 'message_send',
      params: summaryParams,
      authorize: ownSummary,
      responses: { 200: { description: 'the new version', schema: summaryWithHistorySchema }, ...written, ...errors },
      handler: async ({ params, actor }) => outcome(params.chat_id, await regenerateSummary(requests, actor, params.summary_id), 200),
    }),
  ];
}
