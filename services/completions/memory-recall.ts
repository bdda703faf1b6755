/**
 * Recall in the prompt: the turns of the chat's active branch that the context window no longer holds, found by
 * memory search with a query made of the latest turns, inserted at a depth and role like a lorebook entry
 * through the chat's template, within a share of the context. Never a turn the window still holds.
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createChatSummaryQueries } from '../../queries/chat-summaries-queries.ts';
import { searchSummaries } from '../../queries/summary-search.ts';
import type { MemoryHit } from '../../shared/memory/memory-ranking.ts';
import { MEMORY_PLACEHOLDER, type ResolvedMemorySettings } from '../../shared/memory/memory-settings.ts';
import type { InjectionRole, PromptHistoryMessage } from '../../shared/prompt/index.ts';
import type { TokenCounter } from '../../shared/tokenizer/index.ts';
import type { EmbeddingIndex } from '../memory/embedding-index.ts';
import { createFusedMemorySearch } from '../memory/fused-memory-search.ts';

/** A summary recalled into the prompt: found by the query, or pinned by the user. */
export interface RecalledSummary {
  summary_id: string;
  score: number;
  source_message_ids: string[];
  why: string;
}

/** What the prompt report says about memory. */
export interface MemoryReport {
  enabled: boolean;
  budget_tokens: number;
  recalled: MemoryHit[];
  summaries: RecalledSummary[];
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

/** `embeddings`: the configured embedding index; recall then fuses it with the lexical ranking. */
export function createMemoryRecall(db: Kysely<ReadModels>, schema: string, embeddings: EmbeddingIndex | null = null) {
  const memory = createFusedMemorySearch({ db, readSchema: schema, embeddings });
  return {
    async recall(input: RecallInput): Promise<MemoryRecall> {
      const { settings } = input;
      const budget = Math.floor(settings.budget_share * input.contextSize);
      const none = { injection: null, report: emptyMemoryReport(settings, budget) };
      if (!settings.enabled || (input.droppedHistory === 0 && !input.olderTurnsExist)) return none;
      const window = input.history.slice(input.droppedHistory);
      const query = [...window.slice(-settings.query_turns).map((m) => m.content), input.userTurn ?? ''].join('\n');
      const exclude = new Set(window.flatMap((m) => (m.id ? [m.id] : [])));
      const [hits, summaries] = await Promise.all([
        memory.search(input.chatId, query, { limit: settings.max_results, exclude }),
        recallableSummaries(db, schema, input.chatId, query, exclude),
      ]);
      if (hits.length === 0 && summaries.length === 0) return none;
      const turns = await memory.turns(
        input.chatId,
        hits.map((h) => h.message_id),
      );
      const frame = settings.template.replace(MEMORY_PLACEHOLDER, '');
      let left = budget - input.counter.count(frame);
      /** Takes the line's tokens (and its line break) from the budget when they fit. */
      const fits = (line: string): boolean => {
        const cost = input.counter.count(line) + 1;
        if (cost > left) return false;
        left -= cost;
        return true;
      };
      // Summaries first (each stands for a span), then turns best first; turns shown in the chat's order.
      const keptSummaries = summaries.filter((summary) => fits(summary.line));
      const kept = new Set<string>();
      for (const hit of hits) {
        const turn = turns.find((t) => t.id === hit.message_id);
        if (turn && fits(lineOf(turn, input.names))) kept.add(hit.message_id);
      }
      if (kept.size === 0 && keptSummaries.length === 0) return none;
      const lines = [...keptSummaries.map((x) => x.line), ...turns.filter((t) => kept.has(t.id)).map((t) => lineOf(t, input.names))];
      return {
        injection: { content: settings.template.replace(MEMORY_PLACEHOLDER, lines.join('\n')), depth: settings.depth, role: settings.role },
        report: {
          ...emptyMemoryReport(settings, budget),
          recalled: hits.filter((h) => kept.has(h.message_id)),
          summaries: keptSummaries.map(({ line: _line, ...summary }) => summary),
        },
      };
    },
  };
}

const SUMMARIES_RECALLED = 3;

/**
 * The branch's summaries worth recalling: those the query matches and those the user pinned, never one whose
 * sources the window still holds (those turns are in the prompt already).
 */
async function recallableSummaries(
  db: Kysely<ReadModels>,
  schema: string,
  chatId: string,
  query: string,
  inWindow: ReadonlySet<string>,
): Promise<Array<RecalledSummary & { line: string }>> {
  // The branch filter runs in SQL; most chats have no summary, and then nothing more is read.
  const onBranch = await createChatSummaryQueries(db, schema).list(chatId);
  if (onBranch.length === 0) return [];
  const outsideWindow = (ids: readonly string[]) => ids.every((id) => !inWindow.has(id));
  const byId = new Map(onBranch.filter((x) => outsideWindow(x.source_message_ids)).map((x) => [x.summary_id, x]));
  // The sources of the branch's summaries are on the active path: searching within them is searching the branch.
  const sources = [...new Set(onBranch.flatMap((x) => x.source_message_ids))];
  const found = (await searchSummaries(db, schema, chatId, sources, query, SUMMARIES_RECALLED)).filter((h) => byId.has(h.summary_id));
  const chosen = new Map<string, RecalledSummary>(
    found.map((h) => [h.summary_id, { summary_id: h.summary_id, score: h.score, source_message_ids: h.source_message_ids, why: h.why }]),
  );
  for (const x of byId.values()) {
    if (!x.pinned || chosen.has(x.summary_id)) continue;
    chosen.set(x.summary_id, {
      summary_id: x.summary_id,
      score: 0,
      source_message_ids: x.source_message_ids,
      why: `pinned summary of ${x.source_message_ids.length} messages`,
    });
  }
  return [...chosen.values()].map((r) => ({ ...r, line: `Summary: ${byId.get(r.summary_id)!.text.replace(/\s+/g, ' ').trim()}` }));
}

function lineOf(turn: { sender: string; name: string | null; content: string }, names: { user: string; character: string }): string {
  const speaker = turn.name ?? (turn.sender === 'user' ? names.user : turn.sender === 'assistant' ? names.character : 'System');
  return `${speaker}: ${turn.content.replace(/\s+/g, ' ').trim()}`;
}

export type MemoryRecalls = ReturnType<typeof createMemoryRecall>;
