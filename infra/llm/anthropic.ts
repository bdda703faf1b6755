/**
 * Anthropic's Messages API: `POST {baseUrl}/v1/messages` with `x-api-key` and `anthropic-version`, streamed as
 * `message_start` / `content_block_*` / `message_delta` / `message_stop` events (plus `ping` and `error`),
 * mapped to OpenAI chunks by `AnthropicChunkMapper`. Request mapping: `anthropic-request.ts`.
 */
import { randomUUID } from 'node:crypto';
import { AnthropicChunkMapper, anthropicStreamError, messageToEvents } from './anthropic-chunks.ts';
import { anthropicRequestBody } from './anthropic-request.ts';
import type { ChatProvider, ProviderCallOptions, ProviderModel } from '../../shared/llm/chat-provider.ts';
import type { ChatRequest, ProviderChunk } from '../../shared/llm/chat-types.ts';
import { parseStreamData, streamEndedEarly } from './provider-errors.ts';
import { fetchModelList, modelsOfListBody } from './provider-models.ts';
import { JSON_EVENT, upstreamEvents } from './upstream-events.ts';

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicOptions {
  name: string;
  /** e.g. `https://api.anthropic.com` (the path `/v1/messages` is added). */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Default `2023-06-01`. */
  version?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  /** `max_tokens` when the request has none (the API requires it). */
  defaultMaxTokens: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxEventSize?: number | undefined;
  fetch?: typeof fetch | undefined;
}

export class AnthropicProvider implements ChatProvider {
  readonly name: string;
  readonly type = 'anthropic' as const;
  readonly #options: AnthropicOptions;
  readonly #url: string;

  constructor(options: AnthropicOptions) {
    this.name = options.name;
    this.#options = options;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/v1/messages`;
  }

  /** `GET /v1/models`, page after page (`has_more`, `after_id`), at most 10 pages. */
  async listModels(options: ProviderCallOptions = {}): Promise<ProviderModel[]> {
    const o = this.#options;
    const headers: Record<string, string> = { ...o.headers, 'anthropic-version': o.version ?? DEFAULT_ANTHROPIC_VERSION };
    if (o.apiKey) headers['x-api-key'] = o.apiKey;
    const models: ProviderModel[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const url = new URL(`${o.baseUrl.replace(/\/+$/, '')}/v1/models`);
      url.searchParams.set('limit', '1000');
      if (after) url.searchParams.set('after_id', after);
      const body = (await fetchModelList({
        provider: this.name,
        url: url.toString(),
        headers,
        timeoutMs: o.connectTimeoutMs,
        signal: options.signal,
        fetch: o.fetch,
      })) as { has_more?: unknown; last_id?: unknown };
      const pageModels = modelsOfListBody(body);
      models.push(...pageModels);
      if (body?.has_more !== true || typeof body.last_id !== 'string' || pageModels.length === 0) break;
      after = body.last_id;
    }
    return models;
  }

  async *complete(request: ChatRequest, options: ProviderCallOptions = {}): AsyncGenerator<ProviderChunk, void, undefined> {
    const o = this.#options;
    const headers: Record<string, string> = { ...o.headers, 'anthropic-version': o.version ?? DEFAULT_ANTHROPIC_VERSION };
    if (o.apiKey) headers['x-api-key'] = o.apiKey;
    const events = upstreamEvents({
      provider: this.name,
      url: this.#url,
      headers,
      body: anthropicRequestBody(request, o.defaultMaxTokens),
      signal: options.signal,
      connectTimeoutMs: o.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      maxEventSize: o.maxEventSize,
      fetch: o.fetch,
    });
    const mapper = new AnthropicChunkMapper(this.name, {
      id: `msg_${randomUUID()}`,
      model: request.model,
      created: Math.floor(Date.now() / 1000),
    });

    for await (const event of events) {
      if (event.data.trim() === '') continue;
      const payload = parseStreamData(event.data, this.name);
      if (event.event === JSON_EVENT) {
        if (typeof payload === 'object' && payload !== null && (payload as { type?: unknown }).type === 'error') {
          throw anthropicStreamError(payload, this.name);
        }
        for (const e of messageToEvents(payload)) yield* mapper.map(e.type, e.payload);
        return;
      }
      const type =
        typeof (payload as { type?: unknown } | null)?.type === 'string' ? (payload as { type: string }).type : (event.event ?? '');
      yield* mapper.map(type, payload);
      if (mapper.stopped) return;
    }
    if (!mapper.finished) {
      throw streamEndedEarly(this.name);
    }
  }
}
