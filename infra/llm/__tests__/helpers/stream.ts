import type { ChatProvider, ChatRequest, ProviderChunk, ProviderError } from '../../index.ts';

/** Consumes a stream, returning its chunks and the error that ended it, if any. */
export async function drain(stream: AsyncIterable<ProviderChunk>): Promise<{ chunks: ProviderChunk[]; error: ProviderError | null }> {
  const chunks: ProviderChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error: error as ProviderError };
  }
}

export function contentOf(chunks: readonly ProviderChunk[]): string {
  return chunks.map((c) => c.choices.map((choice) => choice.delta.content ?? '').join('')).join('');
}

export async function failure(provider: ChatProvider, request: ChatRequest, signal?: AbortSignal): Promise<ProviderError> {
  const { error } = await drain(provider.complete(request, signal ? { signal } : {}));
  if (!error) throw new Error('expected the completion to fail');
  return error;
}

/** Deterministic split points for a body of `length` bytes. */
export function splitPoints(length: number, seed: number, count: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  return Array.from({ length: count }, () => 1 + Math.floor(next() * Math.max(1, length - 1)));
}

export const USER_HELLO: ChatRequest = { model: 'test-model', messages: [{ role: 'user', content: 'Hello?' }] };
