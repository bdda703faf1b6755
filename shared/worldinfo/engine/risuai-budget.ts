/**
 * The `risuai` profile's token budget, applied once after every pass (as RisuAI does): the activated entries by
 * priority (`@@priority`, else the insertion order; `@@ignore_on_max_context` is −1000), highest first, each kept
 * when it still fits. An entry that does not fit is skipped and the next ones are still tried; the spec's budget
 * (and SillyTavern's) stops at the first that does not fit.
 */
import type { DiagnosticLog } from './entry-diagnostics.ts';
import type { QuirkLog } from './quirk-log.ts';
import { risuaiEntry } from './risuai-entry.ts';
import type { RunBooks } from './run-books.ts';
import type { ScanProgress } from './scan-state.ts';

export interface RisuaiBudgetContext {
  books: RunBooks;
  progress: ScanProgress;
  budget: number;
  log: DiagnosticLog;
  quirks: QuirkLog;
}

export function risuaiPriority(books: RunBooks, gid: number): number {
  const p = books.prep(gid);
  const d = risuaiEntry(p).decorators;
  return d.ignoreOnMaxContext ? -1000 : (d.priority ?? p.resolved.order);
}

export function applyRisuaiBudget(ctx: RisuaiBudgetContext): void {
  const { books, progress, budget, log, quirks } = ctx;
  const ranked = [...progress.activated.values()]
    .map((a) => ({ a, priority: risuaiPriority(books, a.gid) }))
    .sort((x, y) => y.priority - x.priority);
  let used = 0;
  let skipped = false;
  for (const { a } of ranked) {
    if (books.prep(a.gid).resolved.ignoreBudget) continue;
    if (used + a.tokens <= budget) {
      used += a.tokens;
      if (skipped) {
        // The spec's budget would have stopped before this entry.
        quirks.runLevel('risuai_budget_skips');
        quirks.name(a.gid, 'risuai_budget_skips');
      }
      continue;
    }
    skipped = true;
    progress.activated.delete(a.gid);
    progress.overflowed = true;
    quirks.name(a.gid, 'risuai_budget_skips');
    log.skip(a.gid, 'budget', `token budget: ${used} + ${a.tokens} > ${budget}; RisuAI skips it and tries the next entries`, {
      tokens: a.tokens,
    });
  }
  progress.usedTokens = used;
}
