import type { Selectable } from 'kysely';
import type { CharacterWorldBooksTable } from '../infra/db/read-model-types.ts';
import { attachedAt, type AttachmentWrite } from './attachment-fold.ts';
import { typesOf, type EventFolds } from './projection.ts';

export type CharacterWorldBookRow = Selectable<CharacterWorldBooksTable>;
export type CharacterWorldBookKey = Pick<CharacterWorldBookRow, 'character_id' | 'world_book_id'>;

/** Character ↔ world-book attachments: what each event writes on the pair's row. */
export const characterWorldBookFolds: EventFolds<
  'WorldBookAttached' | 'WorldBookDetached',
  AttachmentWrite<CharacterWorldBookRow, CharacterWorldBookKey>
> = {
  WorldBookAttached(event) {
    const d = event.data;
    return {
      attach: {
        character_id: d.characterId,
        world_book_id: d.worldBookId,
        owner_id: d.ownerId,
        priority: d.priority,
        enabled: d.enabled,
        ...attachedAt(event),
      },
    };
  },
  WorldBookDetached(event) {
    const d = event.data;
    return {
      detach: { character_id: d.characterId, world_book_id: d.worldBookId },
      revision: event.revision,
      at: event.createdAt,
      describe: `WorldBookDetached for character ${d.characterId} and world book ${d.worldBookId}`,
    };
  },
};

export const CHARACTER_WORLD_BOOK_EVENTS = typesOf(characterWorldBookFolds);
