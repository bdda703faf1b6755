/**
 * Memory search as the routes and recall use it: the lexical ranking (queries/memory-search.ts) alone, or, when an
 * embedding model is configured, fused with the embedding neighbours of the same query by reciprocal rank fusion
 * (shared/memory/memory-fusion.ts). Both sides see only the chat's active branch, deleted turns never, and edited
 * turns by their current text; the window's turns are excluded from both.
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createMemorySearch, type MemorySearchOptions } from '../../queries/memory-search.ts';
import { fuseRankings } from '../../shared/memory/memory-fusion.ts';
import type { MemoryHit } from '../../shared/memory/memory-ranking.ts';
import type { EmbeddingIndex } from './embedding-index.ts';

/** How deep each side ranks before fusing: RRF needs more than the final `limit` of each list to agree on. */
const FUSION_DEPTH = 50;
/** A neighbour counts when its similarity stands this many standard deviations above its list's mean (memory-fusion.ts). */
export const STANDOUT = 2;

export interface FusedMemorySearchDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  /** The configured embedding index, or null (no MEMORY_EMBEDDING_MODEL): then the search is lexical only. */
  embeddings?: EmbeddingIndex | null;
  logger?: { warn(obj: object, msg?: string): void };
}

export function createFusedMemorySearch(deps: FusedMemorySearchDeps) {
  const lexical = createMemorySearch(deps.db, deps.readSchema);
  const embeddings = deps.embeddings ?? null;
  return {
    async search(chatId: string, text: string, options: MemorySearchOptions): Promise<MemoryHit[]> {
      if (!embeddings) return lexical.search(chatId, text, options);
      const depth = Math.max(options.limit * 2, FUSION_DEPTH);
      const exclude = options.exclude;
      const [words, near] = await Promise.all([
        lexical.search(chatId, text, { limit: depth, ...(exclude ? { exclude } : {}) }),
        embeddings.embeddingNeighbours(chatId, text, depth + (exclude?.size ?? 0)).catch((err: unknown) => {
          // The optional side failing (the provider away) leaves the lexical ranking, never a failed search.
          deps.logger?.warn({ err, chatId }, 'memory embedding search failed; lexical ranking only');
          return [];
        }),
      ]);
      const neighbours = exclude ? near.filter((n) => !exclude.has(n.message_id)) : near;
      return fuseRankings(words, neighbours, options.limit, { standout: STANDOUT });
    },

    turns: lexical.turns,
  };
}

export type FusedMemorySearch = ReturnType<typeof createFusedMemorySearch>;
