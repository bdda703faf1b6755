import type { Actor } from '../shared/access/actor.ts';
import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.ts';
import { notFound } from '../shared/errors.ts';
import { toDomainEvent, type DomainEvent } from '../shared/events/domain-event.ts';
import { summarizeEvent } from '../shared/events/event-summaries.ts';
import { assertOwned } from '../shared/access/access-rules.ts';

/**
 * The history of one resource, read from its event stream (the source of truth, in revision order): every
 * event that touched it, with who, when, its type and a readable summary. One implementation for every
 * resource; what differs is the fold (the state its decider decides from, in `shared/`), which decides whether the
 * resource exists and whose it is, and may list the fields an event changed by comparing the states before
 * and after it. A sub-resource that lives in its parent's stream (a world-book entry, a chat message) gets
 * the parent's history cut down to the events that touched it.
 */
export interface HistoryFold<State> {
  initialState: () => State;
  evolve: (state: State, event: DomainEvent) => State;
  /** Whether the resource exists (deleted ones do: their history stays readable) and who owns it. */
  owner: (state: State) => { exists: boolean; ownerId: string | null };
  /** Fields that differ between the states around an event; for a sub-resource, that sub-resource's fields. */
  changedFields?: (before: State, after: State, subjectId?: string) => string[];
  /** Whether an event changed a sub-resource, beyond the ones its payload names (e.g. an entry a replacement removed). */
  touches?: (before: State, after: State, subjectId: string) => boolean;
}

export interface HistoryTarget {
  streamId: string;
  /** What the resource is called in a 404 ("character", "world book"). */
  what: string;
  id: string;
  /** Only the events that touched this entry or message of the stream. */
  subject?: { id: string; what: string };
}

export interface HistoryItem {
  version: number;
  position: string;
  event_id: string;
  event_type: string;
  at: string;
  user_id: string;
  request_id: string | null;
  correlation_id: string | null;
  summary: string;
  changed_fields: string[];
}

export interface HistoryPage {
  order: 'asc' | 'desc';
  limit: number;
  /** Continue after this version (exclusive), in `order`. */
  afterVersion?: number;
}

export interface HistoryResult {
  items: Array<{ item: HistoryItem; event: RecordedEvent }>;
  hasMore: boolean;
  /** The stream's revision: the resource's current version. */
  currentVersion: number;
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);

export async function readResourceHistory<State>(
  store: EventStore,
  fold: HistoryFold<State>,
  target: HistoryTarget,
  actor: Actor,
  page: HistoryPage,
): Promise<HistoryResult> {
  // A forgotten user's events carry no data: they are left out, as the projections leave them out.
  const events = (await store.readStream(target.streamId)).filter((e) => !e.redacted);
  let state = fold.initialState();
  const all: Array<{ item: HistoryItem; event: RecordedEvent }> = [];
  for (const event of events) {
    const before = state;
    state = fold.evolve(state, toDomainEvent(event));
    const summary = summarizeEvent(event.type, event.data);
    const subject = target.subject?.id;
    if (subject !== undefined && !summary.subjects.includes(subject) && !fold.touches?.(before, state, subject)) continue;
    all.push({
      event,
      item: {
        version: event.revision,
        position: event.position,
        event_id: event.id,
        event_type: event.type,
        at: event.createdAt.toISOString(),
        user_id: text(event.metadata.userId) ?? 'unknown',
        request_id: text(event.metadata.requestId),
        correlation_id: text(event.metadata.correlationId),
        summary: summary.text,
        changed_fields: fold.changedFields ? fold.changedFields(before, state, subject) : summary.fields,
      },
    });
  }
  const { exists, ownerId } = fold.owner(state);
  if (!exists) throw notFound(target.what, target.id);
  assertOwned(actor, { ownerId });
  if (target.subject && all.length === 0) throw notFound(target.subject.what, target.subject.id);
  const ordered = page.order === 'asc' ? all : all.reverse();
  const after = page.afterVersion;
  const rest =
    after === undefined ? ordered : ordered.filter(({ item }) => (page.order === 'asc' ? item.version > after : item.version < after));
  return {
    items: rest.slice(0, page.limit),
    hasMore: rest.length > page.limit,
    currentVersion: events.length ? events[events.length - 1]!.revision : 0,
  };
}
