/**
 * OpenAI's Chat Completions API and the servers that speak it: OpenAI, OpenRouter, llama.cpp's server, Ollama's
 * `/v1`, vLLM, LM Studio, KoboldCpp's OpenAI endpoint. `POST {baseUrl}/chat/completions` with
 * `stream: true, stream_options: { include_usage: true }`; the SSE stream ends with `data: [DONE]`.
 */
import { randomUUID } from 'node:crypto';
import type { ChatProvider, ProviderCallOptions, ProviderModel } from '../../shared/llm/chat-provider.ts';
import type { ChatRequest, ProviderChunk } from '../../shared/llm/chat-types.ts';
import { completionToChunks, normalizeOpenAIChunk, streamError, type ChunkDefaults } from './openai-chunks.ts';
import { openAIRequestBody } from './openai-request.ts';
import { parseStreamData, streamEndedEarly } from './provider-errors.ts';
import { fetchModelList, modelsOfListBody } from './provider-models.ts';
import { JSON_EVENT, upstreamEvents } from './upstream-events.ts';

export interface OpenAICompatibleOptions {
  name: string;
  type: 'openai' | 'openai-compatible';
  /** e.g. `https://api.openai.com/v1`, `http://127.0.0.1:8080/v1`. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Extra headers (OpenRouter's `HTTP-Referer` / `X-Title`, proxies). */
  headers?: Readonly<Record<string, string>> | undefined;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxEventSize?: number | undefined;
  fetch?: typeof fetch | undefined;
}

export class OpenAICompatibleProvider implements ChatProvider {
  readonly name: string;
  readonly type: 'openai' | 'openai-compatible';
  readonly #options: OpenAICompatibleOptions;
  readonly #url: string;

  constructor(options: OpenAICompatibleOptions) {
    this.name = options.name;
    this.type = options.type;
    this.#options = options;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async listModels(options: ProviderCallOptions = {}): Promise<ProviderModel[]> {
    const o = this.#options;
    const headers: Record<string, string> = { ...o.headers };
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    const body = await fetchModelList({
      provider: this.name,
      url: `${o.baseUrl.replace(/\/+$/, '')}/models`,
      headers,
      timeoutMs: o.connectTimeoutMs,
      signal: options.signal,
      fetch: o.fetch,
    });
    return modelsOfListBody(body);
  }

  async *complete(request: ChatRequest, options: ProviderCallOptions = {}): AsyncGenerator<ProviderChunk, void, undefined> {
    const o = this.#options;
    const headers: Record<string, string> = { ...o.headers };
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    const events = upstreamEvents({
      provider: this.name,
      url: this.#url,
      headers,
      body: openAIRequestBody(request, o.type),
      signal: options.signal,
      connectTimeoutMs: o.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      maxEventSize: o.maxEventSize,
      fetch: o.fetch,
    });
    const defaults: ChunkDefaults = { id: `chatcmpl-${randomUUID()}`, model: request.model, created: Math.floor(Date.now() / 1000) };
    let finished = false;

    for await (const event of events) {
      const data = event.data.trim();
      if (data === '[DONE]' || data === '[done]') return;
      if (data === '') continue;
      const payload = parseStreamData(data, this.name);
      const failure = streamError(payload, this.name) ?? (event.event === 'error' ? streamError({ error: payload }, this.name) : null);
      if (failure) throw failure;
      if (event.event === JSON_EVENT) {
        yield* completionToChunks(payload, defaults);
        return;
      }
      const chunk = normalizeOpenAIChunk(payload, defaults);
      // Later chunks without these fields keep the first chunk's values.
      defaults.id = chunk.id;
      defaults.model = chunk.model;
      defaults.created = chunk.created;
      if (chunk.choices.some((c) => c.finish_reason !== null)) finished = true;
      if (chunk.choices.length === 0 && !chunk.usage) continue;
      yield chunk;
    }
    // Some servers close without `[DONE]`; that is only a problem if the reply never finished.
    if (!finished) {
      throw streamEndedEarly(this.name);
    }
  }
}
