import type { Config } from '../../infra/config.ts';
import { createEmbeddingsClient, type EmbeddingsClient } from '../../infra/llm/embeddings-client.ts';

export interface EmbeddingSetup {
  client: EmbeddingsClient;
  model: string;
}

/**
 * The embedding model and client from MEMORY_EMBEDDING_MODEL / MEMORY_EMBEDDING_PROVIDER (else the default
 * provider); null when no model is named. A provider that is not OpenAI-compatible has no `/embeddings`: an error.
 */
export function embeddingSetup(
  config: Pick<Config, 'llm' | 'MEMORY_EMBEDDING_MODEL' | 'MEMORY_EMBEDDING_PROVIDER'>,
  fetchImpl?: typeof fetch,
): EmbeddingSetup | null {
  const model = config.MEMORY_EMBEDDING_MODEL;
  if (!model) return null;
  const name = config.MEMORY_EMBEDDING_PROVIDER ?? config.llm.defaultProvider;
  const settings = config.llm.providers.find((p) => p.name === name);
  if (!settings) throw new Error(`MEMORY_EMBEDDING_MODEL is set but provider ${String(name)} is not configured`);
  if (settings.type === 'anthropic') throw new Error(`MEMORY_EMBEDDING_PROVIDER ${settings.name} is Anthropic, which has no /embeddings`);
  return { client: createEmbeddingsClient(settings, fetchImpl), model };
}
