import { AppError } from '../../shared/errors.ts';
import type { CharacterWorldBookEvent } from '../../shared/events/world-book-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { Decider } from '../command-handler.ts';

/**
 * The world books attached to one character, on a stream of their own so that attaching does not change the
 * character's version. Who may attach is checked by the workflow against the character's and the book's streams.
 */
export const characterBooksStream = (characterId: string) => `characterbooks-${characterId}`;

export interface Attachment {
  priority: number;
  enabled: boolean;
}

export interface CharacterWorldBooksState {
  attachments: Record<string, Attachment>;
}

export type CharacterWorldBooksCommand =
  | { type: 'AttachWorldBook'; characterId: string; worldBookId: string; ownerId: string; priority: number; enabled: boolean }
  | { type: 'DetachWorldBook'; characterId: string; worldBookId: string };

const initialState = (): CharacterWorldBooksState => ({ attachments: {} });

function evolve(state: CharacterWorldBooksState, event: CharacterWorldBookEvent): CharacterWorldBooksState {
  switch (event.type) {
    case 'WorldBookAttached':
      return {
        attachments: { ...state.attachments, [event.data.worldBookId]: { priority: event.data.priority, enabled: event.data.enabled } },
      };
    case 'WorldBookDetached': {
      const { [event.data.worldBookId]: _gone, ...rest } = state.attachments;
      return { attachments: rest };
    }
    default:
      return state;
  }
}

function decide(command: CharacterWorldBooksCommand, state: CharacterWorldBooksState, _context: Actor): CharacterWorldBookEvent[] {
  const current = state.attachments[command.worldBookId];
  switch (command.type) {
    case 'AttachWorldBook': {
      // Attaching again is an upsert (as in the original): it changes priority and enabled, or nothing.
      if (current && current.priority === command.priority && current.enabled === command.enabled) return [];
      const { characterId, worldBookId, ownerId, priority, enabled } = command;
      return [{ type: 'WorldBookAttached', data: { characterId, worldBookId, ownerId, priority, enabled } }];
    }
    case 'DetachWorldBook':
      if (!current)
        throw new AppError(404, 'not_found', `world book ${command.worldBookId} is not attached to character ${command.characterId}`);
      return [{ type: 'WorldBookDetached', data: { characterId: command.characterId, worldBookId: command.worldBookId } }];
  }
}

export const characterWorldBooksDecider: Decider<CharacterWorldBooksState, CharacterWorldBooksCommand, CharacterWorldBookEvent> = {
  initialState,
  evolve,
  decide,
};
