import fetch from 'node-fetch';

/**
 * What SillyTavern 1.12.6's server sends to a "Custom (OpenAI-compatible)" source, replayed without SillyTavern:
 * the same HTTP client (node-fetch 2, on the same Node), the same headers, the same JSON bodies, and the same
 * reading of the answer. Taken from `src/endpoints/backends/chat-completions.js` of the 1.12.6 package:
 * `router.post('/status')` and `router.post('/generate')` (`makeRequest`, `handleErrorResponse`), and
 * `src/util.js` `forwardFetchResponse` for streams.
 */

/** The fields SillyTavern 1.12.6's front end posts to its /generate for the custom source, at its defaults. */
export interface FrontEndGenerateBody {
  messages: Array<{ role: string; content: string }>;
  model: string;
  temperature: number;
  frequency_penalty: number;
  presence_penalty: number;
  top_p: number;
  max_tokens: number;
  stream: boolean;
  logit_bias: Record<string, number>;
  stop?: string[];
  n?: number;
  seed?: number;
  logprobs?: number;
  tools?: unknown;
  tool_choice?: unknown;
}

export function frontEndBody(
  messages: FrontEndGenerateBody['messages'],
  options: { model?: string; stream: boolean },
): FrontEndGenerateBody {
  return {
    messages,
    model: options.model ?? '',
    temperature: 1,
    frequency_penalty: 0,
    presence_penalty: 0,
    top_p: 1,
    max_tokens: 300,
    stream: options.stream,
    logit_bias: {},
  };
}

/** The upstream body exactly as 1.12.6 builds it (`requestBody`); JSON.stringify drops the undefined members. */
export function upstreamBody(body: FrontEndGenerateBody): string {
  const bodyParams: Record<string, unknown> = { logprobs: body.logprobs, top_logprobs: undefined };
  if (typeof body.logprobs === 'number' && body.logprobs > 0) {
    bodyParams.top_logprobs = body.logprobs;
    bodyParams.logprobs = true;
  }
  if (Array.isArray(body.stop) && body.stop.length > 0) bodyParams.stop = body.stop;
  bodyParams.tools = body.tools;
  bodyParams.tool_choice = body.tool_choice;
  const requestBody = {
    messages: body.messages,
    prompt: undefined,
    model: body.model,
    temperature: body.temperature,
    max_tokens: body.max_tokens,
    max_completion_tokens: undefined,
    stream: body.stream,
    presence_penalty: body.presence_penalty,
    frequency_penalty: body.frequency_penalty,
    top_p: body.top_p,
    top_k: undefined,
    stop: body.stop,
    logit_bias: body.logit_bias,
    seed: body.seed,
    n: body.n,
    ...bodyParams,
  };
  return JSON.stringify(requestBody);
}

/** `/status`: `GET <custom_url>/models`; what SillyTavern's server answers its front end. */
export async function statusCheck(customUrl: string, apiKey: string): Promise<{ ok: boolean; data: any }> {
  const response = await fetch(customUrl + '/models', { method: 'GET', headers: { Authorization: 'Bearer ' + apiKey } });
  if (response.ok) return { ok: true, data: await response.json() };
  await response.text();
  return { ok: false, data: { error: true, can_bypass: true, data: { data: [] } } };
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  402: 'Credit limit reached',
  403: 'Forbidden',
  404: 'Not found',
  429: 'Too many requests',
  451: 'Unavailable for legal reasons',
  502: 'Bad gateway',
};

export interface GenerateAnswer {
  /** The status and body SillyTavern's server answers its front end with. */
  status: number;
  body: string;
  /** Non-streamed: the parsed answer (`{error: {message}, quota_error}` on a failure). */
  json?: any;
}

/**
 * `/generate`: `POST <custom_url>/chat/completions`. A stream is piped through as it came (status and body); a
 * non-streamed failure becomes `{error: {message}}` with the provider's `error.message` or a bare status text. A
 * 429 is retried by SillyTavern after 5 s; the replay reports it instead of waiting.
 */
export async function generate(customUrl: string, apiKey: string, body: FrontEndGenerateBody): Promise<GenerateAnswer> {
  const controller = new AbortController();
  const response = await fetch(`${customUrl}/chat/completions`, {
    method: 'post',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + apiKey },
    body: upstreamBody(body),
    signal: controller.signal as never,
    timeout: 0,
  });
  if (body.stream) {
    return { status: response.status === 401 ? 400 : response.status, body: await response.text() };
  }
  if (response.ok) {
    const json = await response.json();
    return { status: 200, body: JSON.stringify(json), json };
  }
  const responseText = await response.text();
  let errorData: any;
  try {
    errorData = JSON.parse(responseText);
  } catch {
    errorData = undefined;
  }
  const message = errorData?.error?.message || STATUS_MESSAGES[response.status] || 'Unknown error occurred';
  const quota_error = response.status === 429 && errorData?.error?.type === 'insufficient_quota';
  const json = { error: { message }, quota_error, retried_after_5s: response.status === 429 };
  return { status: 200, body: JSON.stringify(json), json };
}

/** The `data:` payloads of an SSE body. */
export function sseData(body: string): string[] {
  return body
    .replace(/\r\n?/g, '\n')
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n'),
    )
    .filter((data) => data !== '');
}

/** The reply text of a chat.completion.chunk stream, as 1.12.6's front end adds it up. */
export function streamedText(body: string): string {
  let text = '';
  for (const data of sseData(body)) {
    if (data === '[DONE]') break;
    const parsed = JSON.parse(data);
    if (!Array.isArray(parsed?.choices)) break;
    text += parsed.choices[0]?.delta?.content ?? '';
  }
  return text;
}
