/**
 * One upstream call: POST a JSON body with Node's `fetch`, then read the answer as Server-Sent Events
 * (eventsource-parser, bytes decoded with a streaming TextDecoder so multi-byte characters split across chunks
 * come out whole).
 *
 * - Connect timeout: from the request until the response headers. Idle timeout: while waiting for each body
 *   chunk (the time the consumer spends on an event does not count).
 * - The caller's AbortSignal aborts the HTTP request (the upstream sees the connection close) and surfaces as
 *   `ProviderCancelledError`. Stopping the iteration early also closes the connection.
 * - A non-2xx answer becomes a `ProviderError` with the upstream status and message (and Retry-After).
 * - A `application/json` answer to a streaming request (servers that ignore `stream: true`) is yielded as one
 *   synthetic event `{ event: 'json', data: <body> }`.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { parseUpstreamErrorBody } from './upstream-error-body.ts';
import { ProviderCancelledError, ProviderError, upstreamHttpError, upstreamTimeout } from './provider-errors.ts';

export const JSON_EVENT = 'json';
export const DEFAULT_MAX_EVENT_SIZE = 4_000_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

export interface UpstreamRequest {
  /** Provider name, for errors. */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal | undefined;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Largest SSE event (characters) accepted. */
  maxEventSize?: number;
  fetch?: typeof fetch;
}

type Phase = 'connect' | 'idle';
type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

export async function* upstreamEvents(request: UpstreamRequest): AsyncGenerator<EventSourceMessage, void, undefined> {
  const { provider, signal } = request;
  if (signal?.aborted) throw new ProviderCancelledError(provider, { cause: signal.reason });

  const controller = new AbortController();
  const abortFromCaller = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', abortFromCaller, { once: true });
  let timedOut: Phase | null = null;
  let timer: NodeJS.Timeout | undefined;
  const arm = (phase: Phase) => {
    const ms = phase === 'connect' ? request.connectTimeoutMs : request.idleTimeoutMs;
    timer = setTimeout(() => {
      timedOut = phase;
      controller.abort();
    }, ms);
  };
  const disarm = () => clearTimeout(timer);
  const failure = (error: unknown, otherwise: () => ProviderError): ProviderError => {
    if (error instanceof ProviderError) return error;
    if (signal?.aborted) return new ProviderCancelledError(provider, { cause: error });
    if (timedOut) return upstreamTimeout(timedOut, timedOut === 'connect' ? request.connectTimeoutMs : request.idleTimeoutMs, provider);
    return otherwise();
  };

  try {
    arm('connect');
    let response: Response;
    try {
      response = await (request.fetch ?? fetch)(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...request.headers },
        body: JSON.stringify(request.body),
        signal: controller.signal,
      });
    } catch (error) {
      throw failure(error, () => unreachable(provider, request.url, error));
    } finally {
      disarm();
    }

    const read = async (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<ReadResult> => {
      arm('idle');
      try {
        return await reader.read();
      } catch (error) {
        throw failure(
          error,
          () =>
            new ProviderError(
              502,
              'upstream_bad_response',
              'the connection to the LLM provider broke during the reply',
              { provider },
              { cause: error },
            ),
        );
      } finally {
        disarm();
      }
    };

    if (!response.ok) {
      const text = await readText(response, MAX_ERROR_BODY_BYTES, read);
      const info = parseUpstreamErrorBody(response.status, text);
      const retryAfter = response.headers.get('retry-after');
      throw upstreamHttpError(response.status, info.message, {
        provider,
        ...(info.type ? { upstreamType: info.type } : {}),
        ...(retryAfter ? { retryAfter } : {}),
      });
    }
    if (!response.body) throw new ProviderError(502, 'upstream_bad_response', 'the LLM provider sent an empty response', { provider });

    if ((response.headers.get('content-type') ?? '').includes('application/json')) {
      yield { event: JSON_EVENT, data: await readText(response, MAX_JSON_BODY_BYTES, read) };
      return;
    }

    const maxEventSize = request.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
    const queue: EventSourceMessage[] = [];
    let oversized = false;
    const parser = createParser({
      onEvent: (event) => queue.push(event),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') oversized = true;
      },
      maxBufferSize: maxEventSize,
    });
    const tooLarge = () =>
      new ProviderError(502, 'upstream_bad_response', `the LLM provider sent a stream event larger than ${maxEventSize} characters`, {
        provider,
      });
    // The parser's limit covers data buffered across chunks; an event that arrives whole is checked here.
    const feed = (text: string) => {
      if (text !== '') parser.feed(text);
      if (oversized || queue.some((event) => event.data.length > maxEventSize)) throw tooLarge();
    };
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (;;) {
      const chunk = await read(reader);
      if (chunk.done) break;
      feed(decoder.decode(chunk.value, { stream: true }));
      // Index walk instead of shift(): a chunk may carry thousands of events.
      for (let i = 0; i < queue.length; i++) yield queue[i] as EventSourceMessage;
      queue.length = 0;
    }
    feed(decoder.decode());
    parser.reset({ consume: true });
    for (const event of queue) yield event;
  } finally {
    disarm();
    signal?.removeEventListener('abort', abortFromCaller);
    // Closes the connection when the consumer stopped early or an error is thrown; harmless after the end.
    controller.abort();
  }
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

function unreachable(provider: string, url: string, error: unknown): ProviderError {
  // Duck-typed: fetch's errors may come from another realm (test VMs), where `instanceof Error` is false.
  const outer = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const cause = (typeof outer.cause === 'object' && outer.cause !== null ? outer.cause : outer) as ErrorLike;
  const reason = typeof cause.code === 'string' ? cause.code : typeof cause.message === 'string' ? cause.message : String(error);
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // keep the URL as given
  }
  return new ProviderError(
    502,
    'upstream_unreachable',
    `could not reach the LLM provider at ${origin} (${reason})`,
    { provider },
    { cause: error },
  );
}

async function readText(
  response: Response,
  maxBytes: number,
  read: (reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<ReadResult>,
): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const chunk = await read(reader);
    if (chunk.done) break;
    bytes += chunk.value.byteLength;
    text += decoder.decode(chunk.value, { stream: true });
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}
