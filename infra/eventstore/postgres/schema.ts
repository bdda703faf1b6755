import type pg from 'pg';

/**
 * The PostgreSQL event log. Ordering for subscribers uses the snapshot horizon: every row records the id of
 * the transaction that wrote it, and readers only take rows whose transaction is older than the oldest one
 * still running (`pg_snapshot_xmin`), ordered by (transaction id, global position). A row that commits late
 * always has a transaction id at or above the horizon, so it is never passed over.
 *
 * Per-stream order: `append_to_stream` takes a per-stream advisory lock (which assigns no transaction id)
 * before its first write, so a later append to the same stream always gets a larger transaction id.
 * Appends to different streams run concurrently and share group commit.
 */
export const EVENT_LOG_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS es;

CREATE TABLE IF NOT EXISTS es.streams (
  stream_id  text PRIMARY KEY,
  revision   bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE IF NOT EXISTS es.global_position;

CREATE TABLE IF NOT EXISTS es.events (
  global_position bigint      NOT NULL DEFAULT nextval('es.global_position'),
  transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text        NOT NULL,
  revision        bigint      NOT NULL,
  event_id        uuid        NOT NULL,
  type            text        NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, revision)
);

CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON es.events (event_id);
CREATE INDEX IF NOT EXISTS events_commit_order ON es.events (transaction_id, global_position);
CREATE INDEX IF NOT EXISTS events_created_at ON es.events (created_at);

-- Whose personal data each event is (subjectOf in event-store.ts: metadata.dataSubject when present, null for
-- nobody's, else metadata.userId), so one user's reads (the event feed's catch-up) touch only their rows. A
-- generated column: appends fill it and, on a log created before it existed, adding it fills every row (a
-- one-time rewrite of the table on the first start after the upgrade).
ALTER TABLE es.events ADD COLUMN IF NOT EXISTS data_subject text
  GENERATED ALWAYS AS (CASE WHEN metadata ? 'dataSubject' THEN metadata->>'dataSubject' ELSE metadata->>'userId' END) STORED;
CREATE INDEX IF NOT EXISTS events_data_subject ON es.events (data_subject, transaction_id, global_position);

-- p_expected: -1 any, -2 no stream, -3 stream exists, >= 0 the exact current revision.
-- p_created_at: the events' creation time, given by a caller that writes read-model rows with it in the same
-- statement (an inline projection); the six-argument form takes the transaction's now().
CREATE OR REPLACE FUNCTION es.append_to_stream(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[], p_created_at timestamptz
) RETURNS TABLE (new_revision bigint, tx xid8, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_current bigint;
  v_count   int := cardinality(p_ids);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 7341));
  SELECT s.revision INTO v_current FROM es.streams s WHERE s.stream_id = p_stream;
  v_current := coalesce(v_current, 0);
  IF (p_expected = -2 AND v_current <> 0)
     OR (p_expected = -3 AND v_current = 0)
     OR (p_expected >= 0 AND v_current <> p_expected) THEN
    RAISE EXCEPTION 'wrong expected revision' USING ERRCODE = 'P0409', DETAIL = v_current::text;
  END IF;
  INSERT INTO es.streams AS s (stream_id, revision) VALUES (p_stream, v_current + v_count)
    ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, updated_at = now();
  RETURN QUERY
    WITH inserted AS (
      INSERT INTO es.events (stream_id, revision, event_id, type, data, metadata, created_at)
      SELECT p_stream, v_current + t.ord, t.id, t.type, t.data, t.meta, p_created_at
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS t(id, type, data, meta, ord)
      ORDER BY t.ord
      RETURNING global_position
    )
    SELECT v_current + v_count, pg_current_xact_id(), max(i.global_position) FROM inserted i;
END
$fn$;

CREATE OR REPLACE FUNCTION es.append_to_stream(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (new_revision bigint, tx xid8, last_position bigint)
LANGUAGE sql AS $fn$
  SELECT * FROM es.append_to_stream(p_stream, p_expected, p_ids, p_types, p_data, p_metadata, now())
$fn$;
`;

export async function migrateEventLog(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(7341001)');
    await client.query(EVENT_LOG_SCHEMA_SQL);
  } finally {
    await client.query('SELECT pg_advisory_unlock(7341001)').catch(() => undefined);
    client.release();
  }
}
