import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.ts';
import { createdGroupRow, groupChangeFolds, type GroupRowValues } from '../projections/groups-fold.ts';
import { foldEvent } from '../projections/projection.ts';
import type { Actor } from '../shared/access/actor.ts';
import { catalogued } from '../shared/events/catalogue.ts';
import { toDomainEvent } from '../shared/events/domain-event.ts';
import { groupStream } from '../shared/groups/group-fold.ts';
import { eventsAsOf, type AsOf } from './as-of.ts';
import type { GroupRow } from './groups-queries.ts';

/**
 * A group as it was at a version or a moment, folded from its events with the projection's own row rules, as
 * the row type the normal GET renders (forgotten users' redacted events are left out, as the projection does).
 */
export async function groupAsOf(store: EventStore, id: string, asOf: AsOf, actor: Actor): Promise<{ row: GroupRow; version: number }> {
  const all = catalogued(
    (await store.readStream(groupStream(id))).filter((e) => !e.redacted).map((e) => ({ ...e, data: toDomainEvent(e).data })),
  );
  const { events, version } = eventsAsOf(
    all,
    asOf,
    { what: 'group', id, ownerOf: (e) => (e.type === 'GroupCreated' ? e.data.ownerId : undefined) },
    actor,
  );
  const creation = events[0]!;
  if (creation.type !== 'GroupCreated') throw new Error(`the stream of group ${id} does not begin with its creation`);
  let row: GroupRowValues = createdGroupRow(creation);
  for (const e of events.slice(1)) {
    if (e.type === 'GroupUpdated' || e.type === 'GroupDeleted' || e.type === 'GroupRestored')
      row = { ...row, ...foldEvent(groupChangeFolds, e as RecordedEvent & typeof e, undefined) };
  }
  return {
    row: {
      ...row,
      members: JSON.parse(row.members) as GroupRow['members'],
      world_book_ids: JSON.parse(row.world_book_ids) as string[],
      source: JSON.parse(row.source) as Record<string, unknown>,
      avatar: row.avatar === null ? null : (JSON.parse(row.avatar) as GroupRow['avatar']),
    },
    version,
  };
}
