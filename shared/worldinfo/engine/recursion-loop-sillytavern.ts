/**
 * The scan passes of `compatibility: 'sillytavern'`: SillyTavern 1.12.6's `checkWorldInfo` loop step by step
 * (where the current release differs it is said below), for the behaviours `corrected` mode changes:
 * - delay until recursion: the levels come from every entry, disabled ones too; the first level is preset, and a
 *   level's own pass only runs when something recursed, otherwise the next level starts a recursion pass when the
 *   scan would stop — even with recursion disabled and even after a budget overflow;
 * - min activations: the stop check `depth > max || depth > chat length` runs before the depth is increased, so
 *   the scan reaches one message deeper than the maximum (and one pass past the chat's end);
 * - the budget: an entry overflows when `tokens(recursion-fed text) + tokens(this pass's entries so far, joined) >=
 *   budget`, each side counted as one text (`content + "\n"` per entry, joined) as SillyTavern counts them;
 *   the first overflow skips the rest of the pass (1.19: entries that ignore the budget still go); later passes
 *   (delay levels) check their entries again (1.12.6; 1.19 admits nothing but budget-ignoring entries);
 *   the recursion-fed tokens count only entries whose content fed recursion (not `preventRecursion` ones), and the
 *   entries a pass cut after its overflow still feed the next pass's recursion text and may activate there;
 * - inclusion groups: `inclusion-groups-sillytavern.ts`.
 * The joined count is kept up to date incrementally (`startJoinedCount`); diagnostics still report each entry's own
 * `tokens(content + "\n")`.
 */
import { filterInclusionGroupsSillyTavern } from './inclusion-groups-sillytavern.ts';
import { activationDetail, budgetOrder } from './probability-and-budget.ts';
import { evaluatePass, feedsRecursion } from './recursion-loop.ts';
import type { ScanLoopContext } from './recursion-loop.ts';
import { STATE_MIN_ACTIVATIONS, STATE_NONE, STATE_RECURSION } from './scan-state.ts';
import { entryTokenCount } from './entry-token-count.ts';
import { noteBudgetQuirk } from './budget-quirks.ts';
import { startJoinedCount } from '../../tokenizer/index.ts';
import type { Activation, ScanState } from './scan-state.ts';
import type { EntryDiagnostic } from './types.ts';

export function runSillyTavernScanLoop(ctx: ScanLoopContext, allDelayLevels: readonly number[]): void {
  const { settings, progress, books, buffer } = ctx;
  // 1.12.6 collects the levels over all entries (`sortedEntries`, disabled ones included).
  const levels = [...allDelayLevels];
  progress.currentLevel = levels.shift() ?? 0;
  progress.levels = levels;
  // SillyTavern's `allActivatedText`: the recursion-fed text, newest pass first, counted whole at each pass.
  let fedText = '';
  let recursed = false;
  while (progress.state !== STATE_NONE) {
    if (settings.maxRecursionSteps > 0 && progress.pass >= settings.maxRecursionSteps) {
      progress.stopReason = `max recursion steps (${settings.maxRecursionSteps}) reached`;
      break;
    }
    progress.pass++;
    const state = progress.state;
    const now = evaluatePass(ctx, state);
    const grouped = filterInclusionGroupsSillyTavern({ ...ctx, score: (gid, s) => ctx.evaluator.score(gid, s) }, now, state);
    // `@@ignore_on_max_context` (Card V3, unknown to SillyTavern) keeps its meaning: last, and trimmed first.
    admitSillyTavern(ctx, budgetOrder(books, grouped, ctx.sticky), fedText === '' ? 0 : ctx.counter.count(fedText));
    const successful = grouped.filter((a) => !progress.failedProbability.has(a.gid));
    progress.forcedRecursion = false;
    const forRecursion = successful.filter((a) => feedsRecursion(books, a.gid, settings, progress));
    let next: ScanState = STATE_NONE;
    if ((settings.recursive || progress.forcedRecursion) && !progress.overflowed && forRecursion.length > 0) next = STATE_RECURSION;
    if (settings.recursive && !progress.overflowed && state === STATE_MIN_ACTIVATIONS && recursed) next = STATE_RECURSION;
    if (next === STATE_NONE && !progress.overflowed && settings.minActivations > 0 && progress.activated.size < settings.minActivations) {
      ctx.quirks.runLevel('min_activations_depth');
      const depth = settings.scanDepth + progress.skew;
      const overMax = (settings.minActivationsDepthMax > 0 && depth > settings.minActivationsDepthMax) || depth > ctx.messageTotal;
      if (!overMax) {
        next = STATE_MIN_ACTIVATIONS;
        progress.skew++;
        buffer.ensureDepth(settings.scanDepth + progress.skew);
      }
    }
    if (next === STATE_NONE && progress.levels.length > 0) {
      next = STATE_RECURSION;
      progress.currentLevel = progress.levels.shift() as number;
    }
    if (progress.overflowed && progress.stopReason === '') progress.stopReason = 'token budget exhausted';
    progress.state = next;
    if (next !== STATE_NONE) {
      // 1.12.6 pushes the text even when it is empty (1.19 skips an empty one); either way it counts as recursion.
      recursed = true;
      const parts = forRecursion.map((a) => progress.activated.get(a.gid)?.content ?? ctx.substitute(books.prep(a.gid).content));
      const text = parts.join('\n');
      buffer.addRecursionText(text, progress.pass);
      fedText = `${text}\n${fedText}`;
      // Forgotten `preventRecursion` tokens matter only where a budget decision differs (noteBudgetQuirk, per entry).
      if (forRecursion.some((a) => !progress.activated.has(a.gid))) ctx.quirks.runLevel('budget_recursion_accounting');
    } else if (progress.overflowed && settings.recursive) {
      // Scanned, never evaluated: lets the diagnostics tell 'not_reached' entries from ones that matched nothing.
      const text = forRecursion.flatMap((a) => progress.activated.get(a.gid)?.content ?? []).join('\n');
      buffer.addRecursionText(text, progress.pass);
    }
  }
}

/** Probability and the budget over one pass's activations, SillyTavern's way (see the file comment). */
function admitSillyTavern(ctx: ScanLoopContext, ordered: readonly Activation[], fedTokens: number): void {
  const { books, progress, sticky, budget, random, counter, substitute, log, quirks } = ctx;
  const passText = startJoinedCount(counter);
  let passTokens = 0;
  let passSum = 0;
  let ignoresBudget = ordered.filter((a) => books.prep(a.gid).resolved.ignoreBudget).length;
  let stopped = false;
  let overflowedNow = false;
  for (const a of ordered) {
    const p = books.prep(a.gid);
    const r = p.resolved;
    const base: Partial<EntryDiagnostic> = a.match ? { match: a.match } : {};
    ignoresBudget -= r.ignoreBudget ? 1 : 0;
    if (stopped || (overflowedNow && !r.ignoreBudget)) {
      log.skip(a.gid, 'budget', `token budget (${budget}) already exhausted`, base);
      if (ignoresBudget === 0) stopped = true;
      continue;
    }
    if (r.useProbability && r.probability !== 100 && !sticky.has(a.gid)) {
      const roll = random() * 100;
      const probability = { chance: r.probability, roll };
      if (!(roll <= r.probability)) {
        progress.failedProbability.add(a.gid);
        log.skip(a.gid, 'probability', `probability roll ${roll.toFixed(2)} > ${r.probability}%`, { ...base, probability });
        continue;
      }
      base.probability = probability;
    }
    const content = substitute(p.content);
    const tokens = entryTokenCount(p, content, counter);
    const joined = passText.measure(`${content}\n`);
    const total = fedTokens + joined;
    passSum += tokens;
    if (!r.ignoreBudget) {
      const sides = { sillyTavernTotal: total, correctedTotal: progress.usedTokens + tokens, budget, joinedDiffers: joined !== passSum };
      noteBudgetQuirk(quirks, a.gid, sides);
    }
    if (!r.ignoreBudget && total >= budget) {
      if (p.decorators.ignoreOnMaxContext) {
        log.skip(a.gid, 'budget', `@@ignore_on_max_context: ${tokens} tokens do not fit (${fedTokens + passTokens}/${budget} used)`, {
          ...base,
          tokens,
        });
        passSum -= tokens;
        continue;
      }
      passTokens = passText.append(`${content}\n`);
      progress.overflowed = true;
      overflowedNow = true;
      log.skip(a.gid, 'budget', `token budget reached: ${fedTokens} + ${passTokens} >= ${budget}`, { ...base, tokens });
      continue;
    }
    passTokens = passText.append(`${content}\n`);
    if (!r.ignoreBudget) progress.usedTokens += tokens;
    progress.activated.set(a.gid, { gid: a.gid, content, tokens, reason: a.reason, pass: progress.pass, seq: progress.seq++ });
    log.note(a.gid, { ...base, status: 'activated', reason: a.reason, detail: activationDetail(a, r.ignoreBudget), tokens });
  }
  if (progress.overflowed && ctx.settings.overflowAlert && !ctx.warnings.some((w) => w.startsWith('World info budget'))) {
    ctx.warnings.push(`World info budget (${budget} tokens) reached after ${progress.activated.size} entries.`);
  }
}
