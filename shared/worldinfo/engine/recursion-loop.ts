/**
 * The scan passes of a run. INITIAL first; then, while the budget holds: RECURSION when the pass activated
 * recursable entries, MIN_ACTIVATIONS (one message deeper) while too few entries are active, or the next
 * delay-until-recursion level. Each pass: candidates in entry order -> evaluation -> sticky first -> inclusion
 * groups -> probability and budget (`@@ignore_on_max_context` entries last) -> recursion text for the next pass.
 */
import { passCandidates } from './candidate-selection.ts';
import type { EntryEvaluator } from './entry-evaluation.ts';
import { filterInclusionGroups } from './inclusion-groups.ts';
import type { InclusionGroupContext } from './inclusion-groups.ts';
import { admitActivations, budgetOrder } from './probability-and-budget.ts';
import type { BudgetContext } from './probability-and-budget.ts';
import type { RunBooks } from './run-books.ts';
import type { ScanBuffer } from './scan-buffer.ts';
import { STATE_MIN_ACTIVATIONS, STATE_NONE, STATE_RECURSION } from './scan-state.ts';
import type { Activation, ActiveRecord, ScanProgress, ScanState } from './scan-state.ts';
import type { WorldInfoSettings } from './types.ts';
import type { QuirkLog } from './quirk-log.ts';
import { decoratorsFor } from './risuai-entry.ts';

/**
 * Whether an activated entry's content is scanned by the next pass: `@@recursive` / `@@unrecursive` decide, else
 * `preventRecursion`. A `@@recursive` entry makes a recursion pass happen even when recursion is off (RisuAI).
 */
export function feedsRecursion(books: RunBooks, gid: number, settings: WorldInfoSettings, progress?: ScanProgress): boolean {
  const p = books.prep(gid);
  const forced = decoratorsFor(p, settings.compatibility === 'risuai').recursive;
  if (forced === true && progress) progress.forcedRecursion = true;
  return forced ?? !p.resolved.preventRecursion;
}

export interface ScanLoopContext extends Omit<InclusionGroupContext, 'score'>, BudgetContext {
  quirks: QuirkLog;
  settings: WorldInfoSettings;
  books: RunBooks;
  buffer: ScanBuffer;
  progress: ScanProgress;
  evaluator: EntryEvaluator;
  messageTotal: number;
  warnings: string[];
}

export function runScanLoop(ctx: ScanLoopContext): void {
  const { settings, progress } = ctx;
  while (progress.state !== STATE_NONE) {
    if (settings.maxRecursionSteps > 0 && progress.pass >= settings.maxRecursionSteps) {
      progress.stopReason = `max recursion steps (${settings.maxRecursionSteps}) reached`;
      break;
    }
    progress.pass++;
    if (progress.state === STATE_RECURSION) progress.levelPassDone = true;
    const activatedNow = runPass(ctx, progress.state);
    const next = progress.overflowed ? STATE_NONE : nextState(ctx, progress.state, activatedNow.length > 0);
    if (progress.overflowed) progress.stopReason = 'token budget exhausted';
    progress.state = next;
    // After an overflow the text is still scanned (never evaluated), so that diagnostics can tell entries it
    // would have activated ('not_reached') from entries that matched nothing.
    if (progress.state !== STATE_NONE || (progress.overflowed && settings.recursive)) {
      const text = activatedNow.map((g) => (progress.activated.get(g) as ActiveRecord).content).join('\n');
      ctx.buffer.addRecursionText(text, progress.pass);
    }
  }
}

/** The entries that pass their checks in this pass, sticky ones first, then in entry order (both modes). */
export function evaluatePass(ctx: ScanLoopContext, state: ScanState): Activation[] {
  const { books, progress, sticky, evaluator } = ctx;
  const now: Activation[] = [];
  for (const gid of passCandidates(ctx.buffer.candidates, books, progress)) {
    progress.evaluated.add(gid);
    const a = evaluator.evaluate(gid, state);
    if (a) now.push(a);
  }
  now.sort((x, y) => {
    const sx = sticky.has(x.gid) ? 1 : 0;
    const sy = sticky.has(y.gid) ? 1 : 0;
    return sy - sx || books.compare(x.gid, y.gid);
  });
  return now;
}

/** One pass; returns the entries it activated whose content recursion scans. */
function runPass(ctx: ScanLoopContext, state: ScanState): number[] {
  const { books, progress } = ctx;
  const now = evaluatePass(ctx, state);
  const grouped = filterInclusionGroups({ ...ctx, score: (gid, s) => ctx.evaluator.score(gid, s) }, now, state);
  // `@@ignore_on_max_context` entries go last, so they are the ones trimmed when the budget runs out.
  const admitted = admitActivations(ctx, budgetOrder(books, grouped, ctx.sticky));
  progress.forcedRecursion = false;
  if (admitted.overflowed && ctx.settings.overflowAlert) {
    ctx.warnings.push(`World info budget (${ctx.budget} tokens) reached after ${progress.activated.size} entries.`);
  }
  const recursable = admitted.activated.filter((g) => feedsRecursion(books, g, ctx.settings, progress));
  // SillyTavern does not count these entries' tokens again in later passes.
  if (recursable.length < admitted.activated.length && ctx.settings.recursive) ctx.quirks.runLevel('budget_recursion_accounting');
  return recursable;
}

/** The state of the next pass (the budget held), or STATE_NONE to stop. May scan one message deeper. */
function nextState(ctx: ScanLoopContext, state: ScanState, recursable: boolean): ScanState {
  const { settings, progress, buffer } = ctx;
  let next: ScanState = STATE_NONE;
  if ((settings.recursive || progress.forcedRecursion) && recursable) next = STATE_RECURSION;
  if (settings.recursive && state === STATE_MIN_ACTIVATIONS && buffer.store.recursionCount > 0) next = STATE_RECURSION;
  if (next === STATE_NONE && settings.minActivations > 0 && progress.activated.size < settings.minActivations) {
    ctx.quirks.runLevel('min_activations_depth');
    const depth = settings.scanDepth + progress.skew;
    const nextDepth = depth + 1;
    const overMax = settings.minActivationsDepthMax > 0 && nextDepth > settings.minActivationsDepthMax;
    if (!overMax && depth < ctx.messageTotal) {
      next = STATE_MIN_ACTIVATIONS;
      progress.skew++;
      buffer.ensureDepth(settings.scanDepth + progress.skew);
    }
  }
  if (next === STATE_NONE && settings.recursive && progress.currentLevel > 0) {
    if (!progress.levelPassDone) next = STATE_RECURSION;
    else if (progress.levels.length > 0) {
      progress.currentLevel = progress.levels.shift() as number;
      progress.levelPassDone = false;
      next = STATE_RECURSION;
    }
  }
  return next;
}
