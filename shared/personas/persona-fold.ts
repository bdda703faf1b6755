import type { Fold } from '../events/domain-event.ts';
import type { PersonaEvent, PersonaSource } from '../events/persona-events.ts';
import type { PersonaFields } from './persona-fields.ts';

export const personaStream = (personaId: string) => `persona-${personaId}`;

export interface PersonaState {
  exists: boolean;
  deleted: boolean;
  ownerId: string | null;
  fields: PersonaFields | null;
  source: PersonaSource | null;
}

const initialState = (): PersonaState => ({ exists: false, deleted: false, ownerId: null, fields: null, source: null });

function evolve(state: PersonaState, event: PersonaEvent): PersonaState {
  switch (event.type) {
    case 'PersonaCreated':
      return { exists: true, deleted: false, ownerId: event.data.ownerId, fields: event.data.fields, source: event.data.source };
    case 'PersonaUpdated':
      return { ...state, fields: { ...state.fields!, ...event.data.changes } };
    case 'PersonaDeleted':
      return { ...state, deleted: true };
    case 'PersonaRestored':
      return { ...state, deleted: false };
    default:
      return state;
  }
}

/** A persona's stream folded: what the decider decides from, and what history and as-of rebuild. */
export const personaFold: Fold<PersonaState, PersonaEvent> = { initialState, evolve };
