/**
 * A fake Anthropic Messages API: `POST /v1/messages`, streamed as `message_start`, `content_block_start` /
 * `_delta` / `_stop` (text, then tool_use blocks with `input_json_delta`), `message_delta` with the stop reason
 * and cumulative output tokens, `message_stop`; optional `ping`s; `event: error` mid-stream. HTTP errors use
 * `{ type: 'error', error: { type, message } }`. Non-streaming requests get one `message` JSON.
 *
 *   const upstream = await startFakeAnthropicServer();
 *   upstream.reply({ text: 'Hello.', toolCalls: [{ name: 'roll', arguments: '{"sides":20}' }] });
 *   // base URL for the client: upstream.url (the server answers under /v1/messages)
 *   upstream.requests[0].body.system
 */
import {
  jsonPlan,
  ReplyQueue,
  sseEvent,
  SSE_HEADERS,
  startFakeHttpServer,
  textPieces,
  type RecordedRequest,
  type WirePlan,
} from './fake-http-server.ts';
import {
  DEFAULT_MODELS,
  type FakeCompletion,
  type FakeHttpError,
  type FakeLlmServer,
  type FakeReply,
  type ScriptedReply,
} from './fake-reply.ts';

const DEFAULT_REPLY: FakeCompletion = { text: 'Hello from the fake Anthropic server.' };

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, message?: string, type?: string): unknown {
  return {
    type: 'error',
    error: { type: type ?? ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message: message ?? `fake upstream error ${status}` },
  };
}

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function errorPlan(script: FakeHttpError): WirePlan {
  const body = script.body ?? anthropicErrorBody(script.status, script.message, script.type);
  return { ...jsonPlan(script.status, body, script.headers), transport: { headersDelayMs: script.headersDelayMs ?? 0 } };
}

function completionPlan(script: FakeCompletion, request: RecordedRequest): WirePlan {
  const model = script.model ?? (typeof request.body?.model === 'string' ? request.body.model : 'claude-fake');
  const id = script.id ?? `msg_fake_${request.seq}`;
  const pieces = textPieces(script.text, script.textChunks);
  const text = pieces.join('');
  const calls = script.toolCalls ?? [];
  const stopReason = script.finishReason ?? (calls.length > 0 ? 'tool_use' : 'end_turn');
  const usage =
    script.usage === null
      ? { input: 0, output: 0 }
      : (script.usage ?? { input: approxTokens(request.rawBody), output: approxTokens(text + calls.map((c) => c.arguments).join('')) });
  const toolId = (index: number) => calls[index]?.id ?? `toolu_fake_${index}`;

  if (request.body?.stream !== true) {
    return jsonPlan(200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [
        ...(text !== '' ? [{ type: 'text', text }] : []),
        ...calls.map((c, i) => ({ type: 'tool_use', id: toolId(i), name: c.name, input: JSON.parse(c.arguments || '{}') as unknown })),
      ],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output },
    });
  }

  const events: Array<[string, unknown]> = [];
  const ping = () => {
    if (script.pings) events.push(['ping', { type: 'ping' }]);
  };
  events.push([
    'message_start',
    {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input, output_tokens: 1 },
      },
    },
  ]);
  ping();
  let block = 0;
  if (pieces.length > 0) {
    events.push(['content_block_start', { type: 'content_block_start', index: block, content_block: { type: 'text', text: '' } }]);
    for (const piece of pieces) {
      events.push(['content_block_delta', { type: 'content_block_delta', index: block, delta: { type: 'text_delta', text: piece } }]);
      ping();
    }
    events.push(['content_block_stop', { type: 'content_block_stop', index: block }]);
    block++;
  }
  calls.forEach((call, i) => {
    events.push([
      'content_block_start',
      { type: 'content_block_start', index: block, content_block: { type: 'tool_use', id: toolId(i), name: call.name, input: {} } },
    ]);
    for (const part of textPieces(call.arguments, call.argumentChunks, 8)) {
      events.push([
        'content_block_delta',
        { type: 'content_block_delta', index: block, delta: { type: 'input_json_delta', partial_json: part } },
      ]);
    }
    events.push(['content_block_stop', { type: 'content_block_stop', index: block }]);
    block++;
  });
  events.push([
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: script.usage === null ? {} : { output_tokens: usage.output },
    },
  ]);
  events.push(['message_stop', { type: 'message_stop' }]);

  let after: WirePlan['after'] = 'end';
  let sent = events;
  if (script.errorAfterEvents !== undefined) {
    const error = {
      type: 'error',
      error: { type: script.error?.type ?? 'overloaded_error', message: script.error?.message ?? 'Overloaded' },
    };
    sent = [...events.slice(0, script.errorAfterEvents), ['error', error]];
  } else if (script.hangAfterEvents !== undefined) {
    sent = events.slice(0, script.hangAfterEvents);
    after = 'hang';
  } else if (script.dropAfterEvents !== undefined) {
    sent = events.slice(0, script.dropAfterEvents);
    after = 'destroy';
  } else if (script.endAfterEvents !== undefined) {
    sent = events.slice(0, script.endAfterEvents);
  }
  return {
    status: 200,
    headers: SSE_HEADERS,
    segments: sent.map(([name, data]) => sseEvent(JSON.stringify(data), name)),
    transport: script,
    after,
  };
}

export function anthropicPlan(reply: FakeReply, request: RecordedRequest): WirePlan | 'hang' {
  switch (reply.kind) {
    case 'http-error':
      return errorPlan(reply);
    case 'hang':
      return reply.phase === 'before-headers' ? 'hang' : { status: 200, headers: SSE_HEADERS, segments: [], after: 'hang' };
    case 'raw':
      return {
        status: reply.status ?? 200,
        headers: reply.headers ?? SSE_HEADERS,
        segments: [new TextEncoder().encode(reply.body)],
        transport: reply,
      };
    default:
      return completionPlan(reply, request);
  }
}

export async function startFakeAnthropicServer(): Promise<FakeLlmServer> {
  const queue = new ReplyQueue<FakeReply>(DEFAULT_REPLY);
  let models: readonly string[] | FakeHttpError = DEFAULT_MODELS;
  const server = await startFakeHttpServer((request) => {
    if (request.method === 'GET' && request.path === '/v1/models') {
      if (!Array.isArray(models)) return errorPlan(models as FakeHttpError);
      const list = models as readonly string[];
      return jsonPlan(200, {
        data: list.map((id) => ({ type: 'model', id, display_name: `Fake ${id}`, created_at: '2025-01-01T00:00:00Z' })),
        has_more: false,
        first_id: list[0] ?? null,
        last_id: list[list.length - 1] ?? null,
      });
    }
    if (request.method !== 'POST' || request.path !== '/v1/messages') {
      return jsonPlan(404, anthropicErrorBody(404, `no route ${request.method} ${request.path}`));
    }
    return anthropicPlan(queue.next(request), request);
  });
  return Object.assign(server, {
    reply: (...replies: ScriptedReply[]) => queue.push(...replies),
    setDefaultReply: (reply: ScriptedReply) => queue.setDefault(reply),
    setModels: (next: readonly string[] | FakeHttpError) => {
      models = next;
    },
  });
}
