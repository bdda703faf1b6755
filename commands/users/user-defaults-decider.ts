import type { Actor } from '../../shared/access/actor.ts';
import type { UserDefaultsEvent } from '../../shared/events/user-defaults-events.ts';
import { mergeUserDefaults, type UserDefaults, type UserDefaultsChanges } from '../../shared/users/user-defaults.ts';
import type { Decider } from '../command-handler.ts';

/** A user's defaults, one stream per user. */
export const userDefaultsStream = (userId: string) => `userdefaults-${userId}`;

export interface UserDefaultsState {
  defaults: UserDefaults;
}

export type UserDefaultsCommand = { type: 'ChangeUserDefaults'; userId: string; changes: UserDefaultsChanges };

const initialState = (): UserDefaultsState => ({ defaults: {} });

function evolve(state: UserDefaultsState, event: UserDefaultsEvent): UserDefaultsState {
  return event.type === 'UserDefaultsChanged' ? { defaults: event.data.defaults } : state;
}

function decide(command: UserDefaultsCommand, state: UserDefaultsState, _context: Actor): UserDefaultsEvent[] {
  const next = mergeUserDefaults(state.defaults, command.changes);
  // Setting what is already set changes nothing (no event).
  if (JSON.stringify(next) === JSON.stringify(state.defaults)) return [];
  return [{ type: 'UserDefaultsChanged', data: { userId: command.userId, defaults: next } }];
}

export const userDefaultsDecider: Decider<UserDefaultsState, UserDefaultsCommand, UserDefaultsEvent> = { initialState, evolve, decide };
