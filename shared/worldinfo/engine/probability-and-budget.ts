/**
 * A pass's activations, in order, against the probability roll and the token budget. Once an entry overflows the
 * budget the rest of the pass is skipped (except entries that ignore the budget); `@@ignore_on_max_context`
 * entries that do not fit are skipped without ending the pass.
 */
import type { TokenCounter } from '../../tokenizer/index.ts';
import type { DiagnosticLog } from './entry-diagnostics.ts';
import { entryTokenCount } from './entry-token-count.ts';
import { noteBudgetQuirk } from './budget-quirks.ts';
import type { RunBooks } from './run-books.ts';
import type { Activation, ScanProgress } from './scan-state.ts';
import type { EntryDiagnostic } from './types.ts';
import type { QuirkLog } from './quirk-log.ts';
import { risuaiEntry } from './risuai-entry.ts';

export interface BudgetContext {
  books: RunBooks;
  progress: ScanProgress;
  sticky: ReadonlySet<number>;
  budget: number;
  random: () => number;
  counter: TokenCounter;
  substitute: (s: string) => string;
  log: DiagnosticLog;
  quirks: QuirkLog;
  /** The `risuai` profile: every activation is admitted here and the budget applies once at the end. */
  deferBudget?: boolean;
}

export interface AdmittedPass {
  /** Entries activated by this pass, in activation order. */
  activated: number[];
  /** The budget ran out in this pass. */
  overflowed: boolean;
}

/**
 * The order a pass's activations meet the budget: as evaluated (sticky first, then entry order), with
 * `@@ignore_on_max_context` entries last so that they are the ones trimmed. RisuAI's `@@priority N` ranks an
 * entry by N instead of its insertion order (others keep their order as rank); only then is the list re-sorted.
 */
export function budgetOrder(books: RunBooks, activations: readonly Activation[], sticky: ReadonlySet<number>): Activation[] {
  const last = (a: Activation) => (books.prep(a.gid).decorators.ignoreOnMaxContext ? 1 : 0);
  const ordered = [...activations.filter((a) => last(a) === 0), ...activations.filter((a) => last(a) === 1)];
  if (!activations.some((a) => books.prep(a.gid).decorators.priority !== undefined)) return ordered;
  const rank = (a: Activation) => books.prep(a.gid).decorators.priority ?? books.prep(a.gid).resolved.order;
  const first = (a: Activation) => (sticky.has(a.gid) ? 1 : 0);
  return ordered
    .map((a, i) => ({ a, i }))
    .sort((x, y) => first(y.a) - first(x.a) || last(x.a) - last(y.a) || rank(y.a) - rank(x.a) || x.i - y.i)
    .map((x) => x.a);
}

export function admitActivations(ctx: BudgetContext, ordered: readonly Activation[]): AdmittedPass {
  const { books, progress, sticky, budget, random, counter, substitute, log } = ctx;
  let overflowedNow = false;
  const activatedNow: number[] = [];
  const usedAtStart = progress.usedTokens;
  // Counters without an incremental joined count: the sum stands in (no quadratic counting for a diagnostic).
  const passText = counter.startJoined?.();
  let passSum = 0;
  for (const a of ordered) {
    const p = books.prep(a.gid);
    const r = p.resolved;
    const base: Partial<EntryDiagnostic> = a.match ? { match: a.match } : {};
    if (overflowedNow && !r.ignoreBudget) {
      log.skip(a.gid, 'budget', `token budget (${budget}) already exhausted in this pass`, base);
      continue;
    }
    const isSticky = sticky.has(a.gid);
    if (r.useProbability && r.probability !== 100 && !isSticky) {
      const roll = random() * 100;
      const probability = { chance: r.probability, roll };
      if (!(roll <= r.probability)) {
        progress.failedProbability.add(a.gid);
        log.skip(a.gid, 'probability', `probability roll ${roll.toFixed(2)} > ${r.probability}%`, { ...base, probability });
        continue;
      }
      base.probability = probability;
    }
    const content = substitute(ctx.deferBudget ? risuaiEntry(p).content : p.content);
    const tokens = entryTokenCount(p, content, counter);
    if (ctx.deferBudget) {
      progress.activated.set(a.gid, { gid: a.gid, content, tokens, reason: a.reason, pass: progress.pass, seq: progress.seq++ });
      activatedNow.push(a.gid);
      log.note(a.gid, { ...base, status: 'activated', reason: a.reason, detail: activationDetail(a, r.ignoreBudget), tokens });
      continue;
    }
    // What SillyTavern would count here (`>=`, the pass's entries joined): see budget-quirks.ts.
    if (!r.ignoreBudget) {
      const joined = passText ? passText.measure(`${content}\n`) : passSum + tokens;
      const sides = {
        sillyTavernTotal: usedAtStart + joined,
        correctedTotal: progress.usedTokens + tokens,
        budget,
        joinedDiffers: joined !== passSum + tokens,
      };
      noteBudgetQuirk(ctx.quirks, a.gid, sides);
    }
    if (!r.ignoreBudget && progress.usedTokens + tokens > budget) {
      if (p.decorators.ignoreOnMaxContext) {
        log.skip(a.gid, 'budget', `@@ignore_on_max_context: ${tokens} tokens do not fit (${progress.usedTokens}/${budget} used)`, {
          ...base,
          tokens,
        });
        continue;
      }
      overflowedNow = true;
      progress.overflowed = true;
      log.skip(a.gid, 'budget', `token budget exhausted: ${progress.usedTokens} + ${tokens} > ${budget}`, { ...base, tokens });
      continue;
    }
    if (!r.ignoreBudget) {
      progress.usedTokens += tokens;
      passText?.append(`${content}\n`);
      passSum += tokens;
    }
    progress.activated.set(a.gid, { gid: a.gid, content, tokens, reason: a.reason, pass: progress.pass, seq: progress.seq++ });
    activatedNow.push(a.gid);
    log.note(a.gid, {
      ...base,
      status: 'activated',
      reason: a.reason,
      detail: activationDetail(a, r.ignoreBudget),
      tokens,
    });
  }
  return { activated: activatedNow, overflowed: overflowedNow };
}

export function activationDetail(a: Activation, ignoreBudget: boolean): string {
  const suffix = ignoreBudget ? ' (not counted against the budget)' : '';
  switch (a.reason) {
    case 'key_match': {
      const m = a.match;
      if (!m) return `key matched${suffix}`;
      const where =
        m.source === 'message'
          ? `message ${m.messageIndex} (depth ${m.depth})`
          : m.source === 'recursion'
            ? `recursion text of pass ${m.recursionPass}`
            : m.source.replace(/_/g, ' ');
      return `key '${m.key}' matched '${m.matchedText}' in ${where}${suffix}`;
    }
    case 'constant':
      return `constant${suffix}`;
    case 'sticky':
      return `sticky effect active${suffix}`;
    case 'decorator_activate':
      return `@@activate${suffix}`;
    case 'decorator_keep_activate':
      return `@@keep_activate_after_match: matched before${suffix}`;
    case 'forced':
      return `forced activation${suffix}`;
  }
}
