import { z } from 'zod';
import { defineEvent } from './event-schemas.ts';

/**
 * Summaries of a chat's messages (stream `chatsummary-<id>`). A summary is never rewritten in place: an edit or a
 * regeneration is a new version (`ChatSummaryRevised`), and the earlier text stays in the stream's history.
 */
const summaryId = z.uuid();
export const MAX_SUMMARY_TEXT = 20_000;
export const MAX_SUMMARY_SOURCES = 500;

/** Who wrote a version: the provider on its own (a span left the window), on request, on regeneration, or the user. */
export const summaryOriginSchema = z.enum(['auto', 'request', 'regenerate', 'edit']);
export type SummaryOrigin = z.infer<typeof summaryOriginSchema>;

export const ChatSummaryWritten = defineEvent({
  type: 'ChatSummaryWritten',
  schemaVersion: 1,
  resourceType: 'chat-summary',
  schema: z.object({
    summaryId,
    chatId: z.uuid(),
    ownerId: z.string(),
    /** The messages it summarises, oldest first (all on the chat's active path when it was written). */
    sourceMessageIds: z.array(z.uuid()).min(1).max(MAX_SUMMARY_SOURCES),
    text: z.string().max(MAX_SUMMARY_TEXT),
    origin: summaryOriginSchema,
    /** The provider and model that wrote it. */
    model: z.string().nullable(),
  }),
});

export const ChatSummaryRevised = defineEvent({
  type: 'ChatSummaryRevised',
  schemaVersion: 1,
  resourceType: 'chat-summary',
  schema: z.object({
    summaryId,
    text: z.string().max(MAX_SUMMARY_TEXT).optional(),
    pinned: z.boolean().optional(),
    origin: summaryOriginSchema,
    model: z.string().nullable().optional(),
  }),
});

export const ChatSummaryDeleted = defineEvent({
  type: 'ChatSummaryDeleted',
  schemaVersion: 1,
  resourceType: 'chat-summary',
  schema: z.object({ summaryId, deletedAt: z.iso.datetime() }),
});

type Payload<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type ChatSummaryEvent =
  | { type: 'ChatSummaryWritten'; data: Payload<typeof ChatSummaryWritten> }
  | { type: 'ChatSummaryRevised'; data: Payload<typeof ChatSummaryRevised> }
  | { type: 'ChatSummaryDeleted'; data: Payload<typeof ChatSummaryDeleted> };
