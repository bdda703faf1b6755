import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import type { WorldInfoActivationsRecordedData } from '../shared/events/world-book-events.ts';
import type { Projection } from './projection.ts';

/**
 * Activation counts per world-book entry, from `WorldInfoActivationsRecorded`. Each activation stream's revision
 * is kept, so a redelivered event is not counted twice. An entry counts once per event (one generation).
 */
/** Many events: the streams' versions read once, the counts folded in memory, two multi-row upserts. */
async function applyActivations(db: Kysely<ReadModels>, events: RecordedEvent[]): Promise<void> {
  const streams = [...new Set(events.map((e) => e.streamId))];
  const known = new Map<string, number>();
  for (let i = 0; i < streams.length; i += 1000) {
    const rows = await db.selectFrom('world_book_activation_streams').select(['stream_id', 'version']).where('stream_id', 'in', streams.slice(i, i + 1000)).execute();
    for (const r of rows) known.set(r.stream_id, r.version);
  }
  const versions = new Map<string, number>();
  const counts = new Map<string, { world_book_id: string; entry_id: string; activation_count: number; last_activated_at: Date }>();
  for (const event of events) {
    if (event.revision <= Math.max(known.get(event.streamId) ?? 0, versions.get(event.streamId) ?? 0)) continue;
    versions.set(event.streamId, event.revision);
    const data = event.data as unknown as WorldInfoActivationsRecordedData;
    const seen = new Set<string>();
    for (const item of data.worldBookEntries) {
      const key = `${item.worldBookId}/${item.entryId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const c = counts.get(key);
      if (c) {
        c.activation_count += 1;
        c.last_activated_at = event.createdAt;
      } else counts.set(key, { world_book_id: item.worldBookId, entry_id: item.entryId, activation_count: 1, last_activated_at: event.createdAt });
    }
  }
  const streamRows = [...versions].map(([stream_id, version]) => ({ stream_id, version }));
  for (let i = 0; i < streamRows.length; i += 1000) {
    await db
      .insertInto('world_book_activation_streams')
      .values(streamRows.slice(i, i + 1000))
      .onConflict((oc) => oc.column('stream_id').doUpdateSet({ version: sql.ref('excluded.version') } as never).where(sql.ref('world_book_activation_streams.version'), '<', sql.ref('excluded.version')))
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

export const worldInfoActivationsProjection: Projection = {
  name: 'world_info_activations',
  handles: new Set(['WorldInfoActivationsRecorded']),
  tables: ['world_book_activation_streams', 'world_book_entry_activations'],
  // Runs before the world-books projection's purge (reverse registry order), so the user's books are still there.
  async forgetUser(db, userId) {
    const books = db.selectFrom('world_books').select('id').where('owner_id', '=', userId);
    const counts = await db.deleteFrom('world_book_entry_activations').where('world_book_id', 'in', books).executeTakeFirst();
    const streams = await db
      .deleteFrom('world_book_activation_streams')
      .where('stream_id', 'in', db.selectFrom('world_books').select(sql<string>`'worldbookactivations-' || id::text`.as('stream_id')).where('owner_id', '=', userId))
      .executeTakeFirst();
    return { world_book_entry_activations: Number(counts.numDeletedRows), world_book_activation_streams: Number(streams.numDeletedRows) };
  },
  async apply(db, event) {
    const fresh = await db
      .insertInto('world_book_activation_streams')
      .values({ stream_id: event.streamId, version: event.revision })
      .onConflict((oc) => oc.column('stream_id').doUpdateSet({ version: sql.ref('excluded.version') } as never).where(sql.ref('world_book_activation_streams.version'), '<', sql.ref('excluded.version')))
      .returning('stream_id')
      .executeTakeFirst();
    if (!fresh) return;
    const data = event.data as unknown as WorldInfoActivationsRecordedData;
    const seen = new Set<string>();
    const rows = [];
    for (const item of data.worldBookEntries) {
      const key = `${item.worldBookId}/${item.entryId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ world_book_id: item.worldBookId, entry_id: item.entryId, activation_count: 1, last_activated_at: event.createdAt });
    }
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
};
