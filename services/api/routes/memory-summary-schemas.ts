import { z } from 'zod';
import { MAX_SUMMARY_TEXT } from '../../../shared/events/chat-summary-events.ts';

export const summariesParams = z.object({ chat_id: z.uuid({ message: 'must be a UUID' }) });
export const summaryParams = summariesParams.extend({ summary_id: z.uuid({ message: 'must be a UUID' }) });

export const listSummariesQuery = z
  .object({
    /** Also the summaries whose sources are not all on the active path (another branch or alternate, a deleted message). */
    include_off_branch: z.enum(['true', 'false']).optional(),
  })
  .strict();

export const requestSummaryBody = z
  .object({ from_message_id: z.uuid(), to_message_id: z.uuid() })
  .strict()
  .describe('the first and last message of the span (inclusive), both on the active path');

export const updateSummaryBody = z
  .object({
    text: z.string().trim().min(1).max(MAX_SUMMARY_TEXT).optional(),
    pinned: z.boolean().optional(),
    expected_version: z.number().int().min(1),
  })
  .strict()
  .refine((b) => b.text !== undefined || b.pinned !== undefined, { message: 'give text, pinned or both' });

export const deleteSummaryQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();

export const summaryViewSchema = z.object({
  summary_id: z.string(),
  chat_id: z.string(),
  text: z.string(),
  source_message_ids: z.array(z.string()),
  pinned: z.boolean(),
  version: z.number().int(),
  origin: z.enum(['auto', 'request', 'regenerate', 'edit']),
  model: z.string().nullable(),
  on_active_branch: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const summaryWithHistorySchema = summaryViewSchema.extend({
  versions: z.array(
    z.object({
      version: z.number().int(),
      text: z.string(),
      pinned: z.boolean(),
      origin: z.string(),
      model: z.string().nullable(),
      created_at: z.string(),
    }),
  ),
});

export const summaryListSchema = z.object({ summaries: z.array(summaryViewSchema) });

export const summaryQueuedSchema = z.object({
  summary_id: z.string(),
  status: z.literal('queued'),
  job_id: z.string(),
  location: z.string(),
});
