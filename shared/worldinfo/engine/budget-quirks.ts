/**
 * Which quirk an entry at the budget edge meets (`quirk-log.ts`). SillyTavern overflows when
 * `tokens(recursion-fed text) + tokens(this pass's entries joined) >= budget`; `corrected` when
 * `tokens used so far + the entry's own tokens > budget`. Both modes compute both sides (each side is cheap: the
 * joined count is incremental), so a run in either mode knows when the other one could decide the entry otherwise.
 */
import type { QuirkLog } from './quirk-log.ts';

export interface BudgetSides {
  /** SillyTavern's total for this entry (fed text + joined pass text). */
  sillyTavernTotal: number;
  /** `corrected`'s total (every activated entry's own count, plus this one). */
  correctedTotal: number;
  budget: number;
  /** The pass's joined count differs from the sum of its entries' own counts. */
  joinedDiffers: boolean;
}

export function noteBudgetQuirk(quirks: QuirkLog, gid: number, sides: BudgetSides): void {
  const { sillyTavernTotal, correctedTotal, budget } = sides;
  if (sillyTavernTotal === budget || correctedTotal === budget) {
    quirks.touch(gid, 'budget_boundary');
    return;
  }
  if (sillyTavernTotal >= budget === correctedTotal > budget) return;
  quirks.touch(gid, sides.joinedDiffers ? 'budget_joined_count' : 'budget_recursion_accounting');
}
