/**
 * A provider's own model list: OpenAI and the servers that speak its API (`GET {base}/models`, `{data: [{id,
 * created}]}`), Anthropic (`GET {base}/v1/models`, `{data: [{id, display_name, created_at}]}`, paged).
 */
import type { ProviderModel } from '../../shared/llm/chat-provider.ts';
import { parseUpstreamErrorBody } from './upstream-error-body.ts';
import { ProviderCancelledError, ProviderError, upstreamHttpError, upstreamTimeout } from './provider-errors.ts';

export interface ModelListRequest {
  provider: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fetch?: typeof fetch | undefined;
}

const MAX_MODELS = 5000;

function createdOf(entry: Record<string, unknown>): number | undefined {
  if (typeof entry.created === 'number' && Number.isFinite(entry.created)) return Math.floor(entry.created);
  if (typeof entry.created_at === 'string') {
    const ms = Date.parse(entry.created_at);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  return undefined;
}

/** The models of one `{data: [...]}` answer (an Ollama-style `{models: [{name}]}` too). */
export function modelsOfListBody(body: unknown): ProviderModel[] {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const entries = Array.isArray(record.data) ? record.data : Array.isArray(record.models) ? record.models : [];
  const models: ProviderModel[] = [];
  for (const entry of entries.slice(0, MAX_MODELS)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const id = typeof e.id === 'string' ? e.id : typeof e.name === 'string' ? e.name : null;
    if (!id || id.length > 256) continue;
    const created = createdOf(e);
    const name = typeof e.display_name === 'string' ? e.display_name : undefined;
    models.push({ id, ...(created !== undefined ? { created } : {}), ...(name !== undefined ? { name } : {}) });
  }
  return models;
}

/** GETs one model list page as JSON. */
export async function fetchModelList(request: ModelListRequest): Promise<unknown> {
  const { provider, signal } = request;
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  try {
    const res = await (request.fetch ?? fetch)(request.url, {
      method: 'GET',
      headers: { accept: 'application/json', ...request.headers },
      signal: controller.signal,
    });
    const text = await res.text();
    if (!res.ok) {
      const info = parseUpstreamErrorBody(res.status, text);
      const retryAfter = res.headers.get('retry-after');
      throw upstreamHttpError(res.status, info.message, {
        provider,
        ...(info.type ? { upstreamType: info.type } : {}),
        ...(retryAfter ? { retryAfter } : {}),
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ProviderError(
        502,
        'upstream_bad_response',
        'the LLM provider answered its model list with something that is not JSON',
        { provider },
        { cause: error },
      );
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (signal?.aborted) throw new ProviderCancelledError(provider, { cause: error });
    if (timedOut) throw upstreamTimeout('connect', request.timeoutMs, provider);
    throw new ProviderError(
      502,
      'upstream_unreachable',
      `the LLM provider could not be reached: ${(error as Error).message}`,
      { provider },
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}
