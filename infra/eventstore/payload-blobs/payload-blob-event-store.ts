import type pg from 'pg';
import { storedEventBytes } from '../append-size.ts';
import {
  subjectOf,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type InlineWork,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
} from '../event-store.ts';

/** The field of an event payload that stands for a payload kept beside the log. */
export const PAYLOAD_BLOB_FIELD = '$payload';

export const PAYLOAD_BLOB_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS es;
CREATE TABLE IF NOT EXISTS es.payload_blobs (
  event_id     uuid PRIMARY KEY,
  data_subject text,
  data         jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payload_blobs_subject ON es.payload_blobs (data_subject);
`;

/** The work of an inline append given the payloads as the caller wrote them, not the references kept in the log. */
function asWritten<R>(work: InlineWork<R>, events: NewEvent[], stored: NewEvent[]): InlineWork<R> {
  return {
    statement: (db, recorded) =>
      work.statement(
        db,
        recorded.map((r, i) => (stored[i] === events[i] ? r : { ...r, data: events[i]!.data })),
      ),
    answer: (row) => work.answer(row),
  };
}

/**
 * Payloads too large for one append, kept in PostgreSQL beside the log (whatever the backend) and referenced from
 * the event by its id, so a single event larger than the append limit (a message of close to 1 MB of text,
 * sealed) is taken by EventStoreDB as it is by the PostgreSQL log. Sits under the encrypting decorator: the
 * payload stored here is the sealed one, so destroying a user's key makes it unreadable like any other; forgetting
 * a user (`eraseClearPayloads`) also deletes that user's payloads here. The payload is written before the event
 * that references it (an orphan after a crash is harmless); a reference whose payload is gone reads as redacted.
 */
export function createPayloadBlobEventStore(inner: EventStore, pool: pg.Pool): EventStore & { migrate(): Promise<void> } {
  const limit = inner.maxAppendBytes;

  /** The events as appended: when they exceed the limit, the larger payloads (largest first) go beside the log. */
  const externalize = async (events: NewEvent[]): Promise<NewEvent[]> => {
    const sizes = events.map(storedEventBytes);
    let total = sizes.reduce((a, b) => a + b, 0);
    if (total <= limit) return events;
    const out = [...events];
    const kept: Array<{ id: string; subject: string | null; data: string }> = [];
    for (const i of [...events.keys()].sort((a, b) => sizes[b]! - sizes[a]!)) {
      if (total <= limit) break;
      const event = events[i]!;
      const data = JSON.stringify(event.data);
      const pointer = { ...event, data: { [PAYLOAD_BLOB_FIELD]: { id: event.id, bytes: Buffer.byteLength(data) } } };
      kept.push({ id: event.id, subject: subjectOf(event.metadata), data });
      total += storedEventBytes(pointer) - sizes[i]!;
      out[i] = pointer;
    }
    await pool.query(
      `INSERT INTO es.payload_blobs (event_id, data_subject, data)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) ON CONFLICT (event_id) DO NOTHING`,
      [kept.map((k) => k.id), kept.map((k) => k.subject), kept.map((k) => k.data)],
    );
    return out;
  };

  const resolve = async (events: RecordedEvent[]): Promise<RecordedEvent[]> => {
    const ids = events.filter((e) => PAYLOAD_BLOB_FIELD in e.data).map((e) => e.id);
    if (ids.length === 0) return events;
    const { rows } = await pool.query<{ event_id: string; data: Record<string, unknown> }>(
      'SELECT event_id, data FROM es.payload_blobs WHERE event_id = ANY($1::uuid[])',
      [ids],
    );
    const found = new Map(rows.map((r) => [r.event_id, r.data]));
    return events.map((e) => {
      if (!(PAYLOAD_BLOB_FIELD in e.data)) return e;
      const data = found.get(e.id);
      return data ? { ...e, data } : { ...e, data: {}, redacted: true };
    });
  };

  const store: EventStore & { migrate(): Promise<void> } = {
    get kind() {
      return inner.kind;
    },
    maxAppendBytes: limit,
    async migrate() {
      await pool.query(PAYLOAD_BLOB_SCHEMA_SQL);
    },
    async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
      return inner.append(streamId, await externalize(events), expectedRevision);
    },
    async readStream(streamId: string, options?: ReadStreamOptions) {
      return resolve(await inner.readStream(streamId, options));
    },
    async readAll(options?: ReadAllOptions) {
      return resolve(await inner.readAll(options));
    },
    async *subscribeToAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
      for await (const batch of inner.subscribeToAll(options)) yield await resolve(batch);
    },
    headPosition: () => inner.headPosition(),
    readableHeadPosition: () => inner.readableHeadPosition(),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  if (inner.appendMultiple) {
    const multiple = inner.appendMultiple.bind(inner);
    store.appendMultiple = async (appends: StreamAppend[]) =>
      multiple(await Promise.all(appends.map(async (a) => ({ ...a, events: await externalize(a.events) }))));
  }
  if (inner.appendInline) {
    const appendInline = inner.appendInline.bind(inner);
    store.appendInline = async <R>(streamId: string, events: NewEvent[], expected: ExpectedRevision, work: InlineWork<R>) => {
      const stored = await externalize(events);
      return appendInline(streamId, stored, expected, asWritten(work, events, stored));
    };
  }
  if (inner.appendMultipleInline) {
    const multipleInline = inner.appendMultipleInline.bind(inner);
    store.appendMultipleInline = async <R>(appends: StreamAppend[], work: InlineWork<R>) => {
      const stored = await Promise.all(appends.map(async (a) => ({ ...a, events: await externalize(a.events) })));
      return multipleInline(
        stored,
        asWritten(
          work,
          appends.flatMap((a) => a.events),
          stored.flatMap((a) => a.events),
        ),
      );
    };
  }
  if (inner.eraseStreamPayloads) {
    const eraseStream = inner.eraseStreamPayloads.bind(inner);
    store.eraseStreamPayloads = async (streamId: string, beforeRevision: number) => {
      // The stream's payloads kept here go with the ones in the log.
      const ids = (await inner.readStream(streamId)).filter((e) => e.revision < beforeRevision).map((e) => e.id);
      if (ids.length > 0) await pool.query('DELETE FROM es.payload_blobs WHERE event_id = ANY($1::uuid[])', [ids]);
      return eraseStream(streamId, beforeRevision);
    };
  }
  if (inner.eraseClearPayloads) {
    const erase = inner.eraseClearPayloads.bind(inner);
    store.eraseClearPayloads = async (dataSubject: string) => {
      // Sealed or not: the subject's payloads kept here go. The count is of events, as the log's own.
      await pool.query('DELETE FROM es.payload_blobs WHERE data_subject = $1', [dataSubject]);
      return erase(dataSubject);
    };
  }
  return store;
}
