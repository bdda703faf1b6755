/**
 * `POST /characters/world-books/process` in tldw_server's shape: its request (`text`, `world_book_ids`,
 * `character_id`, `scan_depth`, `token_budget`, `recursive_scanning`) and its response (`injected_content`,
 * `entries_matched`, `tokens_used`, `books_used`, `entry_ids`, `token_budget`, `budget_exhausted`,
 * `skipped_entries_due_to_budget`, `diagnostics`), computed by our lorebook engine (`process-context`).
 */
import { z } from 'zod';
import type { GatheredBook } from '../../../queries/world-book-sources.ts';
import type { EntryDiagnostic, WorldInfoResult } from '../../../shared/worldinfo/index.ts';

export const tldwProcessBody = z.object({
  text: z.string().max(1_000_000),
  world_book_ids: z.array(z.string().max(100)).max(100).nullable().optional(),
  character_id: z.string().max(100).nullable().optional(),
  scan_depth: z.number().int().min(1).max(20).default(3),
  token_budget: z.number().int().min(50).max(5000).default(500),
  recursive_scanning: z.boolean().nullable().optional(),
});
export type TldwProcessBody = z.infer<typeof tldwProcessBody>;

export const tldwDiagnosticSchema = z.object({
  entry_id: z.string().nullable(),
  world_book_id: z.string(),
  activation_reason: z.enum(['keyword_match', 'regex_match', 'depth']),
  keyword: z.string().nullable(),
  token_cost: z.number().int(),
  priority: z.number(),
  regex_match: z.boolean(),
  content_preview: z.string(),
  depth_level: z.number().int(),
});

export const tldwProcessResponseSchema = z.object({
  injected_content: z.string(),
  entries_matched: z.number().int(),
  tokens_used: z.number().int(),
  books_used: z.number().int(),
  entry_ids: z.array(z.string().nullable()),
  token_budget: z.number().int(),
  budget_exhausted: z.boolean(),
  skipped_entries_due_to_budget: z.number().int(),
  diagnostics: z.array(tldwDiagnosticSchema),
});

const PREVIEW_CHARS = 240;
const REGEX_LITERAL = /^\/.+\/[a-z]*$/s;

/** Why the original would say an entry fired: a recursion pass is `depth`, a regex key `regex_match`. */
function activationReason(d: EntryDiagnostic | undefined, regex: boolean): 'keyword_match' | 'regex_match' | 'depth' {
  if (d?.scanState === 'recursion' || d?.match?.source === 'recursion') return 'depth';
  return regex ? 'regex_match' : 'keyword_match';
}

export function tldwProcessResponse(result: WorldInfoResult, books: readonly GatheredBook[], tokenBudget: number) {
  const entryIds = new Map(books.map((b) => [b.id, b.entryIds]));
  const entryIdOf = (bookId: string, index: number) => entryIds.get(bookId)?.[index] ?? null;
  const diagnostics = new Map(result.diagnostics.map((d) => [d.entryKey, d]));
  const activated = result.activated;
  const tokensUsed = Math.round(result.tokensUsed);
  return {
    injected_content: activated.map((a) => a.content).join('\n\n'),
    entries_matched: activated.length,
    tokens_used: tokensUsed,
    books_used: new Set(activated.map((a) => a.bookId)).size,
    entry_ids: activated.map((a) => entryIdOf(a.bookId, a.entryIndex)),
    token_budget: tokenBudget,
    budget_exhausted: result.budgetOverflowed || tokensUsed >= tokenBudget,
    skipped_entries_due_to_budget: result.diagnostics.filter((d) => d.reason === 'budget').length,
    diagnostics: activated.map((a) => {
      const d = diagnostics.get(a.entryKey);
      const keyword = d?.match?.key ?? null;
      const regex = a.entry.useRegex === true || (keyword !== null && REGEX_LITERAL.test(keyword));
      const reason = activationReason(d, regex);
      return {
        entry_id: entryIdOf(a.bookId, a.entryIndex),
        world_book_id: a.bookId,
        activation_reason: reason,
        keyword,
        token_cost: Math.round(a.tokens),
        priority: a.entry.priority ?? 0,
        regex_match: regex,
        content_preview: a.content.slice(0, PREVIEW_CHARS),
        depth_level: reason === 'depth' ? Math.max(1, (d?.pass ?? 2) - 1) : 0,
      };
    }),
  };
}
