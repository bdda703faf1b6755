/**
 * Inclusion groups over one pass's activations (SillyTavern's `filterByInclusionGroups`): a sticky member wins
 * its group; then group scoring; then a group with an entry activated in an earlier pass admits no one; then a
 * prioritized member (highest order) or a weighted roll picks the one winner.
 */
import type { DiagnosticLog } from './entry-diagnostics.ts';
import type { RunBooks } from './run-books.ts';
import type { Activation, ScanProgress, ScanState } from './scan-state.ts';
import type { EntryDiagnostic, WorldInfoSettings } from './types.ts';
import type { QuirkLog } from './quirk-log.ts';

export interface InclusionGroupContext {
  books: RunBooks;
  settings: Pick<WorldInfoSettings, 'useGroupScoring'>;
  sticky: ReadonlySet<number>;
  progress: Pick<ScanProgress, 'activated'>;
  random: () => number;
  log: DiagnosticLog;
  quirks: QuirkLog;
  score: (gid: number, state: ScanState) => number;
}

type GroupMethod = NonNullable<EntryDiagnostic['group']>['method'];

export function filterInclusionGroups(ctx: InclusionGroupContext, items: Activation[], state: ScanState): Activation[] {
  const { books, settings, sticky, random, log } = ctx;
  const prep = (gid: number) => books.prep(gid);
  const entryKey = (gid: number) => books.entryKey(gid);
  const present = new Set(items.map((i) => i.gid));
  const groups = new Map<string, number[]>();
  for (const item of items) {
    for (const name of prep(item.gid).resolved.groups) {
      let members = groups.get(name);
      if (!members) groups.set(name, (members = []));
      members.push(item.gid);
    }
  }
  if (groups.size === 0) return items;
  noteGroupQuirks(ctx, items);
  const lose = (gid: number, name: string, winner: number | undefined, method: GroupMethod, detail: string) => {
    if (!present.delete(gid)) return;
    log.skip(gid, 'inclusion_group', detail, {
      group: { name, winner: winner === undefined ? '' : entryKey(winner), method },
    });
  };
  const stickyGroups = new Set<string>();
  for (const [name, members] of groups) {
    const stickies = members.filter((g) => sticky.has(g) && present.has(g));
    if (stickies.length === 0) continue;
    stickyGroups.add(name);
    const winner = stickies[0] as number;
    for (const g of members) {
      if (!stickies.includes(g)) lose(g, name, winner, 'sticky', `lost inclusion group '${name}' to sticky entry ${entryKey(winner)}`);
    }
  }
  for (const [name, members] of groups) {
    if (stickyGroups.has(name)) continue;
    if (!settings.useGroupScoring && !members.some((g) => prep(g).resolved.useGroupScoring === true)) continue;
    const live = members.filter((g) => present.has(g));
    if (live.length === 0) continue;
    const scores = live.map((g) => ctx.score(g, state));
    const max = Math.max(...scores);
    const winner = live[scores.indexOf(max)];
    live.forEach((g, i) => {
      const scored = prep(g).resolved.useGroupScoring ?? settings.useGroupScoring;
      if (scored && (scores[i] as number) < max) {
        lose(g, name, winner, 'scoring', `lost inclusion group '${name}' on key score (${scores[i]} < ${max})`);
      }
    });
  }
  const previous = [...ctx.progress.activated.keys()];
  for (const [name, members] of groups) {
    if (stickyGroups.has(name)) continue;
    const live = members.filter((g) => present.has(g));
    if (live.length === 0) continue;
    const earlier = previous.find((g) => prep(g).resolved.groups.includes(name));
    if (earlier !== undefined) {
      // SillyTavern compares the earlier entry's raw `group` field with the name.
      if (!previous.some((g) => prep(g).entry.group === name)) for (const g of live) ctx.quirks.touch(g, 'inclusion_group_names');
      for (const g of live)
        lose(g, name, earlier, 'already_activated', `inclusion group '${name}' already has ${entryKey(earlier)} active`);
      continue;
    }
    if (live.length <= 1) continue;
    const prios = live.filter((g) => prep(g).resolved.groupOverride).sort((a, b) => prep(b).resolved.order - prep(a).resolved.order);
    if (prios.length > 0) {
      const winner = prios[0] as number;
      for (const g of live)
        if (g !== winner) lose(g, name, winner, 'override', `lost inclusion group '${name}' to ${entryKey(winner)} (prioritized)`);
      continue;
    }
    const weights = live.map((g) => Math.max(0, prep(g).resolved.groupWeight));
    const totalWeight = weights.reduce((a, w) => a + w, 0);
    const roll = random() * totalWeight;
    let cumulative = 0;
    let winner: number | undefined;
    for (let i = 0; i < live.length; i++) {
      cumulative += weights[i] as number;
      if (roll <= cumulative) {
        winner = live[i];
        break;
      }
    }
    if (winner === undefined) continue;
    for (const g of live) {
      if (g !== winner) {
        lose(
          g,
          name,
          winner,
          'weighted_roll',
          `lost inclusion group '${name}' to ${entryKey(winner)} (roll ${roll.toFixed(2)} of ${totalWeight})`,
        );
      }
    }
  }
  return items.filter((i) => present.has(i.gid));
}

/**
 * Records where SillyTavern's group handling could decide differently: entries in several groups (double removal,
 * a lost entry winning another group) and raw names, name order or negative weights.
 */
export function noteGroupQuirks(ctx: Pick<InclusionGroupContext, 'books' | 'quirks'>, items: readonly Activation[]): void {
  for (const a of items) {
    const p = ctx.books.prep(a.gid);
    const raw = p.entry.group;
    if (!raw) continue;
    if (p.resolved.groups.length > 1) {
      ctx.quirks.touch(a.gid, 'inclusion_group_multi_group');
      ctx.quirks.runLevel('inclusion_group_multi_group');
    }
    if (raw !== p.resolved.groups.join(',') || p.resolved.groupWeight < 0 || p.resolved.groups.some((n) => /^\d+$/.test(n))) {
      ctx.quirks.runLevel('inclusion_group_names');
    }
  }
}
