/**
 * One entry in one pass, in SillyTavern's order of checks: gates, decorators, forced / constant / sticky, then
 * the keys (primary, `@@additional_keys`, `@@exclude_keys`, secondary with its logic) in the entry's scan view.
 * Also the key score inclusion-group scoring uses.
 */
import { MAX_SCAN_DEPTH, SELECTIVE_LOGIC, SELECTIVE_LOGIC_NAMES } from '../entry.ts';
import type { KeyRef, PreparedEntry } from './book-index.ts';
import { KIND_INJECTION, KIND_RECURSION } from './book-index.ts';
import type { Hit, Segment, ViewSpec } from './match.ts';
import type { DiagnosticLog } from './entry-diagnostics.ts';
import type { EntryGates } from './entry-gates.ts';
import type { RunBooks } from './run-books.ts';
import type { ScanBuffer } from './scan-buffer.ts';
import { STATE_MIN_ACTIVATIONS } from './scan-state.ts';
import type { Activation, ScanProgress, ScanState } from './scan-state.ts';
import type { TimedCheckResult } from './timed-effects.ts';
import type { KeyMatchInfo, WorldInfoSettings } from './types.ts';
import type { QuirkLog } from './quirk-log.ts';
import { decideRisuai } from './risuai-evaluation.ts';
import type { RisuaiEvaluationContext } from './risuai-evaluation.ts';

export interface EvaluationContext {
  books: RunBooks;
  buffer: ScanBuffer;
  settings: WorldInfoSettings;
  progress: Pick<ScanProgress, 'skew' | 'failedProbability'>;
  timed: Pick<TimedCheckResult, 'stickyActive' | 'cooldownActive' | 'matchedBefore'>;
  forced: ReadonlySet<number>;
  gates: EntryGates;
  log: DiagnosticLog;
  messageTotal: number;
  quirks: QuirkLog;
  /** Rolls `@@probability` when the entry is evaluated (the engine passes its random source). */
  random?: () => number;
  /** Set in the `risuai` profile: entries are decided as RisuAI decides them. */
  risuai?: RisuaiEvaluationContext;
}

export class EntryEvaluator {
  private readonly ctx: EvaluationContext;

  constructor(ctx: EvaluationContext) {
    this.ctx = ctx;
  }

  /** The activation the entry earns in this pass, or null (the reason is noted in the diagnostics). */
  evaluate(gid: number, state: ScanState): Activation | null {
    const resolver = this.ctx.buffer.resolver;
    resolver.quirk = undefined;
    if (this.ctx.risuai) return decideRisuai(this.ctx.risuai, gid, state);
    const activation = this.decide(gid, state);
    if (resolver.quirk) this.ctx.quirks.touch(gid, resolver.quirk);
    return activation;
  }

  private decide(gid: number, state: ScanState): Activation | null {
    const { books, buffer, timed, gates, log } = this.ctx;
    const resolver = buffer.resolver;
    const b = books.bookNumber(gid);
    const p = books.prep(gid);
    const r = p.resolved;
    const isSticky = timed.stickyActive.has(gid);
    const isCooldown = timed.cooldownActive.has(gid);
    const gated = gates.gate(gid, state, isSticky, isCooldown);
    if (gated) {
      log.skip(gid, gated[0], gated[1]);
      return null;
    }
    const d = p.decorators;
    if (d.activate) return { gid, reason: 'decorator_activate' };
    if (d.dontActivate) {
      log.skip(gid, 'decorator', '@@dont_activate');
      return null;
    }
    const blocked = gates.decoratorGate(gid);
    if (blocked) {
      log.skip(gid, 'decorator', blocked);
      return null;
    }
    if (d.probability !== undefined) {
      // RisuAI's `@@probability`: rolled when the entry is looked at, before its keys; `@@activate` beats it.
      const roll = (this.ctx.random ?? Math.random)() * 100;
      if (roll > d.probability) {
        this.ctx.progress.failedProbability.add(gid);
        log.skip(gid, 'probability', `@@probability ${d.probability}: roll ${roll.toFixed(2)}`, {
          probability: { chance: d.probability, roll },
        });
        return null;
      }
    }
    if (d.keepActivateAfterMatch && timed.matchedBefore.has(books.entryKey(gid))) return { gid, reason: 'decorator_keep_activate' };
    if (this.ctx.forced.has(gid)) return { gid, reason: 'forced' };
    if (r.constant) return { gid, reason: 'constant' };
    if (isSticky) return { gid, reason: 'sticky' };
    if (p.primary.length === 0) {
      log.skip(gid, 'no_keys', 'the entry has no keys');
      return null;
    }
    const view = this.viewFor(p, state);
    const cs = this.caseOf(p);
    const ww = this.wholeOf(p);
    let match: KeyMatchInfo | undefined;
    for (const ref of p.primary) {
      const hit = resolver.match(b, p, ref, view, cs, ww);
      if (hit) {
        match = this.describeHit(hit, ref, 'primary');
        break;
      }
    }
    if (!match) {
      log.skip(gid, 'no_match', view.depth <= 0 ? 'no key matched (scan depth 0: chat messages are not scanned)' : 'no key matched');
      return null;
    }
    for (const list of p.additional) {
      if (!list.some((ref) => resolver.match(b, p, ref, view, cs, ww))) {
        log.skip(gid, 'additional_keys', `@@additional_keys: none of ${list.map((k) => k.text).join(', ')} found`, { match });
        return null;
      }
    }
    for (const ref of p.exclude) {
      const hit = resolver.match(b, p, ref, view, cs, ww);
      if (hit) {
        log.skip(gid, 'exclude_keys', `@@exclude_keys: found ${ref.text}`, { match });
        return null;
      }
    }
    for (const list of p.excludeAll) {
      if (list.every((ref) => resolver.match(b, p, ref, view, cs, ww))) {
        log.skip(gid, 'exclude_keys', `@@exclude_keys_all: found all of ${list.map((k) => k.text).join(', ')}`, { match });
        return null;
      }
    }
    if (r.selective && p.secondary.length > 0) {
      const matched: string[] = [];
      const missing: string[] = [];
      for (const ref of p.secondary) (resolver.match(b, p, ref, view, cs, ww) ? matched : missing).push(ref.text);
      const logic = r.selectiveLogic;
      const ok =
        logic === SELECTIVE_LOGIC.AND_ANY
          ? matched.length > 0
          : logic === SELECTIVE_LOGIC.NOT_ALL
            ? missing.length > 0
            : logic === SELECTIVE_LOGIC.NOT_ANY
              ? matched.length === 0
              : missing.length === 0;
      const secondary = { logic: SELECTIVE_LOGIC_NAMES[logic], matched, missing };
      if (!ok) {
        const why =
          logic === SELECTIVE_LOGIC.AND_ANY
            ? 'none of the secondary keys matched'
            : logic === SELECTIVE_LOGIC.NOT_ALL
              ? 'all secondary keys matched'
              : logic === SELECTIVE_LOGIC.NOT_ANY
                ? `secondary key(s) present: ${matched.join(', ')}`
                : `secondary key(s) missing: ${missing.join(', ')}`;
        log.skip(gid, 'secondary_logic', `${SELECTIVE_LOGIC_NAMES[logic]} failed: ${why}`, { match, secondary });
        return null;
      }
      log.note(gid, { status: 'skipped', reason: 'no_match', detail: '', secondary });
    }
    return { gid, reason: 'key_match', match };
  }

  /** Group scoring: primary key hits, plus secondary hits for AND_ANY / AND_ALL (SillyTavern's `getScore`). */
  score(gid: number, state: ScanState): number {
    const { books, buffer } = this.ctx;
    const b = books.bookNumber(gid);
    const p = books.prep(gid);
    if (p.primary.length === 0) return 0;
    const view = this.viewFor(p, state);
    const cs = this.caseOf(p);
    const ww = this.wholeOf(p);
    let primary = 0;
    for (const ref of p.primary) if (buffer.resolver.match(b, p, ref, view, cs, ww)) primary++;
    let secondary = 0;
    for (const ref of p.secondary) if (buffer.resolver.match(b, p, ref, view, cs, ww)) secondary++;
    if (p.secondary.length > 0) {
      if (p.resolved.selectiveLogic === SELECTIVE_LOGIC.AND_ANY) return primary + secondary;
      if (p.resolved.selectiveLogic === SELECTIVE_LOGIC.AND_ALL) {
        return secondary === p.secondary.length ? primary + secondary : primary;
      }
    }
    return primary;
  }

  private viewFor(p: PreparedEntry, state: ScanState): ViewSpec {
    const depth = Math.min(p.scanDepth ?? this.ctx.settings.scanDepth + this.ctx.progress.skew, MAX_SCAN_DEPTH);
    const recursion = state === STATE_MIN_ACTIVATIONS || p.decorators.noRecursiveSearch ? 0 : KIND_RECURSION;
    const kinds = KIND_INJECTION | p.matchSourceMask | recursion;
    if (depth <= 0) {
      // SillyTavern (1.12.6 and current): `buffer.get()` returns '' for a depth ≤ 0, before it appends the
      // injections, match sources and recursion text, so nothing can match.
      this.ctx.buffer.resolver.quirk ??= 'scan_depth_zero';
      if (this.ctx.settings.compatibility === 'sillytavern') return { depth: 0, kinds: 0 };
    }
    return { depth, kinds };
  }

  private caseOf(p: PreparedEntry): boolean {
    return p.resolved.caseSensitive ?? this.ctx.settings.caseSensitive;
  }

  private wholeOf(p: PreparedEntry): boolean {
    return p.decorators.matchWholeWords ?? p.resolved.matchWholeWords ?? this.ctx.settings.matchWholeWords;
  }

  private describeHit(hit: Hit, ref: KeyRef, list: KeyMatchInfo['list']): KeyMatchInfo {
    const seg = this.ctx.buffer.store.segments[hit.segId] as Segment;
    const info: KeyMatchInfo = {
      key: ref.text,
      list,
      source: seg.kind,
      matchedText: seg.text.slice(hit.start, hit.end),
      offset: hit.start,
    };
    if (seg.kind === 'message' && seg.depth !== undefined) {
      info.depth = seg.depth;
      info.messageIndex = this.ctx.messageTotal - 1 - seg.depth;
    }
    if (seg.kind === 'recursion' && seg.pass !== undefined) info.recursionPass = seg.pass;
    return info;
  }
}
