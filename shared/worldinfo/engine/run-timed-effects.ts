/** Timed effects (sticky, cooldown, matched records) of one run, on the run's entry ids. */
import { risuaiEntry } from './risuai-entry.ts';
import type { RunBooks } from './run-books.ts';
import type { ActiveRecord } from './scan-state.ts';
import { checkTimedEffects, startTimedEffects } from './timed-effects.ts';
import type { TimedCheckResult } from './timed-effects.ts';
import type { TimedEffectEvent, TimedEffectsState, WorldInfoInput } from './types.ts';

/** The stored effects at chat length `chatLength`, before the scan. */
export function checkRunTimedEffects(books: RunBooks, timedState: WorldInfoInput['timedState'], chatLength: number): TimedCheckResult {
  return checkTimedEffects(timedState, chatLength, (key) => {
    const gid = books.gidByKey(key);
    if (gid === undefined) return undefined;
    const p = books.prep(gid);
    return { gid, sticky: p.resolved.sticky, cooldown: p.resolved.cooldown, hash: p.hash };
  });
}

/** Starts the effects of this run's activations (mutates `state`). */
export function startRunTimedEffects(
  books: RunBooks,
  state: TimedEffectsState,
  chatLength: number,
  activated: Iterable<ActiveRecord>,
  risuai = false,
): TimedEffectEvent[] {
  return startTimedEffects(
    state,
    chatLength,
    [...activated].map((a) => {
      const p = books.prep(a.gid);
      const d = risuai ? risuaiEntry(p).decorators : p.decorators;
      return {
        entryKey: books.entryKey(a.gid),
        sticky: p.resolved.sticky,
        cooldown: p.resolved.cooldown,
        hash: p.hash,
        recordMatch: d.keepActivateAfterMatch || d.dontActivateAfterMatch,
        // RisuAI keys the "matched before" flag by the entry's content.
        ...(risuai ? { matchedKey: risuaiEntry(p).matchedKey } : {}),
      };
    }),
  );
}
