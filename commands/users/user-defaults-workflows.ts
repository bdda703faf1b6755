import type { Actor } from '../../shared/access/actor.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { UserDefaultsChanges } from '../../shared/users/user-defaults.ts';
import { handleCommand, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import { userDefaultsDecider, userDefaultsStream, type UserDefaultsState } from './user-defaults-decider.ts';

export interface UserDefaultsDeps {
  eventStore: EventStore;
  cache?: StateCache;
}

/** Changes the caller's own defaults (a user has no way to reach another's). */
export function changeUserDefaults(
  deps: UserDefaultsDeps,
  actor: Actor,
  changes: UserDefaultsChanges,
): Promise<CommandResult<UserDefaultsState>> {
  return handleCommand(
    deps.eventStore,
    userDefaultsStream(actor.userId),
    userDefaultsDecider,
    { type: 'ChangeUserDefaults', userId: actor.userId, changes },
    actor,
    { ...(deps.cache ? { cache: deps.cache } : {}), dataSubject: actor.userId },
  );
}
