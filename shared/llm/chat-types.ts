/**
 * The provider port's request and response shapes: OpenAI's Chat Completions format, which every provider is
 * mapped to and from.
 */

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatTextPart {
  type: 'text';
  text: string;
}

export interface ChatImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type ChatContentPart = ChatTextPart | ChatImagePart;

export type ChatMessage =
  | { role: 'system'; content: string; name?: string }
  | { role: 'user'; content: string | ChatContentPart[]; name?: string }
  | { role: 'assistant'; content: string | null; name?: string; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string; name?: string };

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ChatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string | string[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  user?: string;
  /** The client named its reply limit `max_completion_tokens` (OpenAI's newer name): sent under that name where it can be. */
  max_tokens_param?: 'max_completion_tokens';
  n?: number;
  response_format?: ChatResponseFormat;
  logprobs?: boolean;
  top_logprobs?: number;
  logit_bias?: Record<string, number>;
  parallel_tool_calls?: boolean;
  reasoning_effort?: string;
  metadata?: Record<string, string>;
  modalities?: string[];
  /**
   * Display names for providers without a `name` field (Anthropic): messages named `example_user` /
   * `example_assistant` (example dialogue) are prefixed with these; other names are prefixed as written.
   */
  speakerNames?: { user?: string; assistant?: string };
  /** Provider-specific body fields sent as given (`top_k`, `min_p`, `repetition_penalty`, ...); the fields
   * above and the streaming switches take precedence over them. */
  extra?: Record<string, unknown>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  /** Reasoning text of models that stream it separately (DeepSeek, vLLM and llama.cpp reasoning parsers). */
  reasoning_content?: string;
  refusal?: string | null;
  tool_calls?: ChatToolCallDelta[];
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: FinishReason | null;
}

/** One streamed chunk, normalised to OpenAI's `chat.completion.chunk`. A usage-only chunk has `choices: []`. */
export interface ProviderChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: ChatUsage | null;
}

/** A whole reply, OpenAI's `chat.completion`. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[]; reasoning_content?: string };
    finish_reason: FinishReason | null;
  }>;
  /** Null when the upstream did not report usage. */
  usage: ChatUsage | null;
}
