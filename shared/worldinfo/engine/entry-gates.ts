/**
 * The checks that do not depend on the scanned text: enabled, character filter, generation type, delay,
 * cooldown, delay until recursion, exclude recursion; and the Card V3 decorators that depend on the chat.
 */
import type { RunBooks } from './run-books.ts';
import { STATE_RECURSION } from './scan-state.ts';
import type { ScanProgress, ScanState } from './scan-state.ts';
import type { TimedCheckResult } from './timed-effects.ts';
import type { SkipReason, WorldInfoInput, WorldInfoSettings } from './types.ts';

export interface GateContext {
  books: RunBooks;
  settings: WorldInfoSettings;
  input: Pick<WorldInfoInput, 'characterName' | 'characterAliases' | 'characterTags' | 'generationType' | 'greetingIndex'>;
  chatLength: number;
  assistantCount: number;
  timed: Pick<TimedCheckResult, 'matchedBefore'>;
  progress: Pick<ScanProgress, 'currentLevel'>;
}

export class EntryGates {
  private readonly charNames: Set<string>;
  private readonly charTags: Set<string> | undefined;
  private readonly ctx: GateContext;

  constructor(ctx: GateContext) {
    this.ctx = ctx;
    const input = ctx.input;
    this.charNames = new Set([input.characterName, ...(input.characterAliases ?? [])]);
    this.charTags = input.characterTags ? new Set(input.characterTags.map((t) => t.trim().toLowerCase())) : undefined;
  }

  /** Why the entry cannot activate in a pass of `state`, or null (shared by evaluation and the final diagnostics). */
  gate(gid: number, state: ScanState, isSticky: boolean, isCooldown: boolean): [SkipReason, string] | null {
    const { input, settings, chatLength: L } = this.ctx;
    const currentLevel = this.ctx.progress.currentLevel;
    const r = this.ctx.books.prep(gid).resolved;
    // RisuAI has no switch for an entry: its profile ignores `enabled: false`.
    if (!r.enabled && settings.compatibility !== 'risuai') return ['disabled', 'disabled'];
    const filter = r.characterFilter;
    if (filter && filter.names.length > 0) {
      const included = filter.names.some((n) => this.charNames.has(n));
      if (filter.isExclude ? included : !included) {
        return [
          'character_filter',
          filter.isExclude ? `excluded for character ${input.characterName}` : `only for ${filter.names.join(', ')}`,
        ];
      }
    }
    const charTags = this.charTags;
    if (filter && filter.tags.length > 0 && charTags) {
      const hasTag = filter.tags.some((t) => charTags.has(t.trim().toLowerCase()));
      if (filter.isExclude ? hasTag : !hasTag) {
        return ['character_filter', filter.isExclude ? 'excluded by a character tag' : `only for tags ${filter.tags.join(', ')}`];
      }
    }
    if (r.triggers.length > 0 && input.generationType && !r.triggers.includes(input.generationType)) {
      return ['generation_type', `only on ${r.triggers.join(', ')} generations (this is ${input.generationType})`];
    }
    if (r.delay > 0 && L < r.delay) return ['delay', `delayed until the chat has ${r.delay} messages (now ${L})`];
    if (isCooldown && !isSticky) return ['cooldown', 'on cooldown'];
    if (state !== STATE_RECURSION && r.delayUntilRecursion > 0 && !isSticky) {
      return ['delay_until_recursion', `only activatable in recursion passes of level ≥ ${r.delayUntilRecursion}`];
    }
    if (state === STATE_RECURSION && r.delayUntilRecursion > currentLevel && !isSticky) {
      return ['delay_until_recursion', `recursion level ${r.delayUntilRecursion} not reached (current level ${currentLevel})`];
    }
    if (state === STATE_RECURSION && settings.recursive && r.excludeRecursion && !isSticky) {
      return ['exclude_recursion', 'excluded from recursion (non-recursable) and this is a recursion pass'];
    }
    return null;
  }

  /** Why a decorator keeps the entry inactive in this chat, or null. */
  decoratorGate(gid: number): string | null {
    const { books, timed, assistantCount, input } = this.ctx;
    const d = books.prep(gid).decorators;
    if (d.dontActivateAfterMatch && timed.matchedBefore.has(books.entryKey(gid))) return '@@dont_activate_after_match: matched before';
    if (d.activateOnlyAfter !== undefined && assistantCount < d.activateOnlyAfter) {
      return `@@activate_only_after ${d.activateOnlyAfter}: ${assistantCount} assistant messages so far`;
    }
    if (d.activateOnlyEvery !== undefined && assistantCount % d.activateOnlyEvery !== 0) {
      return `@@activate_only_every ${d.activateOnlyEvery}: ${assistantCount} assistant messages so far`;
    }
    if (d.isGreeting !== undefined && input.greetingIndex !== d.isGreeting) {
      return `@@is_greeting ${d.isGreeting}: active greeting is ${input.greetingIndex ?? 'unknown'}`;
    }
    return null;
  }
}
