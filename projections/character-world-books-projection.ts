import { sql } from 'kysely';
import { defineProjection } from './projection.ts';

/**
 * Character ↔ world-book attachments. A detached book keeps its row (`detached_at`), so every row carries the
 * revision of the attachment stream that last wrote it and a redelivered older event changes nothing.
 */
export const characterWorldBooksProjection = defineProjection({
  name: 'character_world_books',
  handles: ['WorldBookAttached', 'WorldBookDetached'],
  tables: ['character_world_books'],
  async apply(db, event) {
    const at = event.createdAt;
    if (event.type === 'WorldBookAttached') {
      const d = event.data;
      await db
        .insertInto('character_world_books')
        .values({
          character_id: d.characterId,
          world_book_id: d.worldBookId,
          owner_id: d.ownerId,
          priority: d.priority,
          enabled: d.enabled,
          revision: event.revision,
          created_at: at,
          updated_at: at,
          detached_at: null,
        })
        .onConflict((oc) =>
          oc
            .columns(['character_id', 'world_book_id'])
            .doUpdateSet({
              owner_id: sql.ref('excluded.owner_id'),
              priority: sql.ref('excluded.priority'),
              enabled: sql.ref('excluded.enabled'),
              revision: sql.ref('excluded.revision'),
              // A re-attachment after a detach counts as a new attachment.
              created_at: sql`CASE WHEN character_world_books.detached_at IS NULL THEN character_world_books.created_at ELSE excluded.created_at END`,
              updated_at: sql.ref('excluded.updated_at'),
              detached_at: null,
            } as never)
            .where(sql.ref('character_world_books.revision'), '<', sql.ref('excluded.revision')),
        )
        .execute();
      return;
    }
    const d = event.data;
    const row = await db
      .selectFrom('character_world_books')
      .select('revision')
      .where('character_id', '=', d.characterId)
      .where('world_book_id', '=', d.worldBookId)
      .executeTakeFirst();
    if (!row) throw new Error(`WorldBookDetached for character ${d.characterId} and world book ${d.worldBookId}, which has no row`);
    await db
      .updateTable('character_world_books')
      .set({ detached_at: at, updated_at: at, revision: event.revision })
      .where('character_id', '=', d.characterId)
      .where('world_book_id', '=', d.worldBookId)
      .where('revision', '<', event.revision)
      .execute();
  },
});
