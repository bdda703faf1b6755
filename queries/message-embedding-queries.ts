import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

export interface MessageToEmbed {
  id: string;
  content: string;
  content_sha256: string;
}

/** SHA-256 (hex) of a message's content, in SQL, as `contentSha256` of `MessagesEmbedded` names it. */
const contentSha = sql<string>`encode(sha256(convert_to(m.content, 'UTF8')), 'hex')`;

/**
 * Messages of the chat's active path (live, with text) that have no vector of `model` for their current text
 * (never embedded, or edited since), oldest first, at most `limit`; `ids` restricts them to those messages.
 */
export async function messagesToEmbed(
  db: Kysely<ReadModels>,
  schema: string,
  chatId: string,
  model: string,
  limit: number,
  ids?: readonly string[],
): Promise<MessageToEmbed[]> {
  let query = db
    .withSchema(schema)
    .selectFrom('chat_messages as m')
    .leftJoin('message_embeddings as e', (j) => j.onRef('e.message_id', '=', 'm.id').on('e.model', '=', model))
    .select(['m.id', 'm.content'])
    .select(contentSha.as('content_sha256'))
    .where('m.chat_id', '=', chatId)
    .where('m.on_path', '=', true)
    .where('m.deleted_at', 'is', null)
    .where('m.content', '<>', '')
    .where((eb) => eb.or([eb('e.message_id', 'is', null), eb('e.content_sha256', '<>', contentSha)]));
  if (ids) query = query.where('m.id', 'in', ids.length ? [...ids] : ['00000000-0000-0000-0000-000000000000']);
  return query.orderBy('m.depth').orderBy('m.seq').limit(limit).execute();
}

export interface StoredVector {
  message_id: string;
  vector: Buffer;
}

/** Every vector of `model` stored for the chat's messages (the in-process index loads them). */
export async function chatVectors(db: Kysely<ReadModels>, schema: string, chatId: string, model: string): Promise<StoredVector[]> {
  return db
    .withSchema(schema)
    .selectFrom('message_embeddings')
    .select(['message_id', 'vector'])
    .where('chat_id', '=', chatId)
    .where('model', '=', model)
    .execute();
}

/** Changes whenever the chat's vectors of `model` change: the in-process index's cache key. */
export async function vectorsStamp(db: Kysely<ReadModels>, schema: string, chatId: string, model: string): Promise<string> {
  const row = await db
    .withSchema(schema)
    .selectFrom('message_embeddings')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('revision').as('r')])
    .where('chat_id', '=', chatId)
    .where('model', '=', model)
    .executeTakeFirstOrThrow();
  return `${row.n}:${row.r ?? 0}`;
}

/**
 * The messages whose vector of `model` may be ranked: on the chat's active path, not deleted, and embedded from
 * their current text (an edited message's old vector is never used; the next embedding job replaces it).
 */
export async function rankableVectorIds(db: Kysely<ReadModels>, schema: string, chatId: string, model: string): Promise<string[]> {
  const rows = await db
    .withSchema(schema)
    .selectFrom('chat_messages as m')
    .innerJoin('message_embeddings as e', (j) => j.onRef('e.message_id', '=', 'm.id').on('e.model', '=', model))
    .select('m.id')
    .where('m.chat_id', '=', chatId)
    .where('m.on_path', '=', true)
    .where('m.deleted_at', 'is', null)
    .where('e.content_sha256', '=', contentSha)
    .execute();
  return rows.map((r) => r.id);
}
