import type { Actor } from '../shared/access/actor.ts';
import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.ts';
import { fold as foldCharacterRow, rowOf as characterRowOf, type RowState } from '../projections/characters-fold.ts';
import { chatRow, chatRowChanges } from '../projections/chats-fold.ts';
import { metaColumns } from '../projections/world-books-fold.ts';
import { characterStream } from '../shared/characters/character-fold.ts';
import { chatStream } from '../shared/chats/chat-fold.ts';
import { catalogued } from '../shared/events/catalogue.ts';
import { toDomainEvent } from '../shared/events/domain-event.ts';
import type { WorldBookEvent, WorldBookMeta } from '../shared/events/world-book-events.ts';
import { worldBookFold, worldBookStream, type WorldBookState } from '../shared/world-books/world-book-fold.ts';
import { eventsAsOf, type AsOf } from './as-of.ts';
import type { CharacterViewRow } from './characters-queries.ts';
import type { ChatRow } from './chats-queries.ts';
import type { WorldBookEntryRow, WorldBookRow } from './world-books-queries.ts';

/**
 * Time travel: a resource as it was at a version or a moment, rebuilt from its events alone (the read models
 * are not read), as the same row type its normal GET renders, so the answer has exactly the normal shape. The
 * rows are folded with the projections' own rules (exported from them), so the present version rebuilt this
 * way equals the live row (tests check it).
 */

/** Redacted events (a forgotten user's) are left out, as the projections leave them out. */
const upcasted = (events: RecordedEvent[]) => events.filter((e) => !e.redacted).map((e) => ({ ...e, data: toDomainEvent(e).data }));
const parsed = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);

export async function characterAsOf(
  store: EventStore,
  id: string,
  asOf: AsOf,
  actor: Actor,
): Promise<{ row: CharacterViewRow; version: number }> {
  const all = catalogued(upcasted(await store.readStream(characterStream(id))));
  const { events, version } = eventsAsOf(
    all,
    asOf,
    {
      what: 'character',
      id,
      ownerOf: (e) => (e.type === 'CharacterCreated' || e.type === 'CharacterImported' ? e.data.ownerId : undefined),
    },
    actor,
  );
  let state: RowState | undefined;
  for (const e of events) state = foldCharacterRow(state, e);
  // Chat activity is not part of the character's stream: a past version has no usage time to show.
  return { row: { ...characterRowOf(state!.columns), last_used_at: null }, version };
}

interface EntryTimes {
  created: Date;
  updated: Date;
}

/**
 * The book by the fold its decider uses (`worldBookFold`), with the row's timestamps kept beside it as
 * the projection sets them: every event touches the book's `updated_at`; an entry's `created_at` is when it
 * first appeared (a content replacement keeps it for entries it keeps), its `updated_at` the last event that
 * wrote it.
 */
export async function worldBookAsOf(
  store: EventStore,
  id: string,
  asOf: AsOf,
  actor: Actor,
): Promise<{ row: WorldBookRow; entries: WorldBookEntryRow[]; version: number }> {
  const all = upcasted(await store.readStream(worldBookStream(id)));
  const { events, version } = eventsAsOf(all, asOf, { what: 'world book', id, ownerOf: (e) => e.data.ownerId }, actor);
  let state: WorldBookState = worldBookFold.initialState();
  const times = new Map<string, EntryTimes>();
  let deletedAt: Date | null = null;
  const touch = (entryIds: readonly string[], at: Date) => {
    for (const entryId of entryIds) {
      const t = times.get(entryId);
      times.set(entryId, t ? { created: t.created, updated: at } : { created: at, updated: at });
    }
  };
  for (const e of events) {
    const d = e.data as Record<string, any>;
    const at = e.createdAt;
    state = worldBookFold.evolve(state, { type: e.type, data: d } as WorldBookEvent);
    if (e.type === 'WorldBookCreated' || e.type === 'WorldBookContentReplaced' || e.type === 'WorldBookEntriesImported')
      touch(
        (d.entries as Array<{ entryId: string }>).map((r) => r.entryId),
        at,
      );
    else if (e.type === 'WorldBookEntryAdded' || e.type === 'WorldBookEntryUpdated') touch([d.entryId], at);
    else if (e.type === 'WorldBookEntriesBulkChanged')
      touch(
        (d.updated as Array<{ entryId: string }>).map((r) => r.entryId),
        at,
      );
    else if (e.type === 'WorldBookDeleted') deletedAt = at;
    else if (e.type === 'WorldBookRestored') deletedAt = null;
    // A removed entry that comes back (same id) is a new row, as in the projection.
    for (const entryId of times.keys()) if (!state.entries.some((r) => r.entryId === entryId)) times.delete(entryId);
  }
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const meta = metaColumns(state.book!);
  const row: WorldBookRow = {
    id,
    owner_id: state.ownerId!,
    version,
    ...meta,
    meta: JSON.parse(meta.meta) as WorldBookMeta,
    enabled: state.enabled,
    is_global: state.isGlobal,
    entry_count: state.entries.length,
    source: state.source!,
    created_at: first.createdAt,
    updated_at: last.createdAt,
    deleted_at: deletedAt,
  };
  const entries = state.entries.map((r, ord): WorldBookEntryRow => {
    const t = times.get(r.entryId)!;
    return {
      entry_id: r.entryId,
      world_book_id: id,
      ord,
      uid: r.entry.uid === undefined || r.entry.uid === null ? null : String(r.entry.uid),
      entry: r.entry,
      created_at: t.created,
      updated_at: t.updated,
    };
  });
  return { row, entries, version };
}

export async function chatAsOf(store: EventStore, id: string, asOf: AsOf, actor: Actor): Promise<{ row: ChatRow; version: number }> {
  const all = catalogued(upcasted(await store.readStream(chatStream(id))));
  const { events, version } = eventsAsOf(
    all,
    asOf,
    { what: 'chat', id, ownerOf: (e) => (e.type === 'ChatCreated' ? e.data.ownerId : undefined) },
    actor,
  );
  const creation = events[0]!;
  if (creation.type !== 'ChatCreated') throw new Error(`the stream of chat ${id} does not begin with its creation`);
  let row = chatRow(creation);
  let variables: Record<string, string> = {};
  let timedState: string | null = null;
  for (const e of events.slice(1)) {
    const { columns, messageCountDelta, variablesSet } = chatRowChanges(e);
    const { world_info_timed_state, ...plain } = columns;
    row = { ...row, ...plain, message_count: row.message_count + messageCountDelta };
    if (world_info_timed_state !== undefined) timedState = world_info_timed_state;
    if (variablesSet) variables = { ...variables, ...variablesSet };
  }
  const chat: ChatRow = { ...row, settings: parsed(row.settings), variables, world_info_timed_state: parsed(timedState) };
  return { row: chat, version };
}
