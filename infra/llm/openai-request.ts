/** The body of `POST {base}/chat/completions` (streaming, with usage in the last chunk). */
import type { ChatMessage, ChatRequest } from '../../shared/llm/chat-types.ts';
import { withoutNeutral } from './parameter-support.ts';

/**
 * OpenAI's reasoning models (o1, o3, o4, gpt-5) reject `max_tokens`; they take `max_completion_tokens`. Only
 * applied for the `openai` provider type: compatible servers expect `max_tokens`.
 */
const USES_MAX_COMPLETION_TOKENS = /^(?:o\d|gpt-5)/;

function wireMessage(message: ChatMessage): Record<string, unknown> {
  // Copy only the fields of the chat format, so stray properties never reach the upstream.
  const out: Record<string, unknown> = { role: message.role, content: message.content };
  if (message.name !== undefined) out.name = message.name;
  if (message.role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) out.tool_calls = message.tool_calls;
  if (message.role === 'tool') out.tool_call_id = message.tool_call_id;
  return out;
}

export function openAIRequestBody(request: ChatRequest, flavor: 'openai' | 'openai-compatible'): Record<string, unknown> {
  const { model, messages, speakerNames: _names, ...rest } = request;
  const settings = withoutNeutral(flavor, rest);
  const body: Record<string, unknown> = { ...settings.extra };
  body.model = model;
  body.messages = messages.map(wireMessage);
  body.stream = true;
  body.stream_options = { include_usage: true };
  const hasTools = settings.tools !== undefined && settings.tools.length > 0;
  const optional: Array<[string, unknown]> = [
    ['temperature', settings.temperature],
    ['top_p', settings.top_p],
    ['stop', settings.stop],
    ['tools', hasTools ? settings.tools : undefined],
    ['tool_choice', hasTools ? settings.tool_choice : undefined],
    ['parallel_tool_calls', settings.parallel_tool_calls],
    ['presence_penalty', settings.presence_penalty],
    ['frequency_penalty', settings.frequency_penalty],
    ['seed', settings.seed],
    ['user', settings.user],
    ['n', settings.n],
    ['response_format', settings.response_format],
    ['logprobs', settings.logprobs],
    ['top_logprobs', settings.top_logprobs],
    ['logit_bias', settings.logit_bias],
    ['reasoning_effort', settings.reasoning_effort],
    ['metadata', settings.metadata],
    ['modalities', settings.modalities],
  ];
  for (const [key, value] of optional) if (value !== undefined) body[key] = value;
  if (settings.max_tokens !== undefined) {
    const newer = settings.max_tokens_param === 'max_completion_tokens' || (flavor === 'openai' && USES_MAX_COMPLETION_TOKENS.test(model));
    body[newer ? 'max_completion_tokens' : 'max_tokens'] = settings.max_tokens;
  }
  return body;
}
