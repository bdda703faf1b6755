import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { JobQueue } from '../../infra/queue/queue.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import { messagesToEmbed } from '../../queries/message-embedding-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { MAX_VECTORS_PER_EVENT } from '../../shared/events/memory-embedding-events.ts';
import { EMBED_JOB, EMBED_JOB_ATTEMPTS, type EmbedJob } from '../../shared/memory/embedding-job.ts';

export interface EmbeddingRequestDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  queue: Pick<JobQueue, 'add'>;
  /** MEMORY_EMBEDDING_MODEL; null: no embeddings. */
  model: string | null;
}

/**
 * After a chat grew or changed: queues the job that embeds the active path's messages without a vector of the
 * model for their current text (at most one event's worth; the next post queues the rest). The job id names those
 * messages and texts, so the same work is queued once. Returns the job id, or null when nothing is due.
 */
export async function queueDueEmbeddings(deps: EmbeddingRequestDeps, actor: Actor, chatId: string): Promise<string | null> {
  if (!deps.model) return null;
  const chat = await createChatQueries(deps.db, deps.readSchema).get(chatId);
  if (!chat || chat.deleted_at) return null;
  const due = await messagesToEmbed(deps.db, deps.readSchema, chatId, deps.model, MAX_VECTORS_PER_EVENT);
  if (due.length === 0) return null;
  const digest = createHash('sha256')
    .update(due.map((m) => `${m.id}:${m.content_sha256}`).join(','))
    .digest('hex')
    .slice(0, 32);
  const job: EmbedJob = {
    chatId,
    userId: chat.owner_id,
    messageIds: due.map((m) => m.id),
    requestId: actor.requestId,
    correlationId: actor.correlationId,
  };
  const jobId = `embed-${chatId}-${digest}`;
  await deps.queue.add(EMBED_JOB, job, { jobId, attempts: EMBED_JOB_ATTEMPTS });
  return jobId;
}
