import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createCharacterQueries } from '../../queries/characters-queries.ts';
import { createWorldBookQueries } from '../../queries/world-books-queries.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import { badRequest } from '../../shared/errors.ts';

/**
 * What a persona refers to must be its owner's and live: its world book (persona lore) and the characters it is
 * locked to. A missing or deleted one is a 400 naming it, another user's a 403.
 */
export function createPersonaReferences(db: Kysely<ReadModels>, schema: string) {
  const books = createWorldBookQueries(db, schema);
  const characters = createCharacterQueries(db, schema);
  return {
    async check(
      ownerId: string,
      refs: { world_book_id?: string | null | undefined; locked_character_ids?: readonly string[] | undefined },
    ) {
      const owner = { userId: ownerId, isAdmin: false };
      if (refs.world_book_id) {
        const book = await books.get(refs.world_book_id);
        if (!book || book.deleted_at)
          throw badRequest('unknown_world_book', `world book ${refs.world_book_id} does not exist`, { world_book_id: refs.world_book_id });
        assertOwned(owner, book, 'the world book belongs to another user');
      }
      for (const id of new Set(refs.locked_character_ids ?? [])) {
        const character = await characters.get(id);
        if (!character || character.deleted_at)
          throw badRequest('unknown_character', `character ${id} does not exist`, { character_id: id });
        assertOwned(owner, character, 'the character belongs to another user');
      }
    },
  };
}
