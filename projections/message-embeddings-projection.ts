import { sql } from 'kysely';
import { defineProjection } from './projection.ts';

/**
 * Message vectors of long-term memory's embedding index, from `MessagesEmbedded` events (no provider call on a
 * rebuild). A newer vector of the same message and model replaces the older; a redelivered event changes nothing.
 * Every row carries `owner_id`: forgetting a user purges them.
 */
export const messageEmbeddingsProjection = defineProjection({
  name: 'message_embeddings',
  handles: ['MessagesEmbedded'],
  tables: ['message_embeddings'],
  async apply(db, event) {
    const d = event.data;
    await db
      .insertInto('message_embeddings')
      .values(
        d.vectors.map((v) => ({
          message_id: v.messageId,
          model: d.model,
          chat_id: d.chatId,
          owner_id: d.ownerId,
          content_sha256: v.contentSha256,
          dimensions: d.dimensions,
          vector: Buffer.from(v.vector, 'base64'),
          revision: event.revision,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['message_id', 'model'])
          .doUpdateSet({
            content_sha256: sql.ref('excluded.content_sha256'),
            dimensions: sql.ref('excluded.dimensions'),
            vector: sql.ref('excluded.vector'),
            revision: sql.ref('excluded.revision'),
          } as never)
          .where(sql.ref('message_embeddings.revision'), '<', sql.ref('excluded.revision')),
      )
      .execute();
  },
});
