/**
 * Normalises what OpenAI-compatible servers stream into `ProviderChunk`s. Servers differ: vLLM sends the usage
 * chunk with `choices: null`, some omit `id`/`created`/`model` or a choice's `index`, some send `message` instead
 * of `delta`, some never report usage. A chunk carrying an `error` object is an upstream failure.
 */
import type {
  ChatCompletion,
  ChatToolCallDelta,
  ChatUsage,
  ChunkChoice,
  ChunkDelta,
  FinishReason,
  ProviderChunk,
} from '../../shared/llm/chat-types.ts';
import { errorInfoFromObject } from './upstream-error-body.ts';
import { ProviderError } from './provider-errors.ts';

export interface ChunkDefaults {
  id: string;
  model: string;
  created: number;
}

const FINISH_REASONS: ReadonlySet<string> = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export function finishReason(value: unknown): FinishReason | null {
  if (typeof value !== 'string') return null;
  if (FINISH_REASONS.has(value)) return value as FinishReason;
  // Non-standard reasons (llama.cpp "eos", vLLM "abort"): a stop all the same.
  return value === 'max_tokens' ? 'length' : 'stop';
}

export function normalizeUsage(value: unknown): ChatUsage | undefined {
  if (!isRecord(value)) return undefined;
  const prompt = num(value.prompt_tokens);
  const completion = num(value.completion_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const promptTokens = prompt ?? 0;
  const completionTokens = completion ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: num(value.total_tokens) ?? promptTokens + completionTokens,
  };
}

function toolCallDeltas(value: unknown): ChatToolCallDelta[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const deltas = value.filter(isRecord).map((call, position): ChatToolCallDelta => {
    const delta: ChatToolCallDelta = { index: num(call.index) ?? position };
    const id = str(call.id);
    if (id) delta.id = id;
    if (call.type === 'function') delta.type = 'function';
    if (isRecord(call.function)) {
      const fn: { name?: string; arguments?: string } = {};
      const name = str(call.function.name);
      const args = call.function.arguments;
      if (name !== undefined) fn.name = name;
      if (typeof args === 'string') fn.arguments = args;
      else if (isRecord(args)) fn.arguments = JSON.stringify(args);
      delta.function = fn;
    }
    return delta;
  });
  return deltas.length > 0 ? deltas : undefined;
}

function normalizeDelta(value: unknown): ChunkDelta {
  const source = isRecord(value) ? value : {};
  const delta: ChunkDelta = {};
  if (source.role === 'assistant') delta.role = 'assistant';
  if (typeof source.content === 'string') delta.content = source.content;
  const reasoning = str(source.reasoning_content) ?? str(source.reasoning);
  if (reasoning) delta.reasoning_content = reasoning;
  if (typeof source.refusal === 'string') delta.refusal = source.refusal;
  const calls = toolCallDeltas(source.tool_calls);
  if (calls) delta.tool_calls = calls;
  return delta;
}

/** The upstream failure described by a payload's `error` member, if any. */
export function streamError(payload: unknown, provider: string): ProviderError | null {
  if (!isRecord(payload) || payload.error === undefined || payload.error === null) return null;
  const info = errorInfoFromObject(payload.error) ?? { message: 'the LLM provider reported an error during the reply' };
  const rateLimited = /rate.?limit/i.test(`${info.type ?? ''} ${info.message}`);
  const details = { provider, ...(info.type ? { upstreamType: info.type } : {}) };
  return rateLimited
    ? new ProviderError(429, 'upstream_rate_limited', info.message, details)
    : new ProviderError(502, 'upstream_stream_error', info.message, details);
}

export function normalizeOpenAIChunk(payload: unknown, defaults: ChunkDefaults): ProviderChunk {
  const source = isRecord(payload) ? payload : {};
  const choices: ChunkChoice[] = Array.isArray(source.choices)
    ? source.choices.filter(isRecord).map((choice, position) => ({
        index: num(choice.index) ?? position,
        delta: normalizeDelta(choice.delta ?? choice.message),
        finish_reason: finishReason(choice.finish_reason),
      }))
    : [];
  const chunk: ProviderChunk = {
    id: str(source.id) ?? defaults.id,
    object: 'chat.completion.chunk',
    created: num(source.created) ?? defaults.created,
    model: str(source.model) ?? defaults.model,
    choices,
  };
  const usage = normalizeUsage(source.usage);
  if (usage) chunk.usage = usage;
  return chunk;
}

/** A whole `chat.completion` (a server that ignored `stream: true`) as the chunks it would have streamed. */
export function completionToChunks(payload: unknown, defaults: ChunkDefaults): ProviderChunk[] {
  const source = isRecord(payload) ? (payload as Partial<ChatCompletion> & Record<string, unknown>) : {};
  const base = normalizeOpenAIChunk({ id: source.id, created: source.created, model: source.model }, defaults);
  const chunks: ProviderChunk[] = [];
  const choices = Array.isArray(source.choices) ? source.choices.filter(isRecord) : [];
  choices.forEach((choice, position) => {
    const index = num(choice.index) ?? position;
    const message = isRecord(choice.message) ? choice.message : {};
    const delta = normalizeDelta({ ...message, role: 'assistant' });
    if (delta.tool_calls) delta.tool_calls = delta.tool_calls.map((call, i) => ({ ...call, index: i }));
    chunks.push({ ...base, choices: [{ index, delta, finish_reason: null }] });
    chunks.push({ ...base, choices: [{ index, delta: {}, finish_reason: finishReason(choice.finish_reason) ?? 'stop' }] });
  });
  const usage = normalizeUsage(source.usage);
  if (usage) chunks.push({ ...base, choices: [], usage });
  return chunks;
}
