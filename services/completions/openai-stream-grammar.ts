/**
 * OpenAI's `chat.completion.chunk` stream grammar, as clients rely on it: a role chunk, content and tool-call
 * deltas, the finish chunk, then (only with `stream_options.include_usage`) one usage chunk with `choices: []`,
 * then `[DONE]`. Providers report usage in chunks of their own (always asked for upstream, for accounting); here
 * they are held back, and so is the finish chunk, which carries the completion's own members (the conversation,
 * the stored messages) once the job is done: a loop over `chunk.choices[0].delta` never meets an empty chunk.
 */
import type { ChatUsage, ProviderChunk } from '../../shared/llm/chat-types.ts';
import type { CompletionResult } from '../../shared/completions/completion-job.ts';

export function createOpenAIStreamGrammar(options: { includeUsage: boolean }) {
  const held: Array<{ id: string; chunk: ProviderChunk }> = [];
  let usage: ChatUsage | null = null;
  let last: Pick<ProviderChunk, 'id' | 'created' | 'model'> | null = null;

  /** As OpenAI does with include_usage: every other chunk has `usage: null`; without it, no `usage` member. */
  const shaped = (chunk: ProviderChunk): ProviderChunk => {
    const { usage: _usage, ...rest } = chunk;
    return options.includeUsage ? { ...rest, usage: null } : rest;
  };

  return {
    /** The chunk to send now, or null when it is held back (usage, finish) or has nothing to say. */
    chunk(chunk: ProviderChunk, eventId: string): ProviderChunk | null {
      last = { id: chunk.id, created: chunk.created, model: chunk.model };
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices.length === 0) return null;
      if (chunk.choices.some((c) => c.finish_reason !== null)) {
        held.push({ id: eventId, chunk: shaped(chunk) });
        return null;
      }
      return shaped(chunk);
    },
    /**
     * The events that end the stream before `[DONE]`: the finish chunk (with its event id, so Last-Event-ID still
     * resumes) carrying the trailer's members, then the usage chunk.
     */
    end(result: CompletionResult, trailer: Record<string, unknown> | null): Array<{ id?: string; chunk: Record<string, unknown> }> {
      const base = last ?? { id: result.completion.id, created: result.completion.created, model: result.model };
      const out: Array<{ id?: string; chunk: Record<string, unknown> }> = held.map((h) => ({ id: h.id, chunk: { ...h.chunk } }));
      if (out.length === 0) {
        // A run that never sent a finish chunk: say how it ended.
        const finish = result.completion.choices[0]?.finish_reason ?? 'stop';
        out.push({
          chunk: { ...shaped({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: finish }] }) },
        });
      }
      if (trailer) Object.assign((out[out.length - 1] as { chunk: object }).chunk, trailer);
      if (options.includeUsage)
        out.push({ chunk: { ...base, object: 'chat.completion.chunk', choices: [], usage: result.completion.usage ?? usage } });
      return out;
    },
  };
}
