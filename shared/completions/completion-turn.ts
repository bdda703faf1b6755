/**
 * Pure pieces of a character completion: which of a request's messages are new (the turn), how stored chat
 * messages become prompt history (tool calls and results included), and the lorebook summary kept with a reply.
 */
import type { ChatMessage } from '../llm/chat-types.ts';
import type { AssembledPrompt, PromptHistoryMessage, PromptToolCall } from '../prompt/index.ts';

/** A stored message as the read model gives it. */
export interface StoredMessage {
  id: string;
  sender: string;
  name: string | null;
  /** A group chat's assistant message: the member who said it. */
  speakerId?: string | null;
  content: string;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  /** The message's image (a blob), if it has one. */
  image?: { sha256: string; mediaType: string } | null;
}

/** A new message of the turn, before the reply: the user's message, tool results, instructions. */
export interface TurnMessage {
  role: 'user' | 'system' | 'tool';
  content: string;
  name?: string;
  toolCallId?: string;
  /** A user message's image (its first image part's URL): stored with the message and sent with the prompt. */
  imageUrl?: string;
}

export interface SplitRequest {
  /** Messages before the turn (the history when the chat has none of its own). */
  earlier: PromptHistoryMessage[];
  /** The new messages after the last assistant message, except a final user message. */
  turn: TurnMessage[];
  /** The final user message (the user turn of the prompt), if the request ends with one. */
  userTurn: TurnMessage | null;
}

/** The URL of a message's first image part, if it has one (a stored message holds one image). */
export function firstImageUrl(content: ChatMessage['content']): string | undefined {
  if (content === null || typeof content === 'string') return undefined;
  return content.find((p) => p.type === 'image_url')?.image_url.url;
}

/** The text of a message's content (image parts go beside the prompt's text: see firstImageUrl). */
export function contentText(content: ChatMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
}

function toHistory(m: ChatMessage): PromptHistoryMessage | null {
  if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: m.tool_call_id };
  if (m.role === 'assistant') {
    return {
      role: 'assistant',
      content: contentText(m.content),
      ...(m.name ? { name: m.name } : {}),
      ...(m.tool_calls?.length ? { tool_calls: m.tool_calls as PromptToolCall[] } : {}),
    };
  }
  return { role: m.role, content: contentText(m.content), ...(m.name ? { name: m.name } : {}) };
}

/**
 * Splits an OpenAI request's messages: everything up to the last assistant message is earlier conversation; what
 * follows is the new turn, and a final user message is the prompt's user turn (so the post-history instructions
 * follow it, as in SillyTavern).
 */
export function splitRequestMessages(messages: readonly ChatMessage[]): SplitRequest {
  let lastAssistant = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'assistant') {
      lastAssistant = i;
      break;
    }
  }
  const earlier = messages.slice(0, lastAssistant + 1).flatMap((m) => toHistory(m) ?? []);
  const turn: TurnMessage[] = messages.slice(lastAssistant + 1).map((m) =>
    m.role === 'tool'
      ? { role: 'tool', content: m.content, toolCallId: m.tool_call_id }
      : {
          role: m.role === 'user' ? 'user' : 'system',
          content: contentText(m.content),
          ...(m.name ? { name: m.name } : {}),
          ...(m.role === 'user' && firstImageUrl(m.content) ? { imageUrl: firstImageUrl(m.content)! } : {}),
        },
  );
  const last = turn[turn.length - 1];
  const userTurn = last && last.role === 'user' ? last : null;
  return { earlier, turn: userTurn ? turn.slice(0, -1) : turn, userTurn };
}

export function turnToHistory(m: TurnMessage): PromptHistoryMessage {
  if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
  return { role: m.role, content: m.content, ...(m.name ? { name: m.name } : {}) };
}

/** How a turn message is stored: tool results are system messages that remember their role and call. */
export function turnToStored(m: TurnMessage): { sender: 'user' | 'system'; name: string | null; metadata: Record<string, unknown> | null } {
  if (m.role === 'tool') return { sender: 'system', name: null, metadata: { role: 'tool', tool_call_id: m.toolCallId ?? null } };
  return { sender: m.role, name: m.name ?? null, metadata: null };
}

const isToolCall = (v: unknown): v is PromptToolCall => {
  const c = v as PromptToolCall;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.id === 'string' &&
    typeof c.function?.name === 'string' &&
    typeof c.function.arguments === 'string'
  );
};

/** A stored message as prompt history: tool calls kept with the assistant message, tool results as `tool`. */
export function storedToHistory(m: StoredMessage): PromptHistoryMessage {
  const meta = m.metadata ?? {};
  if (meta.role === 'tool' && typeof meta.tool_call_id === 'string')
    return { id: m.id, role: 'tool', content: m.content, tool_call_id: meta.tool_call_id, sentAt: m.createdAt };
  const role = m.sender === 'assistant' || m.sender === 'system' ? m.sender : 'user';
  const calls = Array.isArray(meta.tool_calls) ? meta.tool_calls.filter(isToolCall) : [];
  return {
    id: m.id,
    role,
    content: m.content,
    ...(m.name ? { name: m.name } : {}),
    sentAt: m.createdAt,
    ...(role === 'assistant' && calls.length > 0 ? { tool_calls: calls } : {}),
  };
}

/** At most this many activated entries are listed in a message's metadata. */
const MAX_LISTED_ENTRIES = 50;

/** The lorebook part of a reply's metadata: what fired and why, what the budget allowed. */
export function lorebookSummary(prompt: AssembledPrompt): Record<string, unknown> | null {
  const wi = prompt.worldInfo;
  if (!wi) return null;
  const skipped: Record<string, number> = {};
  for (const d of wi.diagnostics) if (d.status === 'skipped') skipped[d.reason] = (skipped[d.reason] ?? 0) + 1;
  return {
    activated: wi.activated.slice(0, MAX_LISTED_ENTRIES).map((a) => ({
      book_id: a.bookId,
      book: a.bookName,
      uid: a.uid ?? null,
      ...(a.comment ? { comment: a.comment.slice(0, 200) } : {}),
      position: a.position,
      reason: a.reason,
      tokens: a.tokens,
    })),
    activated_count: wi.activated.length,
    skipped_by_reason: skipped,
    tokens_used: wi.tokensUsed,
    budget: wi.budget,
    budget_overflowed: wi.budgetOverflowed,
    ...(wi.warnings.length > 0 ? { warnings: wi.warnings.slice(0, 10) } : {}),
  };
}
