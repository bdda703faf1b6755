import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import { allEventDefinitions } from '../shared/events/catalogue.ts';
import { summarizeEvent } from '../shared/events/event-summaries.ts';
import { resourceOf } from '../shared/events/resource-type.ts';
import { insertByColumns, type ColumnTypes } from './insert-by-columns.ts';
import type { Projection } from './projection.ts';

const AUDIT_COLUMNS: ColumnTypes = {
  position: 'text',
  event_id: 'text',
  stream_id: 'text',
  revision: 'integer',
  event_type: 'text',
  resource_type: 'text',
  resource_id: 'text',
  user_id: 'text',
  data_subject: 'text',
  occurred_at: 'timestamptz',
  summary: 'text',
  changed_fields: 'text[]',
  subject_ids: 'text[]',
  request_id: 'text',
  correlation_id: 'text',
};

const text = (value: unknown) => (typeof value === 'string' ? value : null);

/** The audit row of one event: who, when, which resource, and a readable summary of the change. */
export function auditRow(event: RecordedEvent) {
  const summary = summarizeEvent(event.type, event.data);
  const resource = resourceOf(event.streamId, event.type);
  return {
    position: event.position,
    event_id: event.id,
    stream_id: event.streamId,
    revision: event.revision,
    event_type: event.type,
    resource_type: resource.resourceType,
    resource_id: resource.resourceId,
    user_id: text(event.metadata.userId) ?? 'unknown',
    data_subject: event.metadata.dataSubject === null ? null : (text(event.metadata.dataSubject) ?? text(event.metadata.userId)),
    occurred_at: event.createdAt,
    summary: summary.text,
    changed_fields: summary.fields,
    subject_ids: summary.subjects,
    request_id: text(event.metadata.requestId),
    correlation_id: text(event.metadata.correlationId),
  };
}

/**
 * Every event of the log as an audit row, keyed by its log position: a redelivered event hits the primary
 * key and changes nothing. Handles every type in the event catalogue (every type the service can write).
 */
export const auditEventsProjection: Projection = {
  name: 'audit_events',
  handles: new Set(allEventDefinitions().map((d) => d.type)),
  tables: ['audit_events'],
  // Rows are only inserted (ON CONFLICT on the primary key): the filter indexes are built after a replay.
  insertOnlyTables: ['audit_events'],

  /** The rows of events holding the user's data (their summaries quote it); a rebuild would skip those events too. */
  async forgetUser(db, userId) {
    const deleted = await db.deleteFrom('audit_events').where('data_subject', '=', userId).executeTakeFirst();
    return { audit_events: Number(deleted.numDeletedRows) };
  },

  async apply(db, event) {
    await auditEventsProjection.applyMany!(db, [event]);
  },

  async applyMany(db: Kysely<ReadModels>, events: RecordedEvent[]) {
    await insertByColumns(db, 'audit_events', AUDIT_COLUMNS, events.map(auditRow), 'position');
  },
};
