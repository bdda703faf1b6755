/** The worker's side of the embedding index: vectors of a chat's due messages from the provider, recorded as an event. */
import type { Kysely } from 'kysely';
import { handleCommand } from '../../commands/command-handler.ts';
import { chatEmbeddingsDecider, chatEmbeddingsStream } from '../../commands/memory/embedding-decider.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import { nonRetryable, type JobHandler } from '../../infra/queue/queue.ts';
import type { ProgressWaiter } from '../../projections/progress-waiter.ts';
import { messagesToEmbed } from '../../queries/message-embedding-queries.ts';
import { MAX_VECTORS_PER_EVENT } from '../../shared/events/memory-embedding-events.ts';
import { embedJobSchema } from '../../shared/memory/embedding-job.ts';
import { encodeVector } from '../../shared/memory/vector-codec.ts';
import type { EmbeddingSetup } from './embedding-setup.ts';

export interface EmbeddingWriterDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  eventStore: EventStore;
  waiter: ProgressWaiter;
  readYourWritesTimeoutMs: number;
  embeddings: EmbeddingSetup | null;
}

export function createEmbedJobHandler(deps: EmbeddingWriterDeps): JobHandler {
  return async (data: unknown, context) => {
    const parsed = embedJobSchema.safeParse(data);
    if (!parsed.success) throw nonRetryable(`invalid embedding job: ${parsed.error.message}`);
    if (!deps.embeddings) throw nonRetryable('no embedding model is configured (MEMORY_EMBEDDING_MODEL)');
    const job = parsed.data;
    const { client, model } = deps.embeddings;
    // Only what is still due: a message deleted, or embedded by another run, since the job was queued is left out.
    const due = await messagesToEmbed(deps.db, deps.readSchema, job.chatId, model, MAX_VECTORS_PER_EVENT, job.messageIds);
    if (due.length === 0) return { embedded: 0 };
    const vectors = await client.embed(
      model,
      due.map((m) => m.content),
      context.signal,
    );
    const actor = {
      userId: job.userId,
      isAdmin: false,
      requestId: job.requestId,
      correlationId: job.correlationId,
      causationId: context.jobId,
    };
    const data_ = {
      chatId: job.chatId,
      ownerId: job.userId,
      model,
      dimensions: vectors[0]!.length,
      vectors: due.map((m, i) => ({
        messageId: m.id,
        contentSha256: m.content_sha256,
        vector: encodeVector(vectors[i]!).toString('base64'),
      })),
    };
    const result = await handleCommand(
      deps.eventStore,
      chatEmbeddingsStream(job.chatId),
      chatEmbeddingsDecider,
      { type: 'RecordEmbeddings', data: data_ },
      actor,
      { dataSubject: job.userId },
    );
    if (result.position) await deps.waiter.waitFor(result.position, deps.readYourWritesTimeoutMs);
    return { embedded: due.length };
  };
}
