import type { Actor } from '../../shared/access/actor.ts';
import { queueDueEmbeddings, type EmbeddingRequestDeps } from './embedding-requests.ts';
import { queueDueSummary, type SummaryRequestDeps } from './summary-requests.ts';

export type MemoryTrigger = (actor: Actor, chatId: string) => void;

/**
 * Long-term memory's work after a chat grew, run beside the answer: a summary when a span is due, vectors for new
 * messages when an embedding model is set. A post or a reply never waits for it, and a failure (the queue away) is
 * logged, not the request's; the next post checks again, so nothing is lost but time.
 */
export function createMemoryTrigger(
  summaries: SummaryRequestDeps,
  embeddings: EmbeddingRequestDeps,
  logger: { warn(obj: object, msg?: string): void },
): MemoryTrigger {
  return (actor, chatId) => {
    queueDueSummary(summaries, actor, chatId).catch((err: unknown) => logger.warn({ err, chatId }, 'summary check failed'));
    queueDueEmbeddings(embeddings, actor, chatId).catch((err: unknown) => logger.warn({ err, chatId }, 'embedding check failed'));
  };
}
