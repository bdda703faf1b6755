/**
 * Where a run met a SillyTavern behaviour that `corrected` mode changes (DEVIATIONS.md). Recording is cheap (a
 * check at the point of decision); only when something was recorded does the engine run the other mode to see
 * which entries it decides differently (see `explain-quirks.ts`).
 */
import type { QuirkName } from './types.ts';

export class QuirkLog {
  /** Entries whose own decision touched a quirk (a key match, a scan depth of 0, a group). */
  readonly byGid = new Map<number, QuirkName>();
  /** Quirks of the run as a whole (passes, budget), in the order met. */
  readonly run: QuirkName[] = [];

  touch(gid: number, name: QuirkName): void {
    if (!this.byGid.has(gid)) this.byGid.set(gid, name);
  }

  /** Names the entry's quirk whatever was noted before (a decision made later that outweighs the earlier notes). */
  name(gid: number, name: QuirkName): void {
    this.byGid.set(gid, name);
  }

  runLevel(name: QuirkName): void {
    if (!this.run.includes(name)) this.run.push(name);
  }

  get met(): boolean {
    return this.byGid.size > 0 || this.run.length > 0;
  }
}
