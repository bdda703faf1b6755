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
  /** Tables it owns, emptied before a rebuild. */
  tables: readonly (keyof ReadModels & string)[];
  apply(db: Kysely<ReadModels>, event: RecordedEvent): Promise<void>;
  /**
   * Optional: apply many handled events (in log order) with fewer statements, e.g. by folding each
   * resource's events in memory first. Must leave the same rows as applying them one by one.
   */
  applyMany?(db: Kysely<ReadModels>, events: RecordedEvent[]): Promise<void>;
}
