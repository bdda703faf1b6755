import { z } from 'zod';
import { defineEvent } from './event-schemas.ts';

/** The stream of a user's completion outcomes that leave no other trace (failures): `user-completions-<userId>`. */
export function userCompletionsStream(userId: string): string {
  return `user-completions-${userId}`;
}

/**
 * A completion failed for good (after its last attempt, or at once for a non-retryable error; a retried attempt
 * is not recorded). A successful completion needs no event of its own: a saved reply is a `MessagePosted` with
 * provider, model, usage and latency in its metadata.
 */
export const CompletionFailed = defineEvent({
  type: 'CompletionFailed',
  schemaVersion: 1,
  resourceType: 'user-completions',
  schema: z.object({
    completionId: z.string(),
    userId: z.string(),
    /** null: a plain proxy completion (no character). */
    characterId: z.uuid().nullable(),
    chatId: z.uuid().nullable(),
    mode: z.string().nullable(),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    /** The problem the client got: its HTTP status and stable code (`cancelled` when the caller aborted). */
    status: z.number().int(),
    code: z.string(),
    latencyMs: z.number().int().nonnegative(),
  }),
});

export type CompletionFailedData = z.infer<typeof CompletionFailed.schema>;
