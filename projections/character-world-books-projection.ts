import { writeAttachment } from './attachment-writer.ts';
import { CHARACTER_WORLD_BOOK_EVENTS, characterWorldBookFolds } from './character-world-books-fold.ts';
import { defineProjection, foldEvent } from './projection.ts';

/**
 * Character ↔ world-book attachments (rules in character-world-books-fold.ts). A detached book keeps its row
 * (`detached_at`), so every row carries the revision of the attachment stream that last wrote it and a redelivered
 * older event changes nothing.
 */
export const characterWorldBooksProjection = defineProjection({
  name: 'character_world_books',
  handles: CHARACTER_WORLD_BOOK_EVENTS,
  tables: ['character_world_books'],
  async apply(db, event) {
    await writeAttachment(
      db,
      'character_world_books',
      ['character_id', 'world_book_id'],
      foldEvent(characterWorldBookFolds, event, undefined),
    );
  },
});
