import type { GroupEvent } from '../shared/events/group-events.ts';
import { groupFold, type GroupState } from '../shared/groups/group-fold.ts';
import type { HistoryFold } from './resource-history.ts';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A group's history: its own fold, and the definition fields each event changed. */
export const groupHistoryFold: HistoryFold<GroupState> = {
  initialState: groupFold.initialState,
  evolve: (state, event) => groupFold.evolve(state, event as GroupEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
  changedFields: (before, after) => {
    if (!before.group || !after.group) return [];
    const a = before.group as Record<string, unknown>;
    const b = after.group as Record<string, unknown>;
    return Object.keys(b).filter((k) => !same(a[k], b[k]));
  },
};
