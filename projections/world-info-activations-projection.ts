import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { defineProjection } from './projection.ts';
import { ACTIVATION_EVENTS, activationFolds, foldActivations, type ActivationEvent } from './world-info-activations-fold.ts';

/**
 * Activation counts per world-book entry, from `WorldInfoActivationsRecorded`. Each activation stream's revision
 * is kept, so a redelivered event is not counted twice. An entry counts once per event (one generation).
 */
/** Many events: the streams' versions read once, the counts folded in memory, two multi-row upserts. */
async function applyActivations(db: Kysely<ReadModels>, events: ActivationEvent[]): Promise<void> {
  const streams = [...new Set(events.map((e) => e.streamId))];
  const known = new Map<string, number>();
  for (let i = 0; i < streams.length; i += 1000) {
    const rows = await db
      .selectFrom('world_book_activation_streams')
      .select(['stream_id', 'version'])
      .where('stream_id', 'in', streams.slice(i, i + 1000))
      .execute();
    for (const r of rows) known.set(r.stream_id, r.version);
  }
  const { versions, counts } = foldActivations(events, known);
  const streamRows = [...versions].map(([stream_id, version]) => ({ stream_id, version }));
  for (let i = 0; i < streamRows.length; i += 1000) {
    await db
      .insertInto('world_book_activation_streams')
      .values(streamRows.slice(i, i + 1000))
      .onConflict((oc) =>
        oc
          .column('stream_id')
          .doUpdateSet({ version: sql.ref('excluded.version') } as never)
          .where(sql.ref('world_book_activation_streams.version'), '<', sql.ref('excluded.version')),
      )
      .execute();
  }
  const countRows = [...counts.values()];
  for (let i = 0; i < countRows.length; i += 1000) {
    await db
      .insertInto('world_book_entry_activations')
      .values(countRows.slice(i, i + 1000))
      .onConflict((oc) =>
        oc.columns(['world_book_id', 'entry_id']).doUpdateSet({
          activation_count: sql`world_book_entry_activations.activation_count + excluded.activation_count`,
          last_activated_at: sql.ref('excluded.last_activated_at'),
        } as never),
      )
      .execute();
  }
}

export const worldInfoActivationsProjection = defineProjection({
  name: 'world_info_activations',
  handles: ACTIVATION_EVENTS,
  tables: ['world_book_activation_streams', 'world_book_entry_activations'],
  // Runs before the world-books projection's purge (reverse registry order), so the user's books are still there.
  async forgetUser(db, userId) {
    const books = db.selectFrom('world_books').select('id').where('owner_id', '=', userId);
    const counts = await db.deleteFrom('world_book_entry_activations').where('world_book_id', 'in', books).executeTakeFirst();
    const streams = await db
      .deleteFrom('world_book_activation_streams')
      .where(
        'stream_id',
        'in',
        db
          .selectFrom('world_books')
          .select(sql<string>`'worldbookactivations-' || id::text`.as('stream_id'))
          .where('owner_id', '=', userId),
      )
      .executeTakeFirst();
    return { world_book_entry_activations: Number(counts.numDeletedRows), world_book_activation_streams: Number(streams.numDeletedRows) };
  },
  async apply(db, event) {
    const fresh = await db
      .insertInto('world_book_activation_streams')
      .values({ stream_id: event.streamId, version: event.revision })
      .onConflict((oc) =>
        oc
          .column('stream_id')
          .doUpdateSet({ version: sql.ref('excluded.version') } as never)
          .where(sql.ref('world_book_activation_streams.version'), '<', sql.ref('excluded.version')),
      )
      .returning('stream_id')
      .executeTakeFirst();
    if (!fresh) return;
    const rows = activationFolds.WorldInfoActivationsRecorded(event, undefined);
    await db
      .insertInto('world_book_entry_activations')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['world_book_id', 'entry_id']).doUpdateSet({
          activation_count: sql`world_book_entry_activations.activation_count + 1`,
          last_activated_at: sql.ref('excluded.last_activated_at'),
        } as never),
      )
      .execute();
  },
  applyMany: applyActivations,
});
