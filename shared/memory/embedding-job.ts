/** The embedding job (trigger -> queue -> worker): ids only, the vectors go into an event under the owner's key. */
import { z } from 'zod';
import { MAX_VECTORS_PER_EVENT } from '../events/memory-embedding-events.ts';

export const EMBED_JOB = 'memory.embed';
export const EMBED_JOB_ATTEMPTS = 3;

export const embedJobSchema = z.object({
  chatId: z.uuid(),
  userId: z.string(),
  messageIds: z.array(z.uuid()).min(1).max(MAX_VECTORS_PER_EVENT),
  requestId: z.string(),
  correlationId: z.string(),
});
export type EmbedJob = z.infer<typeof embedJobSchema>;
