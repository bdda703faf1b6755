/**
 * A fake OpenAI-compatible upstream: `POST /v1/chat/completions`, streamed as `chat.completion.chunk` SSE events
 * ending with `data: [DONE]` (usage chunk when `stream_options.include_usage`), or one `chat.completion` JSON
 * when `stream` is false. Errors use OpenAI's `{ error: { message, type, param, code } }`.
 *
 *   const upstream = await startFakeOpenAIServer();
 *   upstream.reply({ text: 'Hello, traveler.', chunkBytes: 1 });
 *   // ... point a client at upstream.url (the base URL, ending in /v1) ...
 *   upstream.requests[0].body.messages
 *   await upstream.close();
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

export const FAKE_CREATED = 1_700_000_000;
const DEFAULT_REPLY: FakeCompletion = { text: 'Hello from the fake OpenAI server.' };

const OPENAI_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_api_key',
  403: 'permission_denied',
  404: 'not_found_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
};

export function openAIErrorBody(status: number, message?: string, type?: string): unknown {
  return {
    error: {
      message: message ?? `fake upstream error ${status}`,
      type: type ?? OPENAI_ERROR_TYPES[status] ?? 'server_error',
      param: null,
      code: null,
    },
  };
}

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function errorPlan(script: FakeHttpError): WirePlan {
  const body = script.body ?? openAIErrorBody(script.status, script.message, script.type);
  return { ...jsonPlan(script.status, body, script.headers), transport: { headersDelayMs: script.headersDelayMs ?? 0 } };
}

function completionPlan(script: FakeCompletion, request: RecordedRequest, seq: number): WirePlan {
  const model = script.model ?? (typeof request.body?.model === 'string' ? request.body.model : 'fake-model');
  const id = script.id ?? `chatcmpl-fake-${seq}`;
  const pieces = textPieces(script.text, script.textChunks);
  const calls = script.toolCalls ?? [];
  const finishReason = script.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  const text = pieces.join('');
  const usage =
    script.usage === null
      ? null
      : (script.usage ?? { input: approxTokens(request.rawBody), output: approxTokens(text + calls.map((c) => c.arguments).join('')) });

  if (request.body?.stream !== true) {
    return jsonPlan(200, {
      id,
      object: 'chat.completion',
      created: FAKE_CREATED,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: calls.length > 0 && text === '' ? null : text,
            ...(calls.length > 0
              ? {
                  tool_calls: calls.map((c, i) => ({
                    id: c.id ?? `call_${i}`,
                    type: 'function',
                    function: { name: c.name, arguments: c.arguments },
                  })),
                }
              : {}),
          },
          finish_reason: finishReason,
        },
      ],
      ...(usage
        ? { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } }
        : {}),
    });
  }

  const chunk = (delta: unknown, finish: string | null = null) =>
    JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created: FAKE_CREATED,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const events: string[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of pieces) events.push(chunk({ content: piece }));
  calls.forEach((call, index) => {
    events.push(
      chunk({ tool_calls: [{ index, id: call.id ?? `call_${index}`, type: 'function', function: { name: call.name, arguments: '' } }] }),
    );
    for (const part of textPieces(call.arguments, call.argumentChunks, 8)) {
      events.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    }
  });
  events.push(chunk({}, finishReason));
  if (usage && request.body?.stream_options?.include_usage === true) {
    events.push(
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created: FAKE_CREATED,
        model,
        choices: script.usageChoices === 'null' ? null : [],
        usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
      }),
    );
  }
  if (!script.omitDone) events.push('[DONE]');

  let after: WirePlan['after'] = 'end';
  let sent = events;
  if (script.errorAfterEvents !== undefined) {
    const error = {
      error: {
        message: script.error?.message ?? 'The server had an error while processing your request.',
        type: script.error?.type ?? 'server_error',
        param: null,
        code: null,
      },
    };
    sent = [...events.slice(0, script.errorAfterEvents), JSON.stringify(error)];
  } else if (script.hangAfterEvents !== undefined) {
    sent = events.slice(0, script.hangAfterEvents);
    after = 'hang';
  } else if (script.dropAfterEvents !== undefined) {
    sent = events.slice(0, script.dropAfterEvents);
    after = 'destroy';
  } else if (script.endAfterEvents !== undefined) {
    sent = events.slice(0, script.endAfterEvents);
  }
  return { status: 200, headers: SSE_HEADERS, segments: sent.map((data) => sseEvent(data)), transport: script, after };
}

export function openAIPlan(reply: FakeReply, request: RecordedRequest): WirePlan | 'hang' {
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
      return completionPlan(reply, request, request.seq);
  }
}

export async function startFakeOpenAIServer(): Promise<FakeLlmServer> {
  const queue = new ReplyQueue<FakeReply>(DEFAULT_REPLY);
  let models: readonly string[] | FakeHttpError = DEFAULT_MODELS;
  const server = await startFakeHttpServer(
    (request) => {
      if (request.method === 'GET' && request.path.endsWith('/models')) {
        if (!Array.isArray(models)) return errorPlan(models as FakeHttpError);
        const list = models as readonly string[];
        return jsonPlan(200, {
          object: 'list',
          data: list.map((id) => ({ id, object: 'model', created: FAKE_CREATED, owned_by: 'fake' })),
        });
      }
      if (request.method !== 'POST' || !request.path.endsWith('/chat/completions')) {
        return jsonPlan(404, openAIErrorBody(404, `no route ${request.method} ${request.path}`));
      }
      return openAIPlan(queue.next(request), request);
    },
    { pathPrefix: '/v1' },
  );
  return Object.assign(server, {
    reply: (...replies: ScriptedReply[]) => queue.push(...replies),
    setDefaultReply: (reply: ScriptedReply) => queue.setDefault(reply),
    setModels: (next: readonly string[] | FakeHttpError) => {
      models = next;
    },
  });
}
