/** The body of `POST {base}/chat/completions` (streaming, with usage in the last chunk). */
import type { ChatMessage, ChatRequest } from '../../shared/llm/chat-types.ts';

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
  const body: Record<string, unknown> = { ...request.extra };
  body.model = request.model;
  body.messages = request.messages.map(wireMessage);
  body.stream = true;
  body.stream_options = { include_usage: true };
  const optional: Array<[string, unknown]> = [
    ['temperature', request.temperature],
    ['top_p', request.top_p],
    ['stop', request.stop],
    ['tools', request.tools && request.tools.length > 0 ? request.tools : undefined],
    ['tool_choice', request.tools && request.tools.length > 0 ? request.tool_choice : undefined],
    ['presence_penalty', request.presence_penalty],
    ['frequency_penalty', request.frequency_penalty],
    ['seed', request.seed],
    ['user', request.user],
  ];
  for (const [key, value] of optional) if (value !== undefined) body[key] = value;
  if (request.max_tokens !== undefined) {
    const key = flavor === 'openai' && USES_MAX_COMPLETION_TOKENS.test(request.model) ? 'max_completion_tokens' : 'max_tokens';
    body[key] = request.max_tokens;
  }
  return body;
}
