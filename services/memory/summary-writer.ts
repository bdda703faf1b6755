/**
 * The worker's side of summaries: reads a span's messages, asks the configured provider for a summary, and
 * appends it (a new summary, or a new version of one being regenerated) for the chat's owner.
 */
import type { Kysely } from 'kysely';
import { loadState } from '../../commands/command-handler.ts';
import { chatSummaryDecider, chatSummaryStream } from '../../commands/memory/summary-decider.ts';
import { reviseSummary, writeSummary, type SummaryCommandDeps } from '../../commands/memory/summary-workflows.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { ConcurrencyError } from '../../infra/eventstore/event-store.ts';
import { collectCompletion } from '../../infra/llm/collect-completion.ts';
import { isProviderError, type ProviderRegistry } from '../../infra/llm/index.ts';
import { nonRetryable, type JobContext, type JobHandler } from '../../infra/queue/queue.ts';
import type { ProgressWaiter } from '../../projections/progress-waiter.ts';
import { messagesByIds } from '../../queries/active-path-messages.ts';
import { summariesOnBranch } from '../../queries/chat-summaries-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { MAX_SUMMARY_TEXT } from '../../shared/events/chat-summary-events.ts';
import { summaryJobSchema, type SummaryJob, type SummaryJobResult } from '../../shared/memory/summary-job.ts';
import { summaryPromptMessages } from '../../shared/memory/summary-prompt.ts';

export interface SummaryWriterDeps extends SummaryCommandDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  providers: ProviderRegistry;
  waiter: ProgressWaiter;
  readYourWritesTimeoutMs: number;
  /** MEMORY_SUMMARY_PROVIDER / MEMORY_SUMMARY_MODEL (unset: the default provider's default model). */
  provider?: string | undefined;
  model?: string | undefined;
}

/** Summaries are short: the reply limit keeps a runaway model from writing pages. */
const SUMMARY_MAX_TOKENS = 512;

const ownerActor = (job: SummaryJob, jobId: string): Actor => ({
  userId: job.userId,
  isAdmin: false,
  requestId: job.requestId,
  correlationId: job.correlationId,
  causationId: jobId,
});

async function summarise(deps: SummaryWriterDeps, job: SummaryJob, signal: AbortSignal): Promise<{ text: string; model: string } | null> {
  const lines = await messagesByIds(deps.db, deps.readSchema, job.chatId, job.sourceMessageIds);
  // A source deleted (or forgotten) since the job was queued: the span no longer exists as asked.
  if (lines.length !== job.sourceMessageIds.length) return null;
  const resolved = deps.providers.resolve({ provider: deps.provider, model: deps.model });
  const completion = await collectCompletion(
    resolved.provider.complete(
      { model: resolved.model, messages: summaryPromptMessages(lines), max_tokens: SUMMARY_MAX_TOKENS, temperature: 0.2 },
      { signal },
    ),
  );
  const text = (completion.choices[0]?.message.content ?? '').trim().slice(0, MAX_SUMMARY_TEXT);
  if (text === '') throw new Error('the provider wrote an empty summary');
  return { text, model: `${resolved.providerName}/${completion.model || resolved.model}` };
}

/** A summary (even a deleted one) of this automatic span, or of messages within it, exists: a second job for it writes nothing. */
async function alreadyCovered(deps: SummaryWriterDeps, job: SummaryJob): Promise<boolean> {
  const existing = await summariesOnBranch(deps.db, deps.readSchema, job.chatId, job.sourceMessageIds, { includeDeleted: true });
  return existing.length > 0;
}

async function run(deps: SummaryWriterDeps, job: SummaryJob, context: JobContext): Promise<SummaryJobResult> {
  const actor = ownerActor(job, context.jobId);
  const stream = chatSummaryStream(job.summaryId);
  const existing = await loadState(deps.eventStore, stream, chatSummaryDecider);
  if (job.kind === 'write' && existing.state.exists) return { summaryId: job.summaryId, version: existing.revision };
  if (job.kind === 'regenerate' && (!existing.state.exists || existing.state.deleted))
    return { summaryId: job.summaryId, version: null, skipped: 'summary_gone' };

  if (job.origin === 'auto' && (await alreadyCovered(deps, job)))
    return { summaryId: job.summaryId, version: null, skipped: 'already_summarised' };
  const written = await summarise(deps, job, context.signal);
  if (!written) return { summaryId: job.summaryId, version: null, skipped: 'sources_gone' };
  let result;
  if (job.kind === 'write') {
    const summary = { summaryId: job.summaryId, chatId: job.chatId, ownerId: job.userId, sourceMessageIds: job.sourceMessageIds };
    try {
      result = await writeSummary(deps, actor, { ...summary, text: written.text, origin: job.origin, model: written.model });
    } catch (err) {
      // Another run of this job wrote it first.
      if (!(err instanceof ConcurrencyError)) throw err;
      const again = await loadState(deps.eventStore, stream, chatSummaryDecider);
      return { summaryId: job.summaryId, version: again.revision };
    }
  } else {
    result = await reviseSummary(deps, actor, job.summaryId, { text: written.text, origin: 'regenerate', model: written.model });
  }
  if (result.position) await deps.waiter.waitFor(result.position, deps.readYourWritesTimeoutMs);
  return { summaryId: job.summaryId, version: result.revision };
}

export function createSummaryJobHandler(deps: SummaryWriterDeps): JobHandler {
  return async (data: unknown, context) => {
    const parsed = summaryJobSchema.safeParse(data);
    if (!parsed.success) throw nonRetryable(`invalid summary job: ${parsed.error.message}`);
    try {
      return await run(deps, parsed.data, context);
    } catch (err) {
      // A request the provider refuses (unknown model, bad key) fails the same way on every attempt.
      if (isProviderError(err) && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429)
        throw nonRetryable(err.message, { cause: err });
      throw err;
    }
  };
}
