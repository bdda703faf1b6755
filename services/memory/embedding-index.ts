/**
 * The in-process embedding index: exact cosine over a chat's vectors held as one Float32Array (normalised rows),
 * loaded from the read model and kept while the chat's vectors do not change (`vectorsStamp`). Only messages on
 * the chat's active path, not deleted, with a vector of their current text are ranked (`rankableVectorIds`, read
 * per query: a branch switch, a delete or an edit holds at once).
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { chatVectors, rankableVectorIds, vectorsStamp } from '../../queries/message-embedding-queries.ts';
import { rankByCosine } from '../../shared/memory/cosine-rank.ts';
import { decodeVector, normalized } from '../../shared/memory/vector-codec.ts';
import type { EmbeddingSetup } from './embedding-setup.ts';

export interface EmbeddingNeighbour {
  message_id: string;
  /** Cosine similarity, -1..1. */
  score: number;
}

interface LoadedChat {
  stamp: string;
  ids: string[];
  dimensions: number;
  rows: Float32Array;
}

export interface EmbeddingIndex {
  /** Where the vectors are ranked, for logs and health: in this process, or by pgvector in PostgreSQL. */
  readonly backend: 'in-process' | 'pgvector';
  readonly model: string;
  /** The `k` messages of the chat's active path nearest to `queryText`, best first. */
  embeddingNeighbours(chatId: string, queryText: string, k: number): Promise<EmbeddingNeighbour[]>;
}

export function createEmbeddingIndex(deps: {
  db: Kysely<ReadModels>;
  readSchema: string;
  embeddings: EmbeddingSetup;
  /** Chats kept loaded (least recently used dropped first). */
  maxChats?: number;
}): EmbeddingIndex {
  const { model, client } = deps.embeddings;
  const maxChats = deps.maxChats ?? 16;
  const cache = new Map<string, LoadedChat>();

  async function load(chatId: string): Promise<LoadedChat> {
    const stamp = await vectorsStamp(deps.db, deps.readSchema, chatId, model);
    const cached = cache.get(chatId);
    if (cached && cached.stamp === stamp) {
      cache.delete(chatId);
      cache.set(chatId, cached);
      return cached;
    }
    const stored = await chatVectors(deps.db, deps.readSchema, chatId, model);
    const vectors = stored.map((s) => normalized(decodeVector(s.vector)));
    const dimensions = vectors[0]?.length ?? 0;
    const rows = new Float32Array(vectors.length * dimensions);
    vectors.forEach((v, i) => rows.set(v.length === dimensions ? v : new Float32Array(dimensions), i * dimensions));
    const loaded = { stamp, ids: stored.map((s) => s.message_id), dimensions, rows };
    cache.delete(chatId);
    cache.set(chatId, loaded);
    while (cache.size > maxChats) cache.delete(cache.keys().next().value!);
    return loaded;
  }

  return {
    backend: 'in-process',
    model,
    async embeddingNeighbours(chatId, queryText, k) {
      if (k <= 0 || queryText.trim() === '') return [];
      const [chat, rankable] = await Promise.all([load(chatId), rankableVectorIds(deps.db, deps.readSchema, chatId, model)]);
      if (chat.ids.length === 0 || rankable.length === 0) return [];
      const [raw] = await client.embed(model, [queryText]);
      const query = normalized(raw!);
      const active = new Set(rankable);
      return rankByCosine(chat.rows, chat.dimensions, chat.ids, query, k, (id) => active.has(id));
    },
  };
}
