import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';

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
  apply(db: Kysely<ReadModels>, event: RecordedEvent): Promise<void>;
  /**
   * Optional: apply many handled events (in log order) with fewer statements, e.g. by folding each
   * resource's events in memory first. Must leave the same rows as applying them one by one.
   */
  applyMany?(db: Kysely<ReadModels>, events: RecordedEvent[]): Promise<void>;
  /**
   * Optional: delete every row holding a user's personal content (forgetting a user, projections/forget-user.ts),
   * returning the rows deleted per table. Without it, each of `tables` must have an `owner_id` or `user_id`
   * column, and the rows with that user there are deleted. Runs in one transaction with the other
   * projections', in reverse registry order: it may look up ownership in tables of projections registered
   * before it (world-book activations find their books in `world_books`).
   */
  forgetUser?(db: Kysely<ReadModels>, userId: string): Promise<Record<string, number>>;
}
