/**
 * "Why SillyTavern and corrected mode differ here": after a run that met a quirk (`quirk-log.ts`), the engine runs
 * the other compatibility mode on the same input (same random draws) and marks every entry the two runs decide
 * differently with the quirk involved and the other mode's outcome. Runs that meet no quirk pay nothing.
 * A `risuai` run is compared with `corrected` (the spec): "the spec says…". Its entries placed elsewhere than the
 * spec would place them get `risuai_last_placement_wins` with `other_outcome: placed_differently`.
 */
import { depthlessNotInserted } from './activation-placement.ts';
import type { QuirkLog } from './quirk-log.ts';
import type { RunBooks } from './run-books.ts';
import type { ActivatedEntry, CompatibilityMode, EntryDiagnostic, QuirkName } from './types.ts';

export interface QuirkRun {
  diagnostics: EntryDiagnostic[];
  activated: readonly ActivatedEntry[];
  quirks: QuirkLog;
  books: RunBooks;
  /** `risuai` runs: entry key → where the spec would have placed the entry, when that differs. */
  placements?: ReadonlyMap<string, string>;
}

function entryQuirks(run: QuirkRun, into: Map<string, QuirkName>): void {
  for (const [gid, name] of run.quirks.byGid) if (!into.has(run.books.entryKey(gid))) into.set(run.books.entryKey(gid), name);
}

export function explainQuirks(mode: CompatibilityMode, main: QuirkRun, other: QuirkRun | undefined): EntryDiagnostic[] {
  const otherMode: CompatibilityMode = mode === 'corrected' ? 'sillytavern' : 'corrected';
  const byEntry = new Map<string, QuirkName>();
  entryQuirks(main, byEntry);
  const runQuirks = [...main.quirks.run];
  if (other) {
    entryQuirks(other, byEntry);
    for (const q of other.quirks.run) if (!runQuirks.includes(q)) runQuirks.push(q);
  }
  const otherByKey = new Map((other?.diagnostics ?? []).map((d) => [d.entryKey, d]));
  // The depth-less at-depth entries SillyTavern leaves out of the prompt (in `corrected` mode: would leave out).
  const depthless = depthlessNotInserted(main.activated);
  return main.diagnostics.map((d) => {
    const o = otherByKey.get(d.entryKey);
    const placedElsewhere = main.placements?.get(d.entryKey);
    if (placedElsewhere !== undefined && o?.status === d.status) {
      return {
        ...d,
        quirk: 'risuai_last_placement_wins',
        other_mode: otherMode,
        other_outcome: 'placed_differently',
        other_placement: placedElsewhere,
      };
    }
    if (!o || o.status === d.status) {
      if (mode === 'risuai' || !depthless.has(d.entryKey)) return d;
      return {
        ...d,
        quirk: 'at_depth_without_depth',
        other_mode: otherMode,
        other_outcome: mode === 'sillytavern' ? 'inserted_at_depth_4' : 'not_inserted',
      };
    }
    // An entry decided differently without a quirk of its own was displaced by another entry's (budget, recursion).
    const quirk = byEntry.get(d.entryKey) ?? runQuirks[0] ?? byEntry.values().next().value;
    if (!quirk) return d;
    const explained: EntryDiagnostic = {
      ...d,
      quirk,
      other_mode: otherMode,
      other_outcome: o.status === 'activated' ? 'activated' : 'not_activated',
    };
    if (o.status === 'skipped') explained.other_reason = o.reason;
    return explained;
  });
}
