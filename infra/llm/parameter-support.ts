/**
 * Which Chat Completions parameters each provider type takes, so none is dropped without a word: a parameter is
 * sent (as given, or mapped to the provider's equivalent), or dropped when its value is the neutral one clients send
 * with every request (SillyTavern: `logit_bias: {}`, both penalties 0, `n: 1`, `top_k: 0`), or refused with a 400
 * naming it.
 *
 * | provider type       | sent                                            | otherwise                                  |
 * |---------------------|-------------------------------------------------|--------------------------------------------|
 * | `openai-compatible` | everything, as given                            | (the server answers for itself)            |
 * | `openai`            | everything but local servers' samplers          | `top_k` 0, `min_p` 0, `repetition_penalty` 1 dropped |
 * | `anthropic`         | `temperature` (0..1), `top_p`, `top_k`, `max_tokens` / `max_completion_tokens`, `stop` (`stop_sequences`), `tools`, `tool_choice`, `parallel_tool_calls` (`disable_parallel_tool_use`), `user` (`metadata.user_id`) | neutral values dropped, others refused |
 */
import type { ChatRequest } from '../../shared/llm/chat-types.ts';
import type { ProviderType } from '../../shared/llm/chat-provider.ts';

export type GenerationSettings = Omit<ChatRequest, 'model' | 'messages' | 'speakerNames'>;

export interface ParameterRefusal {
  param: string;
  message: string;
}

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** The values that ask for nothing (what a provider without the parameter does anyway). */
const NEUTRAL: Record<string, (value: unknown) => boolean> = {
  presence_penalty: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  logit_bias: isEmptyObject,
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  top_logprobs: (v) => v === 0,
  response_format: (v) => (v as { type?: unknown }).type === 'text',
  reasoning_effort: (v) => v === 'none',
  metadata: isEmptyObject,
  modalities: (v) => Array.isArray(v) && v.every((m) => m === 'text'),
  parallel_tool_calls: (v) => v === true,
  top_k: (v) => v === 0,
  min_p: (v) => v === 0,
  repetition_penalty: (v) => v === 1,
};

const LOCAL_SAMPLERS = new Set(['top_k', 'min_p', 'repetition_penalty']);

/** Anthropic's Messages API: what maps, and the range it takes. */
const ANTHROPIC: Record<string, (value: unknown, settings: GenerationSettings) => string | null> = {
  temperature: (v) => ((v as number) <= 1 ? null : 'Anthropic takes a temperature from 0 to 1'),
  top_p: () => null,
  top_k: (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'top_k must be a positive integer'),
  max_tokens: () => null,
  max_tokens_param: () => null,
  stop: () => null,
  tools: () => null,
  tool_choice: () => null,
  user: () => null,
  parallel_tool_calls: () => null,
};

/** Every parameter of the settings, the provider-specific extras included, with a value. */
function entries(settings: GenerationSettings): Array<[string, unknown]> {
  const { extra, ...known } = settings;
  return [...Object.entries(known), ...Object.entries(extra ?? {})].filter(([, v]) => v !== undefined && v !== null);
}

/** The first parameter the provider type cannot take with the value given, or null when all can be sent or dropped. */
export function refusedParameter(type: ProviderType, settings: GenerationSettings): ParameterRefusal | null {
  if (type !== 'anthropic') return null;
  for (const [param, value] of entries(settings)) {
    const supported = ANTHROPIC[param];
    const problem = supported ? supported(value, settings) : 'Anthropic has no equivalent';
    if (problem === null) continue;
    if (NEUTRAL[param]?.(value)) continue;
    return { param, message: `${param} ${JSON.stringify(value)} is not supported by this provider (anthropic): ${problem}` };
  }
  return null;
}

/** The settings without the parameters this provider type does not take and that ask for nothing. */
export function withoutNeutral(type: ProviderType, settings: GenerationSettings): GenerationSettings {
  if (type === 'openai-compatible') return settings;
  const keep = (param: string, value: unknown) => {
    if (value === null) return false;
    if (type === 'openai') return !(LOCAL_SAMPLERS.has(param) && NEUTRAL[param]?.(value));
    return param in ANTHROPIC && !(NEUTRAL[param]?.(value) ?? false);
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) if (key !== 'extra' && value !== undefined && keep(key, value)) out[key] = value;
  const extra = Object.fromEntries(Object.entries(settings.extra ?? {}).filter(([k, v]) => keep(k, v)));
  if (Object.keys(extra).length > 0) out.extra = extra;
  return out as GenerationSettings;
}
