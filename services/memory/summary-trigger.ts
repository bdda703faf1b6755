import type { Actor } from '../../shared/access/actor.ts';
import { queueDueSummary, type SummaryRequestDeps } from './summary-requests.ts';

export type SummaryTrigger = (actor: Actor, chatId: string) => void;

/**
 * Runs the summary check after a chat grew, beside the answer: a post or a reply never waits for it, and a failure
 * (the queue away) is logged, not the request's. The next post checks again, so nothing is lost but time.
 */
export function createSummaryTrigger(deps: SummaryRequestDeps, logger: { warn(obj: object, msg?: string): void }): SummaryTrigger {
  return (actor, chatId) => {
    queueDueSummary(deps, actor, chatId).catch((err: unknown) => {
      logger.warn({ err, chatId }, 'summary check failed');
    });
  };
}
