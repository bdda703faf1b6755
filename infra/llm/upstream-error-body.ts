/**
 * The message of an upstream error body, whatever the server: OpenAI and Anthropic (`{error: {message, type}}`),
 * Ollama and llama.cpp (`{error: "..."}`), vLLM / FastAPI (`{detail: "..."}` or `{detail: [{msg}]}`),
 * `{message: "..."}`, or plain text.
 */

export interface UpstreamErrorInfo {
  message: string;
  /** The upstream's own error type or code, when it has one. */
  type?: string;
}

const MAX_MESSAGE_LENGTH = 2000;

function shorten(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_MESSAGE_LENGTH ? `${trimmed.slice(0, MAX_MESSAGE_LENGTH)}…` : trimmed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an error object (`{message, type, code}`), as found under `error` in a body or a stream event. */
export function errorInfoFromObject(value: unknown): UpstreamErrorInfo | null {
  if (typeof value === 'string' && value.trim() !== '') return { message: shorten(value) };
  if (!isRecord(value)) return null;
  const message = typeof value.message === 'string' ? value.message : typeof value.msg === 'string' ? value.msg : null;
  const type = typeof value.type === 'string' ? value.type : typeof value.code === 'string' ? value.code : undefined;
  if (message === null || message.trim() === '') return type ? { message: type, type } : null;
  return type ? { message: shorten(message), type } : { message: shorten(message) };
}

export function parseUpstreamErrorBody(status: number, text: string): UpstreamErrorInfo {
  const fallback = { message: text.trim() === '' ? `the LLM provider answered HTTP ${status}` : shorten(text) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fallback;
  }
  if (!isRecord(json)) return fallback;
  const fromError = errorInfoFromObject(json.error);
  if (fromError) return fromError;
  if (typeof json.detail === 'string') return { message: shorten(json.detail) };
  if (Array.isArray(json.detail)) {
    const messages = json.detail.map((d) => errorInfoFromObject(d)?.message).filter((m): m is string => m !== undefined);
    if (messages.length > 0) return { message: shorten(messages.join('; ')) };
  }
  return errorInfoFromObject(json) ?? fallback;
}
