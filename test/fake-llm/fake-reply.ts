/** The scripts both fake upstreams understand (each maps them to its own wire format). */
import type { FakeHttpServer, RecordedRequest, TransportScript } from './fake-http-server.ts';

export interface FakeToolCall {
  /** Default `call_<n>` (OpenAI) / `toolu_<n>` (Anthropic). */
  id?: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
  /** How the arguments are streamed (default: 8 characters at a time). */
  argumentChunks?: readonly string[];
}

export interface FakeMidStreamError {
  /** Default `server_error` (OpenAI) / `overloaded_error` (Anthropic). */
  type?: string;
  message?: string;
}

/** A streamed reply. Event counts include every SSE event the server sends (the first one is 1). */
export interface FakeCompletion extends TransportScript {
  kind?: 'completion';
  text?: string;
  /** The content deltas, exactly (default: `text` cut every 4 code points). */
  textChunks?: readonly string[];
  toolCalls?: readonly FakeToolCall[];
  /** In the provider's vocabulary (`stop`, `length`, `tool_calls` / `end_turn`, `max_tokens`, `tool_use`). */
  finishReason?: string;
  /** Token usage reported at the end; null = none. Default: counted from the request and reply sizes. */
  usage?: { input: number; output: number } | null;
  id?: string;
  model?: string;
  /** Send an error event after this many events, then end the response. */
  errorAfterEvents?: number;
  error?: FakeMidStreamError;
  /** Stop sending after this many events and keep the connection open (idle timeouts, cancellation). */
  hangAfterEvents?: number;
  /** Drop the connection after this many events (a crash of the upstream). */
  dropAfterEvents?: number;
  /** End the response properly after this many events, without finishing the reply. */
  endAfterEvents?: number;
  /** OpenAI: do not send `data: [DONE]`. */
  omitDone?: boolean;
  /** OpenAI: the usage chunk's `choices` (`[]` like OpenAI, `null` like vLLM). Default `empty`. */
  usageChoices?: 'empty' | 'null';
  /** Anthropic: interleave `ping` events. */
  pings?: boolean;
}

/** An HTTP error answer. The body defaults to the provider's error format built from `type` and `message`. */
export interface FakeHttpError {
  kind: 'http-error';
  status: number;
  message?: string;
  type?: string;
  /** A body to send instead (an object is sent as JSON, a string as text). */
  body?: unknown;
  headers?: Record<string, string>;
  headersDelayMs?: number;
}

/** Never answers: `before-headers` (connect timeout) or `after-headers` (idle timeout). */
export interface FakeHang {
  kind: 'hang';
  phase: 'before-headers' | 'after-headers';
}

/** Arbitrary bytes (non-SSE garbage, a JSON answer to a streaming request, ...). */
export interface FakeRaw extends TransportScript {
  kind: 'raw';
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

export type FakeReply = FakeCompletion | FakeHttpError | FakeHang | FakeRaw;

/** A reply, or a function of the request that returns one. */
export type ScriptedReply = FakeReply | ((request: RecordedRequest) => FakeReply);

export interface FakeLlmServer extends FakeHttpServer {
  /** Queue replies for the next requests, in order. */
  reply(...replies: ScriptedReply[]): void;
  /** The reply once the queue is empty. */
  setDefaultReply(reply: ScriptedReply): void;
  /** What `GET …/models` answers: these ids (default `DEFAULT_MODELS`), or an error. */
  setModels(models: readonly string[] | FakeHttpError): void;
}

/** The model list a fake upstream answers by default. */
export const DEFAULT_MODELS: readonly string[] = ['fake-model', 'fake-model-large'];
