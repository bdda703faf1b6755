import { limitExceeded } from '../../shared/errors.ts';
import type { UserPersonasEvent } from '../../shared/events/persona-events.ts';
import type { Decider } from '../command-handler.ts';

/**
 * A user's persona roster, one stream per user: every live persona holds a slot (the MAX_PERSONAS_PER_USER cap,
 * taken by an append at the revision the count was read at), and the id of the default persona, so concurrent
 * "make this the default" requests are ordered and each clears the one before it.
 */
export const userPersonasStream = (userId: string) => `user-personas-${userId}`;

export interface UserPersonasState {
  live: number;
  defaultId: string | null;
}

export type UserPersonasCommand =
  | { type: 'TakePersonaSlot'; userId: string; personaId: string; max: number }
  | { type: 'FreePersonaSlot'; userId: string; personaId: string }
  | { type: 'ChooseDefaultPersona'; userId: string; personaId: string }
  /** The persona stops being the default (nothing when another one is). */
  | { type: 'DropDefaultPersona'; userId: string; personaId: string };

const initialState = (): UserPersonasState => ({ live: 0, defaultId: null });

function evolve(state: UserPersonasState, event: UserPersonasEvent): UserPersonasState {
  switch (event.type) {
    case 'PersonaSlotTaken':
      return { ...state, live: state.live + 1 };
    case 'PersonaSlotFreed':
      return { ...state, live: Math.max(0, state.live - 1) };
    case 'DefaultPersonaChanged':
      return { ...state, defaultId: event.data.personaId };
    default:
      return state;
  }
}

function decide(command: UserPersonasCommand, state: UserPersonasState): UserPersonasEvent[] {
  const { userId, personaId } = command;
  switch (command.type) {
    case 'TakePersonaSlot':
      if (state.live >= command.max)
        throw limitExceeded(`Persona limit exceeded. Maximum ${command.max} personas allowed.`, { limit: command.max });
      return [{ type: 'PersonaSlotTaken', data: { userId, personaId } }];
    case 'FreePersonaSlot':
      return state.live > 0 ? [{ type: 'PersonaSlotFreed', data: { userId, personaId } }] : [];
    case 'ChooseDefaultPersona':
      if (state.defaultId === personaId) return [];
      return [{ type: 'DefaultPersonaChanged', data: { userId, personaId, previousPersonaId: state.defaultId } }];
    case 'DropDefaultPersona':
      if (state.defaultId !== personaId) return [];
      return [{ type: 'DefaultPersonaChanged', data: { userId, personaId: null, previousPersonaId: personaId } }];
  }
}

export const userPersonasDecider: Decider<UserPersonasState, UserPersonasCommand, UserPersonasEvent> = { initialState, evolve, decide };
