/**
 * SillyTavern's browser front end, reduced to what it does on the network and what it shows: the calls it makes
 * to its own server for the "Chat Completion -> Custom (OpenAI-compatible)" source, with the bodies it builds, and
 * the texts a user reads afterwards (the connection status, the model list, the reply, the error toasts). Each
 * rule cites the function of `public/scripts/openai.js` it follows; where 1.12.6 and 1.19.0 differ, both are here.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  name?: string;
}

export interface Connection {
  /** The status line under the Connect button: `Valid`, or `Status check bypassed` when the check failed. */
  status: string;
  /** The model ids in the dropdown, in the front end's order (saveModelList sorts them by id). */
  modelIds: string[];
  /** What the front end selects by itself when no model was chosen yet: the first id of the sorted list. */
  autoSelected: string;
  /** SillyTavern server's answer to /status, as is. */
  raw: unknown;
}

export interface Reply {
  /** The reply text the chat shows (for a stream: everything received before it ended or failed). */
  text: string;
  /** The error toasts shown, in order (what the user reads when something went wrong). */
  toasts: string[];
  /** The "check your credits" pop-up (`quota_error`), which a rate limit must never raise. */
  quotaPopup: boolean;
  /** True when the front end's request failed (non-2xx, or the stream or JSON could not be read). */
  failed: boolean;
  /** The HTTP status of SillyTavern server's answer and its status text. */
  status: number;
  statusText: string;
  /** Milliseconds from sending to the end of the answer. */
  elapsedMs: number;
}

export interface GenerateOptions {
  customUrl: string;
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  /** `{{user}}` and `{{char}}` as the front end sends them (`name1`, `name2`). */
  userName?: string;
  charName?: string;
  /** The connection's "Additional Parameters" → "Include Body Parameters": YAML that SillyTavern's server merges
   * into the body it sends (`custom_include_body`, mergeObjectWithYaml). */
  includeBody?: string;
}

const isModern = (version: string) => !version.startsWith('1.12.');

/** The browser side of one SillyTavern tab: its CSRF token and cookies. */
export class SillyTavernFrontEnd {
  readonly #base: string;
  readonly version: string;
  readonly #cookies = new Map<string, string>();
  #token = '';

  constructor(sillyTavernUrl: string, version: string) {
    this.#base = sillyTavernUrl;
    this.version = version;
  }

  /** Page load: `GET /csrf-token` (script.js), keeping the session and CSRF cookies it sets. */
  async open(): Promise<void> {
    const res = await this.#fetch('GET', '/csrf-token');
    if (!res.ok) throw new Error(`GET /csrf-token: ${res.status}`);
    this.#token = ((await res.json()) as { token: string }).token;
  }

  /** secrets.js `writeSecret('api_key_custom', key)`: `{key, value}` in 1.12.6, `{key, value, label}` in 1.19.0. */
  async writeCustomKey(value: string): Promise<void> {
    const body = isModern(this.version)
      ? { key: 'api_key_custom', value, label: `Key ${new Date().toISOString()}` }
      : { key: 'api_key_custom', value };
    const res = await this.#fetch('POST', '/api/secrets/write', body);
    if (!res.ok) throw new Error(`POST /api/secrets/write: ${res.status} ${await res.text()}`);
    await res.text();
  }

  /** openai.js `getStatusOpen` then `saveModelList`: what the Connect button shows. */
  async connect(customUrl: string): Promise<Connection> {
    const body = {
      reverse_proxy: '',
      proxy_password: '',
      chat_completion_source: 'custom',
      custom_url: customUrl,
      custom_include_headers: '',
    };
    // The custom source can bypass the check: the status says so until a check succeeds.
    let status = 'Status check bypassed';
    let modelIds: string[] = [];
    let raw: unknown;
    const res = await this.#fetch('POST', '/api/backends/chat-completions/status', body);
    if (res.ok) {
      raw = await res.json();
      const data = raw as { data?: unknown; error?: unknown };
      if (data && 'data' in data && Array.isArray(data.data)) {
        const models = (data.data as Array<{ id?: string }>).map((m) => ({ ...m }));
        // saveModelList's comparator, as written (it returns a falsy non-number for missing ids)
        models.sort((a, b) => (a?.id && b?.id && a.id.localeCompare(b.id)) || 0);
        modelIds = models.map((m) => m.id).filter((id): id is string => typeof id === 'string');
      }
      if (!(data && typeof data === 'object' && 'error' in data)) status = 'Valid';
    } else {
      raw = await res.text();
    }
    return { status, modelIds, autoSelected: modelIds[0] ?? '', raw };
  }

  /** openai.js `sendOpenAIRequest` (1.12.6) / `createGenerationParameters` + `sendOpenAIRequest` (1.19.0). */
  async generate(options: GenerateOptions): Promise<Reply> {
    const started = Date.now();
    const res = await this.#fetch('POST', '/api/backends/chat-completions/generate', this.generateBody(options));
    const reply: Reply = {
      text: '',
      toasts: [],
      quotaPopup: false,
      failed: false,
      status: res.status,
      statusText: res.statusText,
      elapsedMs: 0,
    };
    const done = () => ({ ...reply, elapsedMs: Date.now() - started });
    if (!res.ok) {
      this.#tryParseStreamingError(reply, await res.text());
      reply.failed = true;
      return done();
    }
    if (options.stream) {
      await this.#readStream(res, reply);
      return done();
    }
    let data: any;
    try {
      data = await res.json();
    } catch {
      reply.failed = true;
      return done();
    }
    if (data?.quota_error) {
      reply.quotaPopup = true;
      reply.failed = true;
      return done();
    }
    if (data?.error) {
      reply.toasts.push(isModern(this.version) ? this.#errorMessage(data, reply) : String(data.error.message || reply.statusText));
      reply.failed = true;
      return done();
    }
    // script.js extractMessageFromData for chat completion sources
    reply.text = String(data?.choices?.[0]?.message?.content ?? data?.choices?.[0]?.text ?? '');
    return done();
  }

  /** The JSON body the front end posts to /generate for the custom source, with its default settings. */
  generateBody(options: GenerateOptions): Record<string, unknown> {
    const common = {
      messages: options.messages,
      model: options.model,
      temperature: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      top_p: 1,
      max_tokens: 300,
      stream: options.stream,
    };
    const names = { user_name: options.userName ?? 'User', char_name: options.charName ?? 'Seraphina' };
    if (!isModern(this.version)) {
      return {
        ...common,
        logit_bias: {},
        chat_completion_source: 'custom',
        ...names,
        custom_url: options.customUrl,
        custom_include_body: options.includeBody ?? '',
        custom_exclude_body: '',
        custom_include_headers: '',
        custom_prompt_post_processing: '',
      };
    }
    return {
      type: 'normal',
      ...common,
      chat_completion_source: 'custom',
      ...names,
      group_names: [],
      include_reasoning: true,
      enable_web_search: false,
      request_images: false,
      request_image_resolution: '',
      request_image_aspect_ratio: '',
      custom_prompt_post_processing: '',
      custom_url: options.customUrl,
      custom_include_body: options.includeBody ?? '',
      custom_exclude_body: '',
      custom_include_headers: '',
    };
  }

  async #readStream(res: Response, reply: Reply): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body!.getReader();
    // `[DONE]` ends the reply but not the response: the browser reads on to its end (closing early would make
    // SillyTavern's server destroy its upstream socket). A failed reply aborts the request (onErrorStreaming).
    const handle = (rawData: string): 'continue' | 'done' | 'abort' => {
      if (rawData === '[DONE]') return 'done';
      this.#tryParseStreamingError(reply, rawData);
      let parsed: any;
      try {
        parsed = JSON.parse(rawData);
      } catch {
        reply.failed = true;
        return 'abort';
      }
      if (isModern(this.version)) {
        reply.text += String(
          parsed?.choices?.[0]?.delta?.content ?? parsed?.choices?.[0]?.message?.content ?? parsed?.choices?.[0]?.text ?? '',
        );
        return 'continue';
      }
      // 1.12.6 getStreamingReply reads `data.choices[0]` unguarded: an event without choices ends the reply
      if (!Array.isArray(parsed?.choices)) {
        reply.failed = true;
        return 'abort';
      }
      reply.text += String(parsed.choices[0]?.delta?.content ?? parsed.choices[0]?.message?.content ?? parsed.choices[0]?.text ?? '');
      return 'continue';
    };
    let finished = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (finished) continue;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).replace(/^ /, ''))
            .join('\n');
          if (data === '') continue;
          const next = handle(data);
          if (next === 'abort') {
            await reader.cancel().catch(() => undefined);
            return;
          }
          if (next === 'done') {
            finished = true;
            break;
          }
        }
      }
    } catch {
      reply.failed = true;
    }
  }

  /** openai.js `tryParseStreamingError` (and `checkQuotaError`): the toast for an error body or event. */
  #tryParseStreamingError(reply: Reply, decoded: string): void {
    let data: any;
    try {
      data = JSON.parse(decoded);
    } catch {
      return; // "No JSON. Do nothing."
    }
    if (!data) return;
    if (data.quota_error) {
      reply.quotaPopup = true;
      return;
    }
    if (data.error) {
      reply.toasts.push(isModern(this.version) ? this.#errorMessage(data, reply) : String(data.error.message || reply.statusText));
    } else if (data.message) {
      reply.toasts.push(String(data.message));
    } else if (isModern(this.version) && data.detail) {
      reply.toasts.push(this.#errorMessage(data, reply));
    }
  }

  /** 1.19.0 `getChatCompletionErrorMessage`. */
  #errorMessage(data: any, reply: Reply): string {
    const error = data?.error ?? data?.detail?.error;
    const message = typeof error === 'string' ? error : error?.message || error?.code || error?.type;
    return String(message || (reply.status >= 400 && reply.statusText) || 'Unknown error');
  }

  async #fetch(method: string, urlPath: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.#token) headers['X-CSRF-Token'] = this.#token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.#cookies.size > 0) headers.Cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${this.#base}${urlPath}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: 'no-cache',
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      if (eq > 0) this.#cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return res;
  }
}
