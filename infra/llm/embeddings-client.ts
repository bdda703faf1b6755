/**
 * OpenAI-compatible embeddings (`POST {baseUrl}/embeddings`, `{model, input: string[]}` -> `{data: [{index,
 * embedding}]}`): what the optional embedding index of long-term memory calls. Errors are ProviderErrors.
 */
import type { ProviderSettings } from './provider-config.ts';
import { ProviderError } from './provider-errors.ts';

export interface EmbeddingsClient {
  readonly providerName: string;
  /** One vector per input, in input order. */
  embed(model: string, inputs: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export function createEmbeddingsClient(settings: ProviderSettings, fetchImpl: typeof fetch = fetch): EmbeddingsClient {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...settings.headers };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  return {
    providerName: settings.name,
    async embed(model, inputs, signal) {
      if (inputs.length === 0) return [];
      let res: Response;
      try {
        res = await fetchImpl(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model, input: inputs }),
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        throw new ProviderError(
          502,
          'upstream_unreachable',
          `embeddings: ${settings.name} is unreachable`,
          { provider: settings.name },
          { cause: err },
        );
      }
      const text = await res.text();
      if (!res.ok)
        throw new ProviderError(
          502,
          res.status === 429 ? 'upstream_rate_limited' : res.status >= 500 ? 'upstream_server_error' : 'upstream_client_error',
          `embeddings: ${settings.name} answered ${res.status}`,
          {
            provider: settings.name,
            upstreamStatus: res.status,
          },
        );
      let body: { data?: Array<{ index?: number; embedding?: unknown }> };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new ProviderError(502, 'upstream_bad_response', `embeddings: ${settings.name} answered something that is not JSON`, {
          provider: settings.name,
        });
      }
      const data = Array.isArray(body.data) ? body.data : [];
      const out: Array<Float32Array | undefined> = Array.from({ length: inputs.length }, () => undefined);
      for (const [i, item] of data.entries()) {
        const at = typeof item.index === 'number' ? item.index : i;
        if (!Array.isArray(item.embedding) || at < 0 || at >= inputs.length) continue;
        out[at] = Float32Array.from(item.embedding as number[]);
      }
      // Every input needs its vector (a hole in the answer would shift the rest onto the wrong messages).
      if (out.some((v) => v === undefined))
        throw new ProviderError(502, 'upstream_bad_response', `embeddings: ${settings.name} did not return one vector per input`, {
          provider: settings.name,
        });
      return out as Float32Array[];
    },
  };
}
