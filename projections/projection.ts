import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent as StoredEvent } from '../infra/eventstore/event-store.ts';
import type { EventType } from '../shared/events/event-types.ts';
import { isCatalogued, type RecordedEvent } from '../shared/events/recorded-event.ts';

/**
 * A read model fed by events. `apply` runs inside the runner's transaction, on a Kysely bound to the schema
 * being built (the live one, or a rebuild beside it), so it must not open its own connections. It must be
 * idempotent for an event it has already applied (upserts, or a per-row version guard).
 */
export interface Projection {
  name: string;
  /** Event types this projection applies; every other event only advances its checkpoint. */
  handles: ReadonlySet<string>;
  /**
   * Tables `apply` only inserts into (never reads, updates or deletes while applying): a replay into a fresh schema
   * builds their non-unique indexes once at the end instead of row by row.
   */
  insertOnlyTables?: readonly (keyof ReadModels & string)[];
  /**
   * Non-unique indexes of its tables that only queries use (`apply` never finds rows through them): a replay into a
   * fresh schema builds them once at the end.
   */
  queryOnlyIndexes?: readonly string[];
  /** Tables it owns, emptied before a rebuild. */
  tables: readonly (keyof ReadModels & string)[];
  apply(db: Kysely<ReadModels>, event: StoredEvent): Promise<void>;
  /**
   * Optional: apply many handled events (in log order) with fewer statements, e.g. by folding each
   * resource's events in memory first. Must leave the same rows as applying them one by one.
   */
  applyMany?(db: Kysely<ReadModels>, events: StoredEvent[]): Promise<void>;
  /**
   * Optional: delete every row holding a user's personal content (forgetting a user, projections/forget-user.ts),
   * returning the rows deleted per table. Without it, each of `tables` must have an `owner_id` or `user_id`
   * column, and the rows with that user there are deleted. Runs in one transaction with the other
   * projections', in reverse registry order: it may look up ownership in tables of projections registered
   * before it (world-book activations find their books in `world_books`).
   */
  forgetUser?(db: Kysely<ReadModels>, userId: string): Promise<Record<string, number>>;
}

/** A projection as written: the event types it handles, and handlers that receive those events with typed payloads. */
export interface ProjectionDefinition<E extends EventType> extends Omit<Projection, 'handles' | 'apply' | 'applyMany'> {
  handles: readonly E[];
  apply(db: Kysely<ReadModels>, event: RecordedEvent<E>): Promise<void>;
  applyMany?(db: Kysely<ReadModels>, events: RecordedEvent<E>[]): Promise<void>;
}

/** A pure fold per event type: what one event of that type changes, given what the fold needs to know (`Input`). */
export type EventFolds<E extends EventType, Change, Input = void> = { [K in E]: (event: RecordedEvent<K>, input: Input) => Change };

/** The event types a fold map declares. */
export function typesOf<E extends EventType>(folds: { [K in E]: unknown }): E[] {
  return Object.keys(folds) as E[];
}

/** Applies the fold of the event's own type. */
export function foldEvent<E extends EventType, Change, Input>(
  folds: EventFolds<E, Change, Input>,
  event: RecordedEvent<E>,
  input: Input,
): Change {
  const fold = folds[event.type as E] as (event: RecordedEvent<E>, input: Input) => Change;
  return fold(event, input);
}

/**
 * The runner-facing projection of a definition. The store hands over untyped records; here, once, a record is
 * checked to be of a handled type (the runner filters by `handles` already, so this is a cheap guard against
 * direct callers) and from then on its payload is that type's.
 */
export function defineProjection<E extends EventType>(definition: ProjectionDefinition<E>): Projection {
  const handles: ReadonlySet<string> = new Set<string>(definition.handles);
  const typed = (event: StoredEvent): RecordedEvent<E> => {
    if (!isCatalogued<E, StoredEvent>(event, handles)) throw new Error(`projection ${definition.name} does not handle ${event.type}`);
    return event;
  };
  const { apply, applyMany, ...rest } = definition;
  return {
    ...rest,
    handles,
    apply: (db, event) => apply(db, typed(event)),
    ...(applyMany ? { applyMany: (db: Kysely<ReadModels>, events: StoredEvent[]) => applyMany(db, events.map(typed)) } : {}),
  };
}
