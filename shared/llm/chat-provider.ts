/**
 * The provider port: a streaming chat completion in OpenAI's chunk format. Declared here, in the pure layer,
 * and implemented by the adapters in `infra/llm/`.
 */
import type { ChatRequest, ProviderChunk } from './chat-types.ts';

export type ProviderType = 'openai' | 'anthropic' | 'openai-compatible';

export interface ProviderCallOptions {
  /** Aborts the upstream request; the iteration then throws `ProviderCancelledError`. */
  signal?: AbortSignal;
}

/** A model as a provider's own list names it. */
export interface ProviderModel {
  id: string;
  /** Unix seconds, when the provider says. */
  created?: number;
  /** A name a person can read (Anthropic's `display_name`). */
  name?: string;
}

export interface ChatProvider {
  /** The configured name (e.g. `default`, `local`, `claude`). */
  readonly name: string;
  readonly type: ProviderType;
  /**
   * Streams the reply. Chunks follow OpenAI's `chat.completion.chunk`: content and tool-call deltas, then a chunk
   * with `finish_reason`, then (when the upstream reports it) a usage-only chunk with `choices: []`. Failures are
   * thrown as `ProviderError`.
   */
  complete(request: ChatRequest, options?: ProviderCallOptions): AsyncIterable<ProviderChunk>;
  /** The provider's own model list (`GET …/models`); failures are thrown as `ProviderError`. */
  listModels(options?: ProviderCallOptions): Promise<ProviderModel[]>;
}
