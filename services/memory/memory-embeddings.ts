/**
 * Long-term memory's embedding index for a process: none without MEMORY_EMBEDDING_MODEL; pgvector when the read
 * model's PostgreSQL can install it (an external server) unless MEMORY_VECTOR_INDEX says `in-process`; the
 * in-process exact-cosine index otherwise. The choice is logged at start and shown by /ready (`memory_embeddings`).
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../infra/config.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createEmbeddingIndex, type EmbeddingIndex } from './embedding-index.ts';
import { embeddingSetup } from './embedding-setup.ts';
import { createPgvectorIndex, pgvectorAvailable } from './pgvector-index.ts';

export async function openMemoryEmbeddings(
  config: Pick<Config, 'llm' | 'MEMORY_EMBEDDING_MODEL' | 'MEMORY_EMBEDDING_PROVIDER' | 'MEMORY_VECTOR_INDEX' | 'READ_SCHEMA'>,
  db: Kysely<ReadModels>,
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void },
): Promise<EmbeddingIndex | null> {
  const embeddings = embeddingSetup(config);
  if (!embeddings) {
    logger.info({ memory_embeddings: 'off' }, 'memory embeddings off (MEMORY_EMBEDDING_MODEL not set): lexical memory search only');
    return null;
  }
  const deps = { db, readSchema: config.READ_SCHEMA, embeddings };
  if (config.MEMORY_VECTOR_INDEX !== 'in-process' && (await pgvectorAvailable(db))) {
    try {
      const index = await createPgvectorIndex(deps);
      logger.info({ memory_embeddings: 'pgvector', model: embeddings.model }, 'memory embeddings ranked by pgvector in PostgreSQL');
      return index;
    } catch (err) {
      // Available but not installable here (no privilege to CREATE EXTENSION): the in-process index still works.
      if (config.MEMORY_VECTOR_INDEX === 'pgvector') throw err;
      logger.warn({ err }, 'pgvector is available but could not be set up; memory embeddings ranked in process');
    }
  } else if (config.MEMORY_VECTOR_INDEX === 'pgvector') {
    throw new Error('MEMORY_VECTOR_INDEX=pgvector but the PostgreSQL server has no pgvector extension (pg_available_extensions)');
  }
  logger.info({ memory_embeddings: 'in-process', model: embeddings.model }, 'memory embeddings ranked in process (exact cosine)');
  return createEmbeddingIndex(deps);
}
