import { z } from 'zod';
import { defineEvent } from './event-schemas.ts';

/** At most this many vectors per event, so an event stays far below the store's largest append. */
export const MAX_VECTORS_PER_EVENT = 32;

/**
 * Vectors of a chat's messages from the configured embedding model (stream `chatembeddings-<chatId>`), kept as
 * events so the embedding index is rebuilt by replay without calling the provider. Each vector is little-endian
 * float32, base64; `contentSha256` names the text it was made from (an edited message is embedded again).
 */
export const MessagesEmbedded = defineEvent({
  type: 'MessagesEmbedded',
  schemaVersion: 1,
  resourceType: 'chat-embeddings',
  schema: z.object({
    chatId: z.uuid(),
    ownerId: z.string(),
    model: z.string().min(1).max(200),
    dimensions: z.number().int().min(1).max(16_384),
    vectors: z
      .array(z.object({ messageId: z.uuid(), contentSha256: z.string().regex(/^[0-9a-f]{64}$/), vector: z.base64() }))
      .min(1)
      .max(MAX_VECTORS_PER_EVENT),
  }),
});

export type MemoryEmbeddingEvent = { type: 'MessagesEmbedded'; data: z.infer<typeof MessagesEmbedded.schema> };
