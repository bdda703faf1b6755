import type { Fold } from '../events/domain-event.ts';
import type { GroupEvent } from '../events/group-events.ts';
import type { GroupDefinition } from './group-definition.ts';

export const groupStream = (groupId: string) => `group-${groupId}`;

export interface GroupState {
  exists: boolean;
  deleted: boolean;
  ownerId: string | null;
  group: GroupDefinition | null;
}

const initialState = (): GroupState => ({ exists: false, deleted: false, ownerId: null, group: null });

function evolve(state: GroupState, event: GroupEvent): GroupState {
  switch (event.type) {
    case 'GroupCreated':
      return { exists: true, deleted: false, ownerId: event.data.ownerId, group: event.data.group };
    case 'GroupUpdated':
      return { ...state, group: { ...state.group!, ...event.data.changes } };
    case 'GroupDeleted':
      return { ...state, deleted: true };
    case 'GroupRestored':
      return { ...state, deleted: false };
    default:
      return state;
  }
}

/** A group's stream folded: what the decider decides from, what history and time travel rebuild. */
export const groupFold: Fold<GroupState, GroupEvent> = { initialState, evolve };
