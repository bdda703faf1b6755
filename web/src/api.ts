/** The console's only door to the service: same-origin fetches carrying the API key. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Page<T> {
  items: T[];
  total?: number;
  next_offset?: number | null;
  next_cursor?: string | null;
  has_more?: boolean;
}

async function failure(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = await res.json();
    code = body.code ?? body.error?.code ?? code;
    message = body.detail ?? body.error?.message ?? body.title ?? message;
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, code, message);
}

export class Api {
  private readonly blobUrls = new Map<string, Promise<string | null>>();

  constructor(readonly key: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'X-API-KEY': this.key, ...extra };
  }

  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await failure(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.json<T>('GET', path, undefined, signal);
  }

  async upload<T>(path: string, file: File, field = 'file'): Promise<T> {
    const form = new FormData();
    form.append(field, file, file.name);
    const res = await fetch(path, { method: 'POST', headers: this.headers(), body: form });
    if (!res.ok) throw await failure(res);
    return (await res.json()) as T;
  }

  /** A file download (exports) as a Blob with the server's file name. */
  async download(path: string): Promise<{ blob: Blob; filename: string }> {
    const res = await fetch(path, { headers: this.headers() });
    if (!res.ok) throw await failure(res);
    const disposition = res.headers.get('content-disposition') ?? '';
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    return { blob: await res.blob(), filename: match ? decodeURIComponent(match[1]!) : 'download' };
  }

  /** An authenticated image as an object URL (an <img> cannot send the key); null when there is none. */
  imageUrl(path: string, version = ''): Promise<string | null> {
    const cacheKey = `${path}#${version}`;
    let url = this.blobUrls.get(cacheKey);
    if (!url) {
      url = fetch(path, { headers: this.headers() })
        .then(async (res) => (res.ok ? URL.createObjectURL(await res.blob()) : null))
        .catch(() => null);
      this.blobUrls.set(cacheKey, url);
    }
    return url;
  }

  /** POSTs and reads a Server-Sent Events answer: yields each `data:` payload (parsed JSON) until `[DONE]`. */
  async *stream(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<any> {
    const res = await fetch(path, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
      body: JSON.stringify(body),
      signal,
    });
    if (!res.ok || !res.body) throw await failure(res);
    yield* sseData(res.body);
  }

  /** GETs a long-lived SSE feed (the event stream) and yields each event's parsed data; `onOpen` once it is live. */
  async *feed(path: string, signal: AbortSignal, onOpen: () => void): AsyncGenerator<any> {
    const res = await fetch(path, { headers: this.headers({ accept: 'text/event-stream' }), signal });
    if (!res.ok || !res.body) throw await failure(res);
    onOpen();
    yield* sseData(res.body);
  }
}

/** The `data:` payloads of an SSE byte stream, one per event, parsed as JSON; ends at `[DONE]` or the stream's end. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<any> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length) {
            const payload = data.join('\n');
            data = [];
            if (payload === '[DONE]') return;
            try {
              yield JSON.parse(payload);
            } catch {
              /* a non-JSON data line (a comment-like keep-alive): skip */
            }
          }
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
