import { describe, expect, it } from '@jest/globals';
import { CHARACTER_WORLD_BOOK_EVENTS, characterWorldBookFolds } from '../character-world-books-fold.ts';
import { foldEvent } from '../projection.ts';
import { streamOf } from './recorded-events.ts';

const CHARACTER = '0190a000-0000-7000-8000-0000000000c1';
const BOOK = '0190a000-0000-7000-8000-0000000000e1';
const at = (day: number) => `2026-05-${String(day).padStart(2, '0')}T10:00:00.000Z`;

describe('character world books fold (no database)', () => {
  it('declares the events it handles', () => {
    expect([...CHARACTER_WORLD_BOOK_EVENTS].sort()).toEqual(['WorldBookAttached', 'WorldBookDetached']);
  });

  it('an attachment is the pair’s row at the attachment stream’s revision, not detached', () => {
    const stream = streamOf(`characterbooks-${CHARACTER}`);
    stream('WorldBookAttached', { characterId: CHARACTER, worldBookId: BOOK, ownerId: 'owner-1', priority: 1, enabled: true });
    const event = stream(
      'WorldBookAttached',
      { characterId: CHARACTER, worldBookId: BOOK, ownerId: 'owner-1', priority: 4, enabled: false },
      at(2),
    );
    expect(foldEvent(characterWorldBookFolds, event, undefined)).toEqual({
      attach: {
        character_id: CHARACTER,
        world_book_id: BOOK,
        owner_id: 'owner-1',
        priority: 4,
        enabled: false,
        revision: 2,
        created_at: new Date(at(2)),
        updated_at: new Date(at(2)),
        detached_at: null,
      },
    });
  });

  it('a detachment stamps the pair’s row, and names it for the error when the row is missing', () => {
    const stream = streamOf(`characterbooks-${CHARACTER}`);
    stream('WorldBookAttached', { characterId: CHARACTER, worldBookId: BOOK, ownerId: 'owner-1', priority: 1, enabled: true });
    const event = stream('WorldBookDetached', { characterId: CHARACTER, worldBookId: BOOK }, at(3));
    expect(foldEvent(characterWorldBookFolds, event, undefined)).toEqual({
      detach: { character_id: CHARACTER, world_book_id: BOOK },
      revision: 2,
      at: new Date(at(3)),
      describe: `WorldBookDetached for character ${CHARACTER} and world book ${BOOK}`,
    });
  });
});
