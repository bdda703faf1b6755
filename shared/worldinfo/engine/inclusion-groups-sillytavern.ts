/**
 * Inclusion groups exactly as SillyTavern 1.12.6 runs them (`filterByInclusionGroups`; the current release is the
 * same in every point below), for `compatibility: 'sillytavern'`:
 * - groups come from the raw `group` field split by `/,\s*\/` (no trimming), kept in a plain object, so
 *   integer-like names come first;
 * - each group lists every member, also members already removed by another group, so an entry that lost group
 *   `x` can still be the override or roll winner of group `y` (`y` then contributes nothing);
 * - a loser is removed with `splice(indexOf(entry), 1)`: removing an entry a second time (it lost two groups)
 *   finds index -1 and removes the *last* remaining activation instead;
 * - "already activated in an earlier pass" compares the earlier entry's raw `group` field with the group name;
 * - weights are used as written (negative ones too).
 */
import { noteGroupQuirks } from './inclusion-groups.ts';
import type { InclusionGroupContext } from './inclusion-groups.ts';
import type { Activation, ScanState } from './scan-state.ts';
import type { EntryDiagnostic } from './types.ts';

type GroupMethod = NonNullable<EntryDiagnostic['group']>['method'];

/** JavaScript's own-property order: array-index keys ascending, then the others in insertion order. */
function objectKeyOrder(names: Iterable<string>): string[] {
  const index: string[] = [];
  const other: string[] = [];
  for (const n of names) (/^(0|[1-9]\d*)$/.test(n) && Number(n) < 4294967295 ? index : other).push(n);
  index.sort((a, b) => Number(a) - Number(b));
  return [...index, ...other];
}

export function filterInclusionGroupsSillyTavern(ctx: InclusionGroupContext, items: Activation[], state: ScanState): Activation[] {
  const { books, settings, sticky, random, log, quirks } = ctx;
  const prep = (a: Activation) => books.prep(a.gid);
  const rawGroup = (gid: number) => books.prep(gid).entry.group ?? '';
  const newEntries = [...items];
  const byName = new Map<string, Activation[]>();
  for (const item of newEntries) {
    const raw = prep(item).entry.group;
    if (!raw) continue;
    for (const name of raw.split(/,\s*/).filter((x) => x)) {
      let members = byName.get(name);
      if (!members) byName.set(name, (members = []));
      members.push(item);
    }
  }
  if (byName.size === 0) return newEntries;
  const names = objectKeyOrder(byName.keys());
  const removed = new Set<Activation>();
  const removeEntry = (a: Activation, name: string, winner: Activation | null, method: GroupMethod, detail: string) => {
    const at = newEntries.indexOf(a);
    if (at < 0) {
      // SillyTavern's `splice(-1, 1)`: the last remaining activation goes instead.
      const victim = newEntries.pop();
      quirks.runLevel('inclusion_group_double_removal');
      if (victim) {
        quirks.touch(victim.gid, 'inclusion_group_double_removal');
        log.skip(
          victim.gid,
          'inclusion_group',
          `removed by SillyTavern's second removal of ${books.entryKey(a.gid)} from group '${name}'`,
          {
            group: { name, winner: winner ? books.entryKey(winner.gid) : '', method },
          },
        );
      }
      return;
    }
    newEntries.splice(at, 1);
    removed.add(a);
    log.skip(a.gid, 'inclusion_group', detail, { group: { name, winner: winner ? books.entryKey(winner.gid) : '', method } });
  };
  const removeAllBut = (name: string, group: Activation[], chosen: Activation | null, method: GroupMethod, detail: string) => {
    for (const a of group) if (a !== chosen) removeEntry(a, name, chosen, method, detail);
  };
  noteGroupQuirks(ctx, items);

  const hasSticky = new Map<string, boolean>();
  for (const name of names) {
    const group = byName.get(name) as Activation[];
    const stickies = group.filter((a) => sticky.has(a.gid));
    hasSticky.set(name, stickies.length > 0);
    if (stickies.length === 0) continue;
    const winner = stickies[0] as Activation;
    for (const a of group) {
      if (!stickies.includes(a)) {
        removeEntry(a, name, winner, 'sticky', `lost inclusion group '${name}' to sticky entry ${books.entryKey(winner.gid)}`);
      }
    }
  }
  for (const name of names) {
    const group = byName.get(name) as Activation[];
    if (!settings.useGroupScoring && !group.some((a) => prep(a).entry.useGroupScoring === true)) continue;
    if (hasSticky.get(name)) continue;
    const scores = group.map((a) => ctx.score(a.gid, state));
    const max = Math.max(...scores);
    for (let i = 0; i < group.length; i++) {
      const a = group[i] as Activation;
      const scored = prep(a).entry.useGroupScoring ?? settings.useGroupScoring;
      if (!scored) continue;
      if ((scores[i] as number) < max) {
        removeEntry(a, name, null, 'scoring', `lost inclusion group '${name}' on key score (${scores[i]} < ${max})`);
        group.splice(i, 1);
        scores.splice(i, 1);
        i--;
      }
    }
  }
  const previous = [...ctx.progress.activated.keys()];
  for (const name of names) {
    const group = byName.get(name) as Activation[];
    if (hasSticky.get(name)) continue;
    const earlier = previous.find((g) => rawGroup(g) === name);
    if (earlier === undefined && previous.some((g) => books.prep(g).resolved.groups.includes(name.trim()))) {
      for (const a of group) quirks.touch(a.gid, 'inclusion_group_names');
    }
    if (earlier !== undefined) {
      removeAllBut(name, group, null, 'already_activated', `inclusion group '${name}' already has ${books.entryKey(earlier)} active`);
      continue;
    }
    if (group.length <= 1) continue;
    const prios = group.filter((a) => prep(a).resolved.groupOverride).sort((x, y) => prep(y).resolved.order - prep(x).resolved.order);
    if (prios.length > 0) {
      const winner = prios[0] as Activation;
      if (removed.has(winner)) quirks.touch(winner.gid, 'inclusion_group_multi_group');
      removeAllBut(name, group, winner, 'override', `lost inclusion group '${name}' to ${books.entryKey(winner.gid)} (prioritized)`);
      continue;
    }
    const totalWeight = group.reduce((sum, a) => sum + prep(a).resolved.groupWeight, 0);
    const roll = random() * totalWeight;
    let cumulative = 0;
    let winner: Activation | null = null;
    for (const a of group) {
      cumulative += prep(a).resolved.groupWeight;
      if (roll <= cumulative) {
        winner = a;
        break;
      }
    }
    if (!winner) continue;
    const w = winner;
    removeAllBut(
      name,
      group,
      w,
      'weighted_roll',
      `lost inclusion group '${name}' to ${books.entryKey(w.gid)} (roll ${roll.toFixed(2)} of ${totalWeight})`,
    );
  }
  return newEntries;
}
