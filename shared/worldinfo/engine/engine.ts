/**
 * The lorebook engine: SillyTavern's world-info activation (`checkWorldInfo`, 1.12.6 and its 2025 additions),
 * plus Character Card V3 decorators, as a pure function of its input (randomness and timed-effect state are
 * injected; nothing is read from or written to the outside).
 *
 * One run, stage by stage:
 *  1. The books merged into one entry list in SillyTavern's entry order (run-books.ts).
 *  2. Timed effects are evaluated at chat length L (sticky, cooldown; delay from L) (run-timed-effects.ts).
 *  3. The scan text and the candidate entries (scan-buffer.ts, candidate-selection.ts).
 *  4. Scan passes (recursion-loop.ts). State INITIAL, then RECURSION (new entries' content is scanned),
 *     MIN_ACTIVATIONS (one message deeper), or the next delay-until-recursion level. Each pass looks at the
 *     candidate entries in SillyTavern's entry order and applies its checks in SillyTavern's order
 *     (entry-gates.ts, entry-evaluation.ts); then sticky first, inclusion groups (inclusion-groups.ts), then
 *     probability and the token budget in order (probability-and-budget.ts).
 *  5. One diagnostic per entry (final-diagnostics.ts); the new timed effects.
 *  6. Output lists by position, in ascending `order` (equal orders in reverse activation order, like
 *     SillyTavern) (activation-placement.ts).
 * Deliberate differences from SillyTavern are listed in DEVIATIONS.md.
 */
import { getTokenizer } from '../../tokenizer/index.ts';
import type { TokenCounter } from '../../tokenizer/index.ts';
import {
  applyLoreInjections,
  buildInjections,
  depthlessNotInserted,
  describePlacement,
  specPlacement,
  toActivatedEntry,
} from './activation-placement.ts';
import { addStandingCandidates, forcedEntries } from './candidate-selection.ts';
import { computeBudget, createSeededRandom, resolveSettings } from './engine-settings.ts';
import { DiagnosticLog } from './entry-diagnostics.ts';
import { EntryEvaluator } from './entry-evaluation.ts';
import { EntryGates } from './entry-gates.ts';
import { finalDiagnostics } from './final-diagnostics.ts';
import { runScanLoop } from './recursion-loop.ts';
import { RunBooks } from './run-books.ts';
import { checkRunTimedEffects, startRunTimedEffects } from './run-timed-effects.ts';
import { ScanBuffer } from './scan-buffer.ts';
import { startProgress } from './scan-state.ts';
import { cloneTimedState } from './timed-effects.ts';
import type { ActivatedEntry, WorldInfoInput, WorldInfoResult, WorldInfoSettings } from './types.ts';
import { explainQuirks } from './explain-quirks.ts';
import type { QuirkRun } from './explain-quirks.ts';
import { QuirkLog } from './quirk-log.ts';
import { OccurrenceMemo } from './match.ts';
import { runSillyTavernScanLoop } from './recursion-loop-sillytavern.ts';
import { applyRisuaiBudget } from './risuai-budget.ts';
import { RisuaiScanText } from './risuai-matching.ts';

export { buildInjections } from './activation-placement.ts';
export { computeBudget, createSeededRandom, DEFAULT_WORLD_INFO_SETTINGS, resolveSettings } from './engine-settings.ts';

export function runWorldInfo(input: WorldInfoInput): WorldInfoResult {
  const settings = resolveSettings(input.settings);
  const draws: number[] = [];
  const source = input.random ?? createSeededRandom(0);
  const memo = new OccurrenceMemo();
  const main = runMode(
    input,
    settings,
    () => {
      const v = source();
      draws.push(v);
      return v;
    },
    memo,
  );
  let other: QuirkRun | undefined;
  if (main.quirks.met) {
    // The other mode sees the random sequence it would have seen on its own: the main run's draws, then the
    // source's next values (so a caller's seeded source advances by the draws only the other mode needed).
    let i = 0;
    const replay = () => (i < draws.length ? (draws[i++] as number) : source());
    const otherMode = otherModeOf(settings.compatibility);
    other = runMode({ ...input, dryRun: true }, { ...settings, compatibility: otherMode }, replay, memo);
  }
  const diagnostics = main.quirks.met ? explainQuirks(settings.compatibility, main, other) : main.diagnostics;
  return { ...main.result, diagnostics };
}

/** The mode a run's quirks are explained against: SillyTavern ↔ corrected; RisuAI against the spec (corrected). */
function otherModeOf(mode: WorldInfoSettings['compatibility']): WorldInfoSettings['compatibility'] {
  return mode === 'sillytavern' ? 'corrected' : mode === 'risuai' ? 'corrected' : 'sillytavern';
}

interface ModeRun extends QuirkRun {
  result: WorldInfoResult;
}

function runMode(input: WorldInfoInput, settings: WorldInfoSettings, random: () => number, memo: OccurrenceMemo): ModeRun {
  const counter: TokenCounter = typeof input.tokenizer === 'object' ? input.tokenizer : getTokenizer(input.tokenizer ?? 'openai-cl100k');
  const substitute = input.substituteMacros ?? ((s: string) => s);
  const messages = input.messages;
  const chatLength = input.chatLength ?? messages.length;
  const assistantCount = input.assistantMessageCount ?? messages.filter((m) => m.role === 'assistant').length;
  const budget = computeBudget(settings);
  const warnings: string[] = [];

  const books = new RunBooks(input.books, settings.insertionStrategy, input.indexCache);
  const timed = checkRunTimedEffects(books, input.timedState, chatLength);
  const events = input.dryRun ? [] : [...timed.events];
  const forced = forcedEntries(books, input.forceActivate);
  const quirks = new QuirkLog();
  const allDelayLevels = [...new Set(books.list.flatMap((b) => b.index.allDelayLevels))].sort((a, b) => a - b);
  if (allDelayLevels.length > 0) quirks.runLevel('delay_until_recursion');
  const sillyTavern = settings.compatibility === 'sillytavern';
  const risuai = settings.compatibility === 'risuai';

  const buffer = new ScanBuffer(books, input, settings, substitute, memo);
  addStandingCandidates(buffer.candidates, books, timed.stickyActive, forced);
  // RisuAI looks at every entry (disabled ones too) with its own key search.
  const risuText = risuai ? new RisuaiScanText(messages) : undefined;
  if (risuText) {
    for (let g = 0; g < books.total; g++) buffer.candidates.add(g);
    buffer.onRecursionText = (text) => risuText.addRecursion(text);
  }

  const progress = startProgress(books.list.flatMap((b) => b.index.delayLevels));
  const log = new DiagnosticLog(books, progress);
  const gates = new EntryGates({ books, settings, input, chatLength, assistantCount, timed, progress });
  const evaluator = new EntryEvaluator({
    books,
    buffer,
    settings,
    progress,
    timed,
    forced,
    gates,
    log,
    messageTotal: messages.length,
    quirks,
    random,
    ...(risuText
      ? {
          risuai: {
            books,
            settings,
            input,
            text: risuText,
            // RisuAI's chat length: every message plus the greeting (counted when the chat does not open with it).
            chatCount: risuText.firstScannable === 0 ? messages.length + 1 : messages.length,
            assistantCount,
            wholeWords: input.settings?.matchWholeWords ?? false,
            progress,
            timed,
            forced,
            gates,
            log,
            random,
            quirks,
          },
        }
      : {}),
  });
  const loop = {
    settings,
    books,
    buffer,
    progress,
    evaluator,
    log,
    sticky: timed.stickyActive,
    random,
    counter,
    substitute,
    budget,
    messageTotal: messages.length,
    warnings,
    quirks,
    deferBudget: risuai,
  };
  if (sillyTavern) runSillyTavernScanLoop(loop, allDelayLevels);
  else runScanLoop(loop);
  if (risuai) applyRisuaiBudget(loop);

  const diagnostics = finalDiagnostics({ books, log, gates, timed, candidates: buffer.candidates, progress });
  const nextTimedState = timed.state;
  if (!input.dryRun) events.push(...startRunTimedEffects(books, nextTimedState, chatLength, progress.activated.values(), risuai));

  const records = [...progress.activated.values()];
  const activated: ActivatedEntry[] = records.map((a) => toActivatedEntry(books, a, messages.length, risuai));
  const gidByKey = new Map(records.map((a, i) => [(activated[i] as ActivatedEntry).entryKey, a.gid]));
  applyLoreInjections(activated, (a) => gidByKey.get(a.entryKey) ?? -1);
  if (activated.some((a) => a.depthMissing) && depthlessNotInserted(activated).size > 0) quirks.runLevel('at_depth_without_depth');
  // The last placement decorator wins in RisuAI, the spec's precedence elsewhere (and depths count differently).
  const placements = new Map<string, string>();
  if (risuai) {
    records.forEach((a, i) => {
      const spec = specPlacement(books, a.gid, messages.length);
      const mine = activated[i] as ActivatedEntry;
      if (spec && mine.position !== 'injected' && describePlacement(spec) !== describePlacement(mine)) {
        placements.set(mine.entryKey, describePlacement(spec));
      }
    });
    if (placements.size > 0) quirks.runLevel('risuai_last_placement_wins');
  }
  const result: WorldInfoResult = {
    injections: buildInjections(activated, settings.compatibility),
    activated,
    diagnostics,
    timedEffects: events,
    nextTimedState: input.dryRun ? cloneTimedState(input.timedState) : nextTimedState,
    tokensUsed: progress.usedTokens,
    budget,
    budgetOverflowed: progress.overflowed,
    passes: progress.pass,
    warnings,
    compatibility: settings.compatibility,
  };
  return { result, diagnostics, activated, quirks, books, placements };
}
