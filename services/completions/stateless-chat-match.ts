/**
 * Which stored chat a stateless client's request belongs to. A client such as SillyTavern sends the whole history it
 * shows with every request and no conversation id: matched by role and content against the active paths of the
 * caller's recent chats with the character, a request whose turns extend a chat's path continues that chat, one that
 * repeats the path up to its last reply (a swipe, a regenerate) asks for an alternate of that reply, and any other
 * history is a new chat.
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import { createCompletionQueries } from '../../queries/completion-queries.ts';
import { contentText } from '../../shared/completions/completion-turn.ts';
import type { ChatMessage } from '../../shared/llm/chat-types.ts';

/** The chats (most recently active first) a request is compared with, and the path length read of each. */
const MAX_CANDIDATE_CHATS = 20;
const MAX_PATH = 5000;

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface StatelessChatMatch {
  chatId: string;
  /** normal: the request's new user turn(s) and the reply go after the path; regenerate: a new alternate of the last reply. */
  mode: 'normal' | 'regenerate';
}

/** The user and assistant turns of a request, in order (system and tool messages are not the chat's turns). */
export function requestTurns(messages: readonly ChatMessage[]): ChatTurn[] {
  return messages.flatMap((m) => (m.role === 'user' || m.role === 'assistant' ? [{ role: m.role, content: contentText(m.content) }] : []));
}

/* The first assistant turn is the greeting: the client shows its own copy of the card's (often with the names filled
 * in differently), so a greeting matches a greeting whatever its words. */
const sameTurn = (a: ChatTurn, b: ChatTurn, index: number) =>
  a.role === b.role && (a.content === b.content || (index === 0 && a.role === 'assistant'));

const startsWith = (turns: readonly ChatTurn[], prefix: readonly ChatTurn[]) => prefix.every((p, i) => sameTurn(turns[i]!, p, i));

/** How a request's turns relate to a chat's active path: it continues it, it swipes its last reply, or neither. */
export function relationToPath(request: readonly ChatTurn[], path: readonly ChatTurn[]): StatelessChatMatch['mode'] | null {
  const last = path.at(-1);
  if (!last || last.role !== 'assistant') return null;
  if (request.length > path.length && startsWith(request, path) && request.slice(path.length).every((t) => t.role === 'user'))
    return 'normal';
  if (request.length === path.length - 1 && request.at(-1)?.role === 'user' && startsWith(request, path.slice(0, -1))) return 'regenerate';
  return null;
}

export function createStatelessChatMatcher(db: Kysely<ReadModels>, schema: string) {
  const chats = createChatQueries(db, schema);
  const completions = createCompletionQueries(db, schema);

  /** The caller's chat with the character that the request continues or swipes in, the most recently active first. */
  return async function matchStatelessChat(
    ownerId: string,
    characterId: string,
    messages: readonly ChatMessage[],
  ): Promise<StatelessChatMatch | null> {
    const request = requestTurns(messages);
    if (request.at(-1)?.role !== 'user') return null;
    const { items } = await chats.list(ownerId, { characterId, limit: MAX_CANDIDATE_CHATS, offset: 0, deleted: 'exclude' });
    for (const chat of items) {
      const path = (await completions.activePath(chat.id, MAX_PATH)).flatMap((m): ChatTurn[] =>
        m.sender === 'user' || m.sender === 'assistant' ? [{ role: m.sender, content: m.content }] : [],
      );
      const mode = relationToPath(request, path);
      if (mode) return { chatId: chat.id, mode };
    }
    return null;
  };
}
