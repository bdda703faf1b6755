/**
 * An OpenAI-shaped chat request as an Anthropic Messages API body.
 *
 * - The leading system messages become the `system` field (joined by a blank line); later system messages
 *   become user turns (Anthropic has no system role inside the conversation).
 * - Messages with a `name` get it as a "Name: " prefix (no name field in the Messages API); example dialogue
 *   names map to `speakerNames`.
 * - Tool calls become `tool_use` blocks, tool results `tool_result` blocks in a user turn.
 * - Consecutive turns of the same role are merged (text joined by a blank line, tool results first), empty
 *   text is dropped, the conversation starts with a user turn (a minimal one is inserted when needed), and a
 *   final assistant turn (a prefill) loses its trailing whitespace, which the API rejects.
 * - `stop` becomes `stop_sequences` (whitespace-only ones are dropped); `user` becomes `metadata.user_id`;
 *   `parallel_tool_calls: false` becomes `tool_choice.disable_parallel_tool_use`; `max_tokens` (or
 *   `max_completion_tokens`) is required, so the configured default fills it. Parameters without an equivalent
 *   reach here only with their neutral value (the API refuses others: parameter-support.ts) and are not sent;
 *   `temperature` is kept in Anthropic's 0..1.
 */
import type { ChatContentPart, ChatMessage, ChatRequest, ChatToolChoice } from '../../shared/llm/chat-types.ts';
import { withoutNeutral } from './parameter-support.ts';

export const FIRST_USER_TURN = '[Start a new chat]';

export type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicBlock[];
}

interface Turn {
  role: 'user' | 'assistant';
  blocks: AnthropicBlock[];
}

function named(text: string, name: string | undefined, request: ChatRequest): string {
  if (!name) return text;
  const speaker =
    name === 'example_user'
      ? (request.speakerNames?.user ?? name)
      : name === 'example_assistant'
        ? (request.speakerNames?.assistant ?? name)
        : name;
  return text.startsWith(`${speaker}: `) ? text : `${speaker}: ${text}`;
}

function imageBlock(url: string): AnthropicBlock | null {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1] as string, data: data[2] as string } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  return null;
}

function contentBlocks(content: string | ChatContentPart[] | null, name: string | undefined, request: ChatRequest): AnthropicBlock[] {
  if (content === null) return [];
  if (typeof content === 'string') return [{ type: 'text', text: named(content, name, request) }];
  const blocks: AnthropicBlock[] = [];
  let first = true;
  for (const part of content) {
    if (part.type === 'text') {
      blocks.push({ type: 'text', text: first ? named(part.text, name, request) : part.text });
      first = false;
    } else {
      const image = imageBlock(part.image_url.url);
      if (image) blocks.push(image);
    }
  }
  return blocks;
}

function toolInput(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON: kept as text below
  }
  return args.trim() === '' ? {} : { input: args };
}

function turnOf(message: ChatMessage, request: ChatRequest): Turn {
  switch (message.role) {
    case 'system':
      return { role: 'user', blocks: contentBlocks(message.content, message.name, request) };
    case 'user':
      return { role: 'user', blocks: contentBlocks(message.content, message.name, request) };
    case 'assistant': {
      const blocks = contentBlocks(message.content, message.name, request);
      for (const call of message.tool_calls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
      }
      return { role: 'assistant', blocks };
    }
    case 'tool':
      return { role: 'user', blocks: [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: message.content }] };
  }
}

/** Adjacent text blocks joined by a blank line; in user turns tool results go first, as the API requires. */
function tidy(turn: Turn): AnthropicMessage {
  const ordered =
    turn.role === 'user'
      ? [...turn.blocks.filter((b) => b.type === 'tool_result'), ...turn.blocks.filter((b) => b.type !== 'tool_result')]
      : turn.blocks;
  const blocks: AnthropicBlock[] = [];
  for (const block of ordered) {
    const previous = blocks[blocks.length - 1];
    if (block.type === 'text' && previous?.type === 'text') previous.text = `${previous.text}\n\n${block.text}`;
    else blocks.push(block.type === 'text' ? { ...block } : block);
  }
  const only = blocks[0];
  return { role: turn.role, content: blocks.length === 1 && only?.type === 'text' ? only.text : blocks };
}

export function anthropicMessages(request: ChatRequest): { system: string; messages: AnthropicMessage[] } {
  const messages = request.messages;
  let start = 0;
  const system: string[] = [];
  while (start < messages.length && messages[start]?.role === 'system') {
    const message = messages[start] as Extract<ChatMessage, { role: 'system' }>;
    if (message.content.trim() !== '') system.push(named(message.content, message.name, request));
    start++;
  }

  const turns: Turn[] = [];
  for (const message of messages.slice(start)) {
    const turn = turnOf(message, request);
    turn.blocks = turn.blocks.filter((b) => b.type !== 'text' || b.text.trim() !== '');
    if (turn.blocks.length === 0) continue;
    const previous = turns[turns.length - 1];
    if (previous && previous.role === turn.role) previous.blocks.push(...turn.blocks);
    else turns.push(turn);
  }
  if (turns[0]?.role !== 'user') turns.unshift({ role: 'user', blocks: [{ type: 'text', text: FIRST_USER_TURN }] });

  const last = turns[turns.length - 1];
  if (last && last.role === 'assistant') {
    const tail = last.blocks[last.blocks.length - 1];
    if (tail?.type === 'text') {
      tail.text = tail.text.trimEnd();
      if (tail.text === '') last.blocks.pop();
    }
    if (last.blocks.length === 0) turns.pop();
  }
  return { system: system.join('\n\n'), messages: turns.map(tidy) };
}

function toolChoice(choice: ChatToolChoice | undefined): Record<string, unknown> | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.function.name };
}

export function anthropicRequestBody(request: ChatRequest, defaultMaxTokens: number): Record<string, unknown> {
  const { system, messages } = anthropicMessages(request);
  const { model: _model, messages: _messages, speakerNames: _names, ...rest } = request;
  const settings = withoutNeutral('anthropic', rest);
  const body: Record<string, unknown> = {};
  if (settings.extra?.top_k !== undefined) body.top_k = settings.extra.top_k;
  body.model = request.model;
  body.messages = messages;
  if (system !== '') body.system = system;
  body.max_tokens = settings.max_tokens ?? defaultMaxTokens;
  body.stream = true;
  if (settings.temperature !== undefined) body.temperature = Math.min(1, Math.max(0, settings.temperature));
  if (settings.top_p !== undefined) body.top_p = settings.top_p;
  const stops = (typeof settings.stop === 'string' ? [settings.stop] : (settings.stop ?? [])).filter((s) => s.trim() !== '');
  if (stops.length > 0) body.stop_sequences = stops;
  if (settings.tools && settings.tools.length > 0) {
    body.tools = settings.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
    const choice = toolChoice(settings.tool_choice) ?? (settings.parallel_tool_calls === false ? { type: 'auto' } : undefined);
    if (choice && settings.parallel_tool_calls === false && choice.type !== 'none') choice.disable_parallel_tool_use = true;
    if (choice) body.tool_choice = choice;
  }
  if (settings.user !== undefined) body.metadata = { user_id: settings.user };
  return body;
}
