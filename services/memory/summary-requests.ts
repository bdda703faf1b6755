/**
 * The use cases that ask for summaries: a user's request over a message range, a regeneration, and the trigger
 * run after a chat grew (a span left the window). Each queues a summary job (the worker writes it); the API ones
 * wait a bounded time for it.
 */
import type { Kysely } from 'kysely';
import { accessibleSummary, type SummaryCommandDeps } from '../../commands/memory/summary-workflows.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { ProviderRegistry } from '../../infra/llm/index.ts';
import { notConfigured } from '../../infra/llm/provider-errors.ts';
import { JobFailedError, JobWaitTimeoutError, type JobQueue } from '../../infra/queue/queue.ts';
import { activePathMessageIds } from '../../queries/active-path-messages.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import { summariesOnBranch } from '../../queries/chat-summaries-queries.ts';
import { createUserDefaultsQueries } from '../../queries/user-defaults-queries.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { ChatSettings } from '../../shared/chats/chat-fields.ts';
import { AppError, badRequest, notFound } from '../../shared/errors.ts';
import { MAX_SUMMARY_SOURCES } from '../../shared/events/chat-summary-events.ts';
import { newId } from '../../shared/ids.ts';
import { SUMMARY_JOB, SUMMARY_JOB_ATTEMPTS, type SummaryJob, type SummaryJobResult } from '../../shared/memory/summary-job.ts';
import { chooseSummaries, dueSummarySpan, spanBetween, type SummaryPolicy } from '../../shared/memory/summary-policy.ts';

export interface SummaryRequestDeps extends SummaryCommandDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  queue: Pick<JobQueue, 'add' | 'waitUntilFinished'>;
  providers: Pick<ProviderRegistry, 'configured'>;
  policy: SummaryPolicy;
  /** How long an API request waits for its job before answering 202. */
  waitMs: number;
}

export type SummaryOutcome =
  { status: 'done'; summaryId: string; version: number | null } | { status: 'queued'; summaryId: string; jobId: string };

async function ownedChat(deps: SummaryRequestDeps, actor: Actor, chatId: string) {
  const chat = await createChatQueries(deps.db, deps.readSchema).get(chatId);
  if (!chat || chat.deleted_at) throw notFound('chat', chatId);
  assertOwned(actor, chat, 'this chat belongs to another user');
  return chat;
}

async function queueJob(deps: SummaryRequestDeps, job: SummaryJob, jobId: string) {
  return deps.queue.add(SUMMARY_JOB, job, { jobId, attempts: SUMMARY_JOB_ATTEMPTS });
}

async function waitForJob(deps: SummaryRequestDeps, summaryId: string, jobId: string): Promise<SummaryOutcome> {
  try {
    const result = await deps.queue.waitUntilFinished<SummaryJobResult>(jobId, deps.waitMs);
    if (result.skipped === 'sources_gone') throw badRequest('sources_gone', 'a message of the span was deleted before it was summarised');
    return { status: 'done', summaryId, version: result.version };
  } catch (err) {
    if (err instanceof JobWaitTimeoutError) return { status: 'queued', summaryId, jobId };
    if (err instanceof JobFailedError) throw new AppError(502, 'summary_failed', err.failedReason);
    throw err;
  }
}

const jobIdentity = (actor: Actor) => ({ requestId: actor.requestId, correlationId: actor.correlationId });

/** A summary of the active path's messages from `fromId` to `toId` (inclusive), written by the provider. */
export async function requestSummary(deps: SummaryRequestDeps, actor: Actor, chatId: string, fromId: string, toId: string) {
  const chat = await ownedChat(deps, actor, chatId);
  if (!deps.providers.configured) throw notConfigured();
  const span = spanBetween(await activePathMessageIds(deps.db, deps.readSchema, chatId), fromId, toId);
  if (!span) throw badRequest('not_on_active_path', 'both messages must be live messages on the chat’s active path');
  if (span.length > MAX_SUMMARY_SOURCES)
    throw badRequest('span_too_long', `a summary covers at most ${MAX_SUMMARY_SOURCES} messages; this range has ${span.length}`);
  const summaryId = newId();
  const job: SummaryJob = {
    kind: 'write',
    summaryId,
    chatId,
    userId: chat.owner_id,
    sourceMessageIds: span,
    origin: 'request',
    ...jobIdentity(actor),
  };
  const jobId = `summary-${summaryId}`;
  await queueJob(deps, job, jobId);
  return waitForJob(deps, summaryId, jobId);
}

/** A new version of a summary written again by the provider from the same sources. */
export async function regenerateSummary(deps: SummaryRequestDeps, actor: Actor, summaryId: string) {
  const { state, revision } = await accessibleSummary(deps, actor, summaryId);
  if (!deps.providers.configured) throw notConfigured();
  const job: SummaryJob = {
    kind: 'regenerate',
    summaryId,
    chatId: state.chatId!,
    userId: state.ownerId!,
    sourceMessageIds: state.sourceMessageIds,
    origin: 'regenerate',
    ...jobIdentity(actor),
  };
  // Each request its own job: a regeneration that failed for good (the provider down) can be asked for again.
  const jobId = `summary-regenerate-${summaryId}-${revision}-${newId()}`;
  await queueJob(deps, job, jobId);
  return waitForJob(deps, summaryId, jobId);
}

/**
 * After a chat grew: when its summaries are on (the chat's `memory_summaries`, else its owner's default) and a
 * span is due, queues the job that summarises it. The job id names the span's last message, so the same span is
 * queued once however many posts see it due (within the hour). Returns the job id, or null when nothing is due.
 */
export async function queueDueSummary(deps: SummaryRequestDeps, actor: Actor, chatId: string): Promise<string | null> {
  if (!deps.providers.configured) return null;
  const chat = await createChatQueries(deps.db, deps.readSchema).get(chatId);
  if (!chat || chat.deleted_at) return null;
  const defaults = await createUserDefaultsQueries(deps.db, deps.readSchema).get(chat.owner_id);
  if (!chooseSummaries(chat.settings as ChatSettings, defaults.defaults).enabled) return null;
  const path = await activePathMessageIds(deps.db, deps.readSchema, chatId);
  if (path.length <= deps.policy.windowMessages) return null;
  const done = await summariesOnBranch(deps.db, deps.readSchema, chatId, path, { includeDeleted: true });
  const summarised = new Set(done.flatMap((s) => s.source_message_ids));
  const span = dueSummarySpan(path, summarised, deps.policy);
  if (!span) return null;
  // Queued once per span and hour: a job that failed for good (the provider away) is tried again the next hour,
  // and the writer skips a span a summary already covers.
  const jobId = `summary-auto-${chatId}-${span.at(-1)}-${Math.floor(Date.now() / 3_600_000)}`;
  const job: SummaryJob = {
    kind: 'write',
    summaryId: newId(),
    chatId,
    userId: chat.owner_id,
    sourceMessageIds: span,
    origin: 'auto',
    ...jobIdentity(actor),
  };
  await queueJob(deps, job, jobId);
  return jobId;
}
