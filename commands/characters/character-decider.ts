import { conflict, forbidden, notFound } from '../../shared/errors.ts';
import type { CharacterChanges, CharacterFields } from '../../shared/characters/character-fields.ts';
import type { CharacterEvent } from '../../shared/events/character-events.ts';
import type { CommandContext } from '../command-context.ts';
import type { Decider } from '../command-handler.ts';

export const characterStream = (characterId: string) => `character-${characterId}`;

export interface CharacterState {
  exists: boolean;
  deleted: boolean;
  ownerId: string | null;
  fields: CharacterFields | null;
}

export type CharacterCommand =
  | { type: 'CreateCharacter'; characterId: string; fields: CharacterFields }
  | { type: 'UpdateCharacter'; characterId: string; changes: CharacterChanges }
  | { type: 'DeleteCharacter'; characterId: string }
  | { type: 'RestoreCharacter'; characterId: string };

const initialState = (): CharacterState => ({ exists: false, deleted: false, ownerId: null, fields: null });

function evolve(state: CharacterState, event: CharacterEvent): CharacterState {
  switch (event.type) {
    case 'CharacterCreated':
      return { exists: true, deleted: false, ownerId: event.data.ownerId, fields: event.data.fields };
    case 'CharacterUpdated':
      return { ...state, fields: { ...state.fields!, ...event.data.changes } };
    case 'CharacterDeleted':
      return { ...state, deleted: true };
    case 'CharacterRestored':
      return { ...state, deleted: false };
    default:
      return state;
  }
}

function assertOwned(state: CharacterState, command: { characterId: string }, context: CommandContext): void {
  if (!state.exists) throw notFound('character', command.characterId);
  if (state.ownerId !== context.userId && !context.isAdmin) throw forbidden();
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: CharacterCommand, state: CharacterState, context: CommandContext): CharacterEvent[] {
  switch (command.type) {
    case 'CreateCharacter':
      if (state.exists) throw conflict('already_exists', `character ${command.characterId} already exists`);
      return [{ type: 'CharacterCreated', data: { characterId: command.characterId, ownerId: context.userId, fields: command.fields } }];
    case 'UpdateCharacter': {
      assertOwned(state, command, context);
      if (state.deleted) throw notFound('character', command.characterId);
      const changes = Object.fromEntries(
        Object.entries(command.changes).filter(([key, value]) => value !== undefined && !sameValue(value, state.fields![key as keyof CharacterFields])),
      ) as CharacterChanges;
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'CharacterUpdated', data: { characterId: command.characterId, changes } }];
    }
    case 'DeleteCharacter':
      assertOwned(state, command, context);
      if (state.deleted) throw notFound('character', command.characterId);
      return [{ type: 'CharacterDeleted', data: { characterId: command.characterId } }];
    case 'RestoreCharacter':
      assertOwned(state, command, context);
      if (!state.deleted) return [];
      return [{ type: 'CharacterRestored', data: { characterId: command.characterId } }];
  }
}

export const characterDecider: Decider<CharacterState, CharacterCommand, CharacterEvent> = { initialState, evolve, decide };
