/**
 * Failures of an upstream LLM call, as the API should answer them. Each carries the HTTP status to return and a
 * stable `code`; the details (upstream status, phase, Retry-After) are in `extra` for the problem document.
 *
 * | upstream / local condition                       | code                      | status                 |
 * |--------------------------------------------------|---------------------------|------------------------|
 * | 4xx other than 429                               | upstream_client_error     | the upstream status    |
 * | 429                                              | upstream_rate_limited     | 429, `retryAfter` kept |
 * | 5xx                                              | upstream_server_error     | 502                    |
 * | error object / event inside a stream             | upstream_stream_error     | 502 (429 if rate limit)|
 * | unreachable (DNS, refused, reset before headers) | upstream_unreachable      | 502                    |
 * | unreadable reply (bad JSON, oversized event, cut) | upstream_bad_response     | 502                    |
 * | no headers within the connect timeout            | upstream_timeout (connect)| 504                    |
 * | no data within the idle timeout                  | upstream_timeout (idle)   | 504                    |
 * | the caller's AbortSignal                         | cancelled                 | 499                    |
 * | no provider configured                           | llm_not_configured        | 503                    |
 * | unknown provider / model in the request          | unknown_provider / unknown_model / model_required | 400 |
 */
import { AppError } from '../../shared/errors.ts';

export type ProviderErrorCode =
  | 'upstream_client_error'
  | 'upstream_rate_limited'
  | 'upstream_server_error'
  | 'upstream_stream_error'
  | 'upstream_unreachable'
  | 'upstream_bad_response'
  | 'upstream_timeout'
  | 'cancelled'
  | 'llm_not_configured'
  | 'unknown_provider'
  | 'unknown_model'
  | 'model_required';

export interface ProviderErrorDetails {
  /** Configured provider name. */
  provider?: string;
  /** HTTP status the upstream answered with. */
  upstreamStatus?: number;
  /** The upstream's own error type (`invalid_request_error`, `overloaded_error`, ...). */
  upstreamType?: string;
  /** `Retry-After` as the upstream sent it (seconds or an HTTP date). */
  retryAfter?: string;
  /** Which timeout fired. */
  phase?: 'connect' | 'idle';
  timeoutMs?: number;
}

export class ProviderError extends AppError {
  override readonly code: ProviderErrorCode;
  readonly details: ProviderErrorDetails;

  constructor(status: number, code: ProviderErrorCode, message: string, details: ProviderErrorDetails = {}, options?: { cause?: unknown }) {
    super(status, code, message, snakeCaseDetails(details));
    this.name = 'ProviderError';
    this.code = code;
    this.details = details;
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  get retryAfter(): string | undefined {
    return this.details.retryAfter;
  }
}

/** The caller aborted the request (client disconnected or cancelled). Not a failure of the upstream. */
export class ProviderCancelledError extends ProviderError {
  constructor(provider?: string, options?: { cause?: unknown }) {
    super(499, 'cancelled', 'the completion was cancelled', provider ? { provider } : {}, options);
    this.name = 'ProviderCancelledError';
  }
}

function snakeCaseDetails(details: ProviderErrorDetails): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (details.provider !== undefined) extra.provider = details.provider;
  if (details.upstreamStatus !== undefined) extra.upstream_status = details.upstreamStatus;
  if (details.upstreamType !== undefined) extra.upstream_type = details.upstreamType;
  if (details.retryAfter !== undefined) extra.retry_after = details.retryAfter;
  if (details.phase !== undefined) extra.phase = details.phase;
  if (details.timeoutMs !== undefined) extra.timeout_ms = details.timeoutMs;
  return extra;
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

/** Maps an upstream HTTP error status and its message. */
export function upstreamHttpError(status: number, message: string, details: ProviderErrorDetails): ProviderError {
  const withStatus = { ...details, upstreamStatus: status };
  if (status === 429) return new ProviderError(429, 'upstream_rate_limited', message, withStatus);
  if (status >= 400 && status < 500) return new ProviderError(status, 'upstream_client_error', message, withStatus);
  return new ProviderError(502, 'upstream_server_error', message, withStatus);
}

export function upstreamTimeout(phase: 'connect' | 'idle', timeoutMs: number, provider: string): ProviderError {
  const what = phase === 'connect' ? 'did not start answering' : 'stopped sending data';
  return new ProviderError(504, 'upstream_timeout', `the LLM provider ${what} within ${timeoutMs} ms`, { provider, phase, timeoutMs });
}

/** The stream closed before a finish reason: what was sent is not a whole reply. */
export function streamEndedEarly(provider: string): ProviderError {
  return new ProviderError(502, 'upstream_bad_response', 'the LLM provider closed the stream before the reply was complete', {
    provider,
  });
}

/** One stream event's data as JSON; anything else is the provider's fault (502). */
export function parseStreamData(data: string, provider: string): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    throw new ProviderError(
      502,
      'upstream_bad_response',
      `the LLM provider sent data that is not JSON: ${data.slice(0, 200)}`,
      { provider },
      { cause: error },
    );
  }
}

export const NOT_CONFIGURED_MESSAGE =
  'No LLM provider is configured. Set LLM_PROVIDER (openai, anthropic or openai-compatible) with LLM_MODEL, ' +
  'LLM_API_KEY and, for openai-compatible servers, LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1 for llama.cpp, ' +
  'http://127.0.0.1:11434/v1 for Ollama); or set LLM_PROVIDERS_FILE to a JSON file describing several providers.';

export function notConfigured(): ProviderError {
  return new ProviderError(503, 'llm_not_configured', NOT_CONFIGURED_MESSAGE);
}
