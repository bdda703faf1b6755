import { cardFromBasicFields } from '../cards/index.ts';
import type { CharacterEvent } from '../events/character-events.ts';
import type { Fold } from '../events/domain-event.ts';
import type { CharacterChanges } from './character-fields.ts';
import type { StoredCard, StoredImage } from './stored-card.ts';

export const characterStream = (characterId: string) => `character-${characterId}`;

export interface CharacterState {
  exists: boolean;
  deleted: boolean;
  deletedAt: string | null;
  ownerId: string | null;
  stored: StoredCard | null;
}

const initialState = (): CharacterState => ({ exists: false, deleted: false, deletedAt: null, ownerId: null, stored: null });

/** Applies a basic-field edit, raw `data` edits and a new image (if any) to a stored card, keeping everything else. */
export function applyChanges(
  stored: StoredCard,
  changes: CharacterChanges,
  dataChanges: Record<string, unknown> = {},
  avatar?: StoredImage,
): StoredCard {
  const card = cardFromBasicFields(changes, stored.card);
  for (const [key, value] of Object.entries(dataChanges)) {
    if (value === null) delete (card.data as Record<string, unknown>)[key];
    else (card.data as Record<string, unknown>)[key] = value;
  }
  return { ...stored, card, ...(avatar ? { avatar } : {}) };
}

function evolve(state: CharacterState, event: CharacterEvent): CharacterState {
  switch (event.type) {
    case 'CharacterCreated':
    case 'CharacterImported': {
      const { card, avatar, assets } = event.data;
      return { exists: true, deleted: false, deletedAt: null, ownerId: event.data.ownerId, stored: { card, avatar, assets } };
    }
    case 'CharacterUpdated':
      return { ...state, stored: applyChanges(state.stored!, event.data.changes, event.data.dataChanges, event.data.avatar) };
    case 'CharacterCardReplaced':
    case 'CharacterReverted': {
      const { card, avatar, assets } = event.data;
      return { ...state, stored: { card, avatar, assets } };
    }
    case 'CharacterDeleted':
      return { ...state, deleted: true, deletedAt: event.data.deletedAt ?? null };
    case 'CharacterRestored':
      return { ...state, deleted: false, deletedAt: null };
    default:
      return state;
  }
}

/** A character's stream folded: what the decider decides from, and what history rebuilds. */
export const characterFold: Fold<CharacterState, CharacterEvent> = { initialState, evolve };
