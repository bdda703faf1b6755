/**
 * The summary job (API or trigger -> queue -> worker). It carries ids only: the worker reads the messages from the
 * read model and the text it writes goes into an event under the owner's key, so the queue's record holds no
 * personal text (unlike a completion's, which is sealed).
 */
import { z } from 'zod';
import { MAX_SUMMARY_SOURCES } from '../events/chat-summary-events.ts';

export const SUMMARY_JOB = 'memory.summary';
/** A provider failure is retried; the write is idempotent (a summary's stream is created once). */
export const SUMMARY_JOB_ATTEMPTS = 3;

export const summaryJobSchema = z.object({
  /** `write`: a new summary of `sourceMessageIds`; `regenerate`: a new version of an existing one from its sources. */
  kind: z.enum(['write', 'regenerate']),
  summaryId: z.uuid(),
  chatId: z.uuid(),
  userId: z.string(),
  sourceMessageIds: z.array(z.uuid()).min(1).max(MAX_SUMMARY_SOURCES),
  origin: z.enum(['auto', 'request', 'regenerate']),
  requestId: z.string(),
  correlationId: z.string(),
});
export type SummaryJob = z.infer<typeof summaryJobSchema>;

export interface SummaryJobResult {
  summaryId: string;
  /** The summary's version after the job; null when it wrote nothing (its sources are gone). */
  version: number | null;
  skipped?: 'sources_gone' | 'summary_gone' | 'already_summarised';
}
