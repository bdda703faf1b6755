import { assertOwned } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { conflict, notFound } from '../../shared/errors.ts';
import type { PersonaEvent, PersonaSource } from '../../shared/events/persona-events.ts';
import type { PersonaChanges, PersonaFields } from '../../shared/personas/persona-fields.ts';
import { personaFold, personaStream, type PersonaState } from '../../shared/personas/persona-fold.ts';
import type { Decider } from '../command-handler.ts';

export { personaStream, type PersonaState };

export type PersonaCommand =
  | { type: 'CreatePersona'; personaId: string; fields: PersonaFields; source: PersonaSource }
  | { type: 'UpdatePersona'; personaId: string; changes: PersonaChanges }
  | { type: 'DeletePersona'; personaId: string; now: Date }
  | { type: 'RestorePersona'; personaId: string }
  /** Another persona became the default: this one stops being it (nothing when it is not, or is gone). */
  | { type: 'ClearDefaultFlag'; personaId: string };

/** 404 for a persona that does not exist (or is deleted, unless `allowDeleted`), 403 for another user's. */
export function assertPersonaAccessible(state: PersonaState, personaId: string, actor: Actor, options: { allowDeleted?: boolean } = {}) {
  if (!state.exists || (state.deleted && !options.allowDeleted)) throw notFound('persona', personaId);
  assertOwned(actor, state, 'this persona belongs to another user');
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: PersonaCommand, state: PersonaState, actor: Actor): PersonaEvent[] {
  const personaId = command.personaId;
  switch (command.type) {
    case 'CreatePersona':
      if (state.exists) throw conflict('already_exists', `persona ${personaId} already exists`);
      return [{ type: 'PersonaCreated', data: { personaId, ownerId: actor.userId, fields: command.fields, source: command.source } }];
    case 'UpdatePersona': {
      assertPersonaAccessible(state, personaId, actor);
      const current = state.fields as Record<string, unknown>;
      const changes = Object.fromEntries(Object.entries(command.changes).filter(([k, v]) => v !== undefined && !same(v, current[k])));
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'PersonaUpdated', data: { personaId, changes } }];
    }
    case 'DeletePersona':
      assertPersonaAccessible(state, personaId, actor);
      // SillyTavern: deleting the default persona leaves the user without one.
      return [
        ...(state.fields!.is_default ? [{ type: 'PersonaUpdated' as const, data: { personaId, changes: { is_default: false } } }] : []),
        { type: 'PersonaDeleted', data: { personaId, deletedAt: command.now.toISOString() } },
      ];
    case 'RestorePersona':
      assertPersonaAccessible(state, personaId, actor, { allowDeleted: true });
      if (!state.deleted) throw conflict('not_deleted', `persona ${personaId} is not deleted`);
      return [{ type: 'PersonaRestored', data: { personaId } }];
    case 'ClearDefaultFlag':
      if (!state.exists || !state.fields!.is_default) return [];
      assertOwned(actor, state);
      return [{ type: 'PersonaUpdated', data: { personaId, changes: { is_default: false } } }];
  }
}

export const personaDecider: Decider<PersonaState, PersonaCommand, PersonaEvent> = { ...personaFold, decide };
