/**
 * Anthropic's streaming events as OpenAI chunks:
 *
 * | Anthropic                                    | chunk                                                 |
 * |----------------------------------------------|-------------------------------------------------------|
 * | message_start                                | `delta: { role: 'assistant', content: '' }`           |
 * | content_block_start text (non-empty)         | `delta.content`                                       |
 * | content_block_start tool_use                 | `delta.tool_calls[{ index, id, type, function.name }]` |
 * | content_block_delta text_delta               | `delta.content`                                       |
 * | content_block_delta input_json_delta         | `delta.tool_calls[{ index, function.arguments }]`     |
 * | content_block_delta thinking_delta           | `delta.reasoning_content`                             |
 * | message_delta (stop_reason)                  | `finish_reason`                                       |
 * | message_stop                                 | usage-only chunk (`choices: []`)                      |
 * | ping, content_block_stop, signatures         | nothing                                               |
 * | error                                        | thrown `ProviderError`                                |
 *
 * Tool calls are numbered 0, 1, ... in the order their blocks start. Usage: prompt tokens are input plus cache
 * creation and cache read tokens; completion tokens are the (cumulative) output tokens of `message_delta`.
 */
import type { ChatUsage, ChunkDelta, FinishReason, ProviderChunk } from '../../shared/llm/chat-types.ts';
import type { ChunkDefaults } from './openai-chunks.ts';
import { errorInfoFromObject } from './upstream-error-body.ts';
import { ProviderError } from './provider-errors.ts';

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReasonFromStop(reason: unknown): FinishReason {
  return typeof reason === 'string' ? (STOP_REASONS[reason] ?? 'stop') : 'stop';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function anthropicStreamError(payload: unknown, provider: string): ProviderError {
  const info = errorInfoFromObject(isRecord(payload) ? payload.error : undefined) ?? {
    message: 'the LLM provider reported an error during the reply',
  };
  const details = { provider, ...(info.type ? { upstreamType: info.type } : {}) };
  return info.type === 'rate_limit_error'
    ? new ProviderError(429, 'upstream_rate_limited', info.message, details)
    : new ProviderError(502, 'upstream_stream_error', info.message, details);
}

export class AnthropicChunkMapper {
  readonly #provider: string;
  readonly #defaults: ChunkDefaults;
  readonly #toolIndexByBlock = new Map<number, number>();
  #inputTokens = 0;
  #outputTokens = 0;
  #finishReason: FinishReason | null = null;
  #stopped = false;

  constructor(provider: string, defaults: ChunkDefaults) {
    this.#provider = provider;
    this.#defaults = { ...defaults };
  }

  /** A finish reason was received (the reply is complete even if `message_stop` is missing). */
  get finished(): boolean {
    return this.#finishReason !== null;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  map(type: string, payload: unknown): ProviderChunk[] {
    const data = isRecord(payload) ? payload : {};
    switch (type) {
      case 'message_start': {
        const message = isRecord(data.message) ? data.message : {};
        if (typeof message.id === 'string') this.#defaults.id = message.id;
        if (typeof message.model === 'string') this.#defaults.model = message.model;
        this.#readUsage(message.usage);
        return [this.#chunk({ role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const block = isRecord(data.content_block) ? data.content_block : {};
        if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return [this.#chunk({ content: block.text })];
        if (block.type === 'tool_use') {
          const index = this.#toolIndexByBlock.size;
          this.#toolIndexByBlock.set(count(data.index), index);
          const name = typeof block.name === 'string' ? block.name : '';
          const id = typeof block.id === 'string' ? block.id : `call_${index}`;
          return [this.#chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] })];
        }
        return [];
      }
      case 'content_block_delta': {
        const delta = isRecord(data.delta) ? data.delta : {};
        if (delta.type === 'text_delta' && typeof delta.text === 'string')
          return delta.text === '' ? [] : [this.#chunk({ content: delta.text })];
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const index = this.#toolIndexByBlock.get(count(data.index));
          if (index === undefined || delta.partial_json === '') return [];
          return [this.#chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
        }
        if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking !== '') {
          return [this.#chunk({ reasoning_content: delta.thinking })];
        }
        return [];
      }
      case 'message_delta': {
        this.#readUsage(data.usage);
        const delta = isRecord(data.delta) ? data.delta : {};
        if (delta.stop_reason === undefined || delta.stop_reason === null) return [];
        this.#finishReason = finishReasonFromStop(delta.stop_reason);
        return [this.#chunk({}, this.#finishReason)];
      }
      case 'message_stop':
        this.#stopped = true;
        return [{ ...this.#base(), choices: [], usage: this.#usage() }];
      case 'error':
        throw anthropicStreamError(data, this.#provider);
      default:
        return [];
    }
  }

  #readUsage(value: unknown): void {
    if (!isRecord(value)) return;
    if (value.input_tokens !== undefined) {
      this.#inputTokens = count(value.input_tokens) + count(value.cache_creation_input_tokens) + count(value.cache_read_input_tokens);
    }
    if (value.output_tokens !== undefined) this.#outputTokens = count(value.output_tokens);
  }

  #usage(): ChatUsage {
    return {
      prompt_tokens: this.#inputTokens,
      completion_tokens: this.#outputTokens,
      total_tokens: this.#inputTokens + this.#outputTokens,
    };
  }

  #base(): Omit<ProviderChunk, 'choices'> {
    return { id: this.#defaults.id, object: 'chat.completion.chunk', created: this.#defaults.created, model: this.#defaults.model };
  }

  #chunk(delta: ChunkDelta, finishReason: FinishReason | null = null): ProviderChunk {
    return { ...this.#base(), choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}

/** A whole Messages API response (a server that ignored `stream: true`) as stream events. */
export function messageToEvents(message: unknown): Array<{ type: string; payload: unknown }> {
  const m = isRecord(message) ? message : {};
  const usage = isRecord(m.usage) ? m.usage : {};
  const events: Array<{ type: string; payload: unknown }> = [
    { type: 'message_start', payload: { message: { id: m.id, model: m.model, usage: { ...usage, output_tokens: 0 } } } },
  ];
  const content = Array.isArray(m.content) ? m.content : [];
  content.forEach((block, index) => {
    if (!isRecord(block)) return;
    if (block.type === 'tool_use') {
      events.push({
        type: 'content_block_start',
        payload: { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } },
      });
      events.push({
        type: 'content_block_delta',
        payload: { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input ?? {}) } },
      });
    } else if (block.type === 'text') {
      events.push({ type: 'content_block_start', payload: { index, content_block: { type: 'text', text: block.text } } });
    }
  });
  events.push({ type: 'message_delta', payload: { delta: { stop_reason: m.stop_reason }, usage: { output_tokens: usage.output_tokens } } });
  events.push({ type: 'message_stop', payload: {} });
  return events;
}
