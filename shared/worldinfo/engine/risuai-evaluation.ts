/**
 * One entry in one pass of the `risuai` profile, as RisuAI's `loadLoreBookV3Prompt` decides it: the decorators
 * first (read RisuAI's way), which may block the entry or force it either way, then the key searches (the
 * decorators' key lists, the primary keys, the secondary keys), each over RisuAI's scan text
 * (`risuai-matching.ts`). Where the decision may differ from the spec's, the quirk is noted so that the run can
 * name it in the diagnostics (`explain-quirks.ts`).
 */
import type { DiagnosticLog } from './entry-diagnostics.ts';
import type { EntryGates } from './entry-gates.ts';
import type { QuirkLog } from './quirk-log.ts';
import { risuaiEntry } from './risuai-entry.ts';
import { risuaiWindow } from './risuai-matching.ts';
import type { RisuaiHit, RisuaiScanText } from './risuai-matching.ts';
import type { RunBooks } from './run-books.ts';
import type { Activation, ScanProgress, ScanState } from './scan-state.ts';
import type { TimedCheckResult } from './timed-effects.ts';
import type { KeyMatchInfo, WorldInfoInput, WorldInfoSettings } from './types.ts';

export interface RisuaiEvaluationContext {
  books: RunBooks;
  settings: WorldInfoSettings;
  input: Pick<WorldInfoInput, 'greetingIndex'>;
  text: RisuaiScanText;
  /** RisuAI's chat length: every message plus the greeting. */
  chatCount: number;
  /** The spec's count for `@@activate_only_after` / `every`: the assistant messages. */
  assistantCount: number;
  /**
   * Whole words unless a decorator says otherwise: RisuAI's book setting defaults to partial words, so only a
   * `matchWholeWords` the caller set applies (the engine's own default is SillyTavern's).
   */
  wholeWords: boolean;
  progress: Pick<ScanProgress, 'skew'>;
  timed: Pick<TimedCheckResult, 'stickyActive' | 'cooldownActive' | 'matchedBefore'>;
  forced: ReadonlySet<number>;
  gates: EntryGates;
  log: DiagnosticLog;
  random: () => number;
  quirks: QuirkLog;
}

function toMatch(hit: RisuaiHit, list: KeyMatchInfo['list']): KeyMatchInfo {
  const info: KeyMatchInfo = { key: hit.key, list, source: hit.source, matchedText: hit.key, offset: 0 };
  if (hit.messageIndex !== undefined) info.messageIndex = hit.messageIndex;
  return info;
}

export function decideRisuai(ctx: RisuaiEvaluationContext, gid: number, state: ScanState): Activation | null {
  const { books, settings, timed, log, quirks, text } = ctx;
  const p = books.prep(gid);
  const r = p.resolved;
  const risu = risuaiEntry(p);
  const d = risu.decorators;
  if (!r.enabled) quirks.touch(gid, 'risuai_ignores_disabled');
  const isSticky = timed.stickyActive.has(gid);
  const gated = ctx.gates.gate(gid, state, isSticky, timed.cooldownActive.has(gid));
  if (gated) {
    log.skip(gid, gated[0], gated[1]);
    return null;
  }
  const spec = p.decorators;
  if (d.applied.join('\n') !== spec.applied.join('\n') || (spec.activate && spec.dontActivate))
    quirks.touch(gid, 'risuai_decorator_parsing');
  if (ctx.forced.has(gid)) return { gid, reason: 'forced' };
  if (isSticky) return { gid, reason: 'sticky' };
  // RisuAI passes over an entry without keys unless it is always active, decorators or not.
  if (!r.constant && risu.keys.length === 0) {
    log.skip(gid, 'no_keys', 'the entry has no keys');
    return null;
  }

  let blocked: string | null = null;
  if (d.activateOnlyAfter !== undefined || d.activateOnlyEvery !== undefined) quirks.touch(gid, 'risuai_counts_every_message');
  if (d.activateOnlyAfter !== undefined && ctx.chatCount < d.activateOnlyAfter) {
    blocked = `@@activate_only_after ${d.activateOnlyAfter}: ${ctx.chatCount} messages with the greeting so far`;
  } else if (d.activateOnlyEvery !== undefined && ctx.chatCount % d.activateOnlyEvery !== 0) {
    blocked = `@@activate_only_every ${d.activateOnlyEvery}: ${ctx.chatCount} messages with the greeting so far`;
  } else if (d.isGreeting !== undefined && (ctx.input.greetingIndex ?? 0) !== d.isGreeting) {
    blocked = `@@is_greeting ${d.isGreeting}: active greeting is ${ctx.input.greetingIndex ?? 0}`;
  }
  let roll: number | undefined;
  if (d.probability !== undefined) {
    roll = ctx.random() * 100;
    if (roll > d.probability) blocked ??= `@@probability ${d.probability}: roll ${roll.toFixed(2)}`;
  }

  const matchedBefore = timed.matchedBefore.has(risu.matchedKey);
  if ((d.keepActivateAfterMatch || d.dontActivateAfterMatch) && matchedBefore) quirks.touch(gid, 'risuai_matched_flag_by_content');
  let force: 'activate' | 'deactivate' | 'keep' | undefined = d.activate ? 'activate' : d.dontActivate ? 'deactivate' : undefined;
  if (d.keepActivateAfterMatch && matchedBefore) force = 'keep';
  if (d.dontActivateAfterMatch && matchedBefore) force = 'deactivate';
  if (force === 'deactivate') {
    log.skip(gid, 'decorator', d.dontActivate ? '@@dont_activate' : '@@dont_activate_after_match: matched before');
    return null;
  }
  if (force === 'activate') return { gid, reason: 'decorator_activate' };
  if (force === 'keep') return { gid, reason: 'decorator_keep_activate' };
  if (blocked) {
    // RisuAI looks at the entry again in every later sweep, and rolls again.
    if (roll !== undefined && roll > (d.probability as number)) {
      log.skip(gid, 'probability', blocked, { probability: { chance: d.probability as number, roll } });
    } else log.skip(gid, 'decorator', blocked);
    return null;
  }
  if (r.constant) return { gid, reason: 'constant' };

  const depth = d.scanDepth ?? p.scanDepth ?? settings.scanDepth + ctx.progress.skew;
  if (depth > text.scannable && risuaiWindow(depth, text.scannable) < text.scannable) quirks.touch(gid, 'risuai_scan_depth_beyond_chat');
  if ((r.caseSensitive ?? settings.caseSensitive) === true) quirks.touch(gid, 'risuai_ignores_case_sensitive');
  if (r.keys.some((k) => k.includes(',') || k.trim().includes(' '))) quirks.touch(gid, 'risuai_keys_ignore_spaces');
  if (text.firstScannable > 0 || settings.includeNames) quirks.touch(gid, 'risuai_greeting_and_names_not_scanned');
  const search = {
    depth,
    regex: r.useRegex,
    wholeWords: d.matchWholeWords ?? ctx.wholeWords,
    withRecursion: !d.noRecursiveSearch,
  };
  for (const list of d.additionalKeys) {
    if (!text.search({ ...search, keys: list })) {
      log.skip(gid, 'additional_keys', `@@additional_keys: none of ${list.join(', ')} found`);
      return null;
    }
  }
  const excluded = d.excludeKeys.length > 0 ? text.search({ ...search, keys: d.excludeKeys }) : null;
  if (excluded) {
    log.skip(gid, 'exclude_keys', `@@exclude_keys: found ${excluded.key}`);
    return null;
  }
  for (const list of d.excludeKeysAll) {
    if (text.search({ ...search, keys: list, all: true })) {
      log.skip(gid, 'exclude_keys', `@@exclude_keys_all: found all of ${list.join(', ')}`);
      return null;
    }
  }
  const hit = text.search({ ...search, keys: risu.keys });
  if (!hit) {
    log.skip(gid, 'no_match', depth <= 0 ? 'no key matched (scan depth 0)' : 'no key matched');
    return null;
  }
  const match = toMatch(hit, 'primary');
  // RisuAI: secondary keys of a selective entry need one match, whatever the selective logic says.
  if (r.selective && risu.secondary.length > 0 && !text.search({ ...search, keys: risu.secondary })) {
    log.skip(gid, 'secondary_logic', `none of the secondary keys matched (${risu.secondary.join(', ')})`, { match });
    return null;
  }
  return { gid, reason: 'key_match', match };
}
