/**
 * When a chat's messages get summarised (long-term memory), as pure rules: whether summaries are on, and which
 * span of the active path is due. The window is the latest `windowMessages` messages (what the prompt still holds);
 * a span is due once `spanMessages` messages beyond it, after the last one already summarised, wait for a summary.
 */
import type { ChatSettings } from '../chats/chat-fields.ts';
import type { UserDefaults } from '../users/user-defaults.ts';

export interface SummaryPolicy {
  windowMessages: number;
  spanMessages: number;
}

export type SummariesSource = 'chat' | 'user_default' | 'built_in';

/** The chat's `memory_summaries`, else the owner's default, else off. */
export function chooseSummaries(chat: Pick<ChatSettings, 'memory_summaries'>, defaults: Pick<UserDefaults, 'memory_summaries'>) {
  if (chat.memory_summaries !== undefined) return { enabled: chat.memory_summaries, source: 'chat' as SummariesSource };
  if (defaults.memory_summaries !== undefined) return { enabled: defaults.memory_summaries, source: 'user_default' as SummariesSource };
  return { enabled: false, source: 'built_in' as SummariesSource };
}

/**
 * The span due for a summary: the first `spanMessages` messages after the newest already-summarised one among
 * those that left the window, or null when fewer wait. `activePath` is oldest first; `summarised` holds the
 * sources of the summaries on this branch.
 */
export function dueSummarySpan(activePath: readonly string[], summarised: ReadonlySet<string>, policy: SummaryPolicy): string[] | null {
  const outside = activePath.slice(0, Math.max(0, activePath.length - policy.windowMessages));
  let start = 0;
  for (let i = outside.length - 1; i >= 0; i--) {
    if (summarised.has(outside[i]!)) {
      start = i + 1;
      break;
    }
  }
  const waiting = outside.slice(start);
  return waiting.length >= policy.spanMessages ? waiting.slice(0, policy.spanMessages) : null;
}

/** A message range of the active path, inclusive, by ids (either order); null when either is not on it. */
export function spanBetween(activePath: readonly string[], fromId: string, toId: string): string[] | null {
  const a = activePath.indexOf(fromId);
  const b = activePath.indexOf(toId);
  if (a < 0 || b < 0) return null;
  return activePath.slice(Math.min(a, b), Math.max(a, b) + 1);
}
