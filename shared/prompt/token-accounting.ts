/**
 * Token cost of chat messages, counted the way OpenAI documents it for its chat models: 3 tokens of framing per
 * message, the role, the content, the name (+1), and 3 tokens priming the reply. Tool calls are counted as their
 * JSON. The same rule is applied with every tokenizer family, so budgets are comparable across models.
 */
import type { TokenCounter } from '../tokenizer/index.ts';
import type { PromptMessage } from './prompt-types.ts';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;

export function messageTokens(message: PromptMessage, counter: TokenCounter): number {
  let tokens = TOKENS_PER_MESSAGE + counter.count(message.role) + counter.count(message.content);
  if (message.role === 'tool') return tokens + counter.count(message.tool_call_id);
  if (message.name) tokens += TOKENS_PER_NAME + counter.count(message.name);
  if (message.role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) {
    tokens += counter.count(JSON.stringify(message.tool_calls));
  }
  return tokens;
}
