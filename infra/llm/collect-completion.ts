/** Non-streaming use of the port: a stream of chunks folded into one `chat.completion`. */
import type { ChatProvider, ProviderCallOptions } from '../../shared/llm/chat-provider.ts';
import type { ChatCompletion, ChatRequest, ChatToolCall, ChatUsage, FinishReason, ProviderChunk } from '../../shared/llm/chat-types.ts';

interface ChoiceState {
  content: string[];
  reasoning: string[];
  toolCalls: Map<number, { id: string; name: string; arguments: string[] }>;
  finishReason: FinishReason | null;
}

export async function collectCompletion(chunks: AsyncIterable<ProviderChunk>): Promise<ChatCompletion> {
  let id = '';
  let model = '';
  let created = 0;
  let usage: ChatUsage | null = null;
  const choices = new Map<number, ChoiceState>();

  for await (const chunk of chunks) {
    id ||= chunk.id;
    model ||= chunk.model;
    created ||= chunk.created;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      let state = choices.get(choice.index);
      if (!state) {
        state = { content: [], reasoning: [], toolCalls: new Map(), finishReason: null };
        choices.set(choice.index, state);
      }
      const delta = choice.delta;
      if (typeof delta.content === 'string') state.content.push(delta.content);
      if (delta.reasoning_content) state.reasoning.push(delta.reasoning_content);
      for (const call of delta.tool_calls ?? []) {
        let acc = state.toolCalls.get(call.index);
        if (!acc) {
          acc = { id: '', name: '', arguments: [] };
          state.toolCalls.set(call.index, acc);
        }
        if (call.id) acc.id = call.id;
        if (call.function?.name) acc.name += call.function.name;
        if (call.function?.arguments) acc.arguments.push(call.function.arguments);
      }
      if (choice.finish_reason) state.finishReason = choice.finish_reason;
    }
  }

  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]) => {
        const toolCalls: ChatToolCall[] = [...state.toolCalls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, call]) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments.join('') } }));
        const text = state.content.join('');
        // Like OpenAI's non-streaming answers: a reply made only of tool calls has `content: null`.
        const content = text === '' && toolCalls.length > 0 ? null : text;
        return {
          index,
          message: {
            role: 'assistant' as const,
            content,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            ...(state.reasoning.length > 0 ? { reasoning_content: state.reasoning.join('') } : {}),
          },
          finish_reason: state.finishReason,
        };
      }),
    usage,
  };
}

/** Calls the provider and waits for the whole reply. */
export function completeOnce(provider: ChatProvider, request: ChatRequest, options?: ProviderCallOptions): Promise<ChatCompletion> {
  return collectCompletion(provider.complete(request, options));
}
