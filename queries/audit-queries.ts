import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, ReadModels } from '../infra/db/read-model-types.ts';

export type AuditEventRow = Selectable<AuditEventsTable>;

export interface AuditFilter {
  userId?: string;
  resourceType?: string;
  resourceId?: string;
  eventType?: string;
  /** Inclusive lower bound of the event time. */
  from?: Date;
  /** Exclusive upper bound of the event time. */
  to?: Date;
}

export interface AuditPage {
  order: 'asc' | 'desc';
  limit: number;
  /** Continue after this log position (exclusive), in `order`. */
  afterPosition?: string;
}

export function toAuditEventView(row: AuditEventRow) {
  return {
    position: row.position,
    event_id: row.event_id,
    event_type: row.event_type,
    stream_id: row.stream_id,
    version: row.revision,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    user_id: row.user_id,
    at: row.occurred_at.toISOString(),
    summary: row.summary,
    changed_fields: row.changed_fields,
    subject_ids: row.subject_ids,
    request_id: row.request_id,
    correlation_id: row.correlation_id,
  };
}

/** Audit queries answer from the audit projection, one index range per filter, keyset-paginated by log position. */
export function createAuditQueries(db: Kysely<ReadModels>, schema: string) {
  return {
    async page(filter: AuditFilter, page: AuditPage): Promise<{ items: AuditEventRow[]; hasMore: boolean }> {
      let q = db.withSchema(schema).selectFrom('audit_events').selectAll();
      if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
      if (filter.resourceType !== undefined) q = q.where('resource_type', '=', filter.resourceType);
      if (filter.resourceId !== undefined) q = q.where('resource_id', '=', filter.resourceId);
      if (filter.eventType !== undefined) q = q.where('event_type', '=', filter.eventType);
      if (filter.from) q = q.where('occurred_at', '>=', filter.from);
      if (filter.to) q = q.where('occurred_at', '<', filter.to);
      if (page.afterPosition !== undefined) q = q.where('position', page.order === 'asc' ? '>' : '<', page.afterPosition);
      const rows = await q
        .orderBy('position', page.order)
        .limit(page.limit + 1)
        .execute();
      return { items: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
    },
  };
}

export type AuditQueries = ReturnType<typeof createAuditQueries>;
