/**
 * Recall in the prompt: the turns of the chat's active branch that the context window no longer holds, found by
 * memory search with a query made of the latest turns, inserted at a depth and role like a lorebook entry
 * through the chat's template, within a share of the context. Never a turn the window still holds.
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createMemorySearch } from '../../queries/memory-search.ts';
import type { MemoryHit } from '../../shared/memory/memory-ranking.ts';
import { MEMORY_PLACEHOLDER, type ResolvedMemorySettings } from '../../shared/memory/memory-settings.ts';
import type { InjectionRole, PromptHistoryMessage } from '../../shared/prompt/index.ts';
import type { TokenCounter } from '../../shared/tokenizer/index.ts';

/** What the prompt report says about memory; `summaries` are filled by the summaries feature. */
export interface MemoryReport {
  enabled: boolean;
  budget_tokens: number;
  recalled: MemoryHit[];
  summaries: unknown[];
}

export interface MemoryRecall {
  injection: { content: string; depth: number; role: InjectionRole } | null;
  report: MemoryReport;
}

export interface RecallInput {
  chatId: string;
  settings: ResolvedMemorySettings;
  /** The history given to the prompt, oldest first, and how many of its oldest messages the window dropped. */
  history: readonly PromptHistoryMessage[];
  droppedHistory: number;
  /** Whether the chat holds older turns than `history` (the history is capped). */
  olderTurnsExist: boolean;
  userTurn: string | null;
  contextSize: number;
  counter: TokenCounter;
  names: { user: string; character: string };
}

export const emptyMemoryReport = (settings: ResolvedMemorySettings | null, budget = 0): MemoryReport => ({
  enabled: settings?.enabled ?? false,
  budget_tokens: budget,
  recalled: [],
  summaries: [],
});

export function createMemoryRecall(db: Kysely<ReadModels>, schema: string) {
  const memory = createMemorySearch(db, schema);
  return {
    async recall(input: RecallInput): Promise<MemoryRecall> {
      const { settings } = input;
      const budget = Math.floor(settings.budget_share * input.contextSize);
      const none = { injection: null, report: emptyMemoryReport(settings, budget) };
      if (!settings.enabled || (input.droppedHistory === 0 && !input.olderTurnsExist)) return none;
      const window = input.history.slice(input.droppedHistory);
      const query = [...window.slice(-settings.query_turns).map((m) => m.content), input.userTurn ?? ''].join('\n');
      const exclude = new Set(window.flatMap((m) => (m.id ? [m.id] : [])));
      const hits = await memory.search(input.chatId, query, { limit: settings.max_results, exclude });
      if (hits.length === 0) return none;
      const turns = await memory.turns(
        input.chatId,
        hits.map((h) => h.message_id),
      );
      const frame = settings.template.replace(MEMORY_PLACEHOLDER, '');
      let left = budget - input.counter.count(frame);
      const kept = new Set<string>();
      // Best first into the budget; shown in the chat's order.
      for (const hit of hits) {
        const turn = turns.find((t) => t.id === hit.message_id);
        if (!turn) continue;
        const cost = input.counter.count(lineOf(turn, input.names)) + 1;
        if (cost > left) continue;
        left -= cost;
        kept.add(hit.message_id);
      }
      if (kept.size === 0) return none;
      const lines = turns.filter((t) => kept.has(t.id)).map((t) => lineOf(t, input.names));
      return {
        injection: { content: settings.template.replace(MEMORY_PLACEHOLDER, lines.join('\n')), depth: settings.depth, role: settings.role },
        report: { ...emptyMemoryReport(settings, budget), recalled: hits.filter((h) => kept.has(h.message_id)) },
      };
    },
  };
}

function lineOf(turn: { sender: string; name: string | null; content: string }, names: { user: string; character: string }): string {
  const speaker = turn.name ?? (turn.sender === 'user' ? names.user : turn.sender === 'assistant' ? names.character : 'System');
  return `${speaker}: ${turn.content.replace(/\s+/g, ' ').trim()}`;
}

export type MemoryRecalls = ReturnType<typeof createMemoryRecall>;
