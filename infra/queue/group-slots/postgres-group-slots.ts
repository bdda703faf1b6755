import pg from 'pg';
import type { GroupSlotsStore } from './group-slots.ts';

const SCHEMA = 'job_groups';

/**
 * One row per running or parked holder. Each operation is one function call that takes a transaction-scoped
 * advisory lock on its (queue, group), so counting and taking a slot cannot interleave across processes.
 */
const MIGRATION = `
CREATE SCHEMA IF NOT EXISTS ${SCHEMA};
CREATE TABLE IF NOT EXISTS ${SCHEMA}.slot (
  queue      text        NOT NULL,
  grp        text        NOT NULL,
  holder     text        NOT NULL,
  running    boolean     NOT NULL,
  since      timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (queue, grp, holder)
);
CREATE INDEX IF NOT EXISTS slot_parked_idx ON ${SCHEMA}.slot (queue, grp, since) WHERE NOT running;

CREATE OR REPLACE FUNCTION ${SCHEMA}.lock_group(p_queue text, p_grp text) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtextextended('job_groups:' || p_queue || ':' || p_grp, 0)) $$;

CREATE OR REPLACE FUNCTION ${SCHEMA}.acquire(p_queue text, p_grp text, p_holder text, p_max integer, p_lease_ms integer, p_park boolean, p_park_ttl_ms integer)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_others integer;
BEGIN
  PERFORM ${SCHEMA}.lock_group(p_queue, p_grp);
  DELETE FROM ${SCHEMA}.slot WHERE queue = p_queue AND grp = p_grp AND expires_at < v_now;
  SELECT count(*) INTO v_others FROM ${SCHEMA}.slot WHERE queue = p_queue AND grp = p_grp AND running AND holder <> p_holder;
  IF v_others < p_max THEN
    INSERT INTO ${SCHEMA}.slot AS s VALUES (p_queue, p_grp, p_holder, true, v_now, v_now + p_lease_ms * interval '1 millisecond')
      ON CONFLICT (queue, grp, holder) DO UPDATE SET running = true, expires_at = EXCLUDED.expires_at;
    RETURN true;
  END IF;
  IF p_park THEN
    -- A holder parked again keeps its place in the line.
    INSERT INTO ${SCHEMA}.slot AS s VALUES (p_queue, p_grp, p_holder, false, v_now, v_now + p_park_ttl_ms * interval '1 millisecond')
      ON CONFLICT (queue, grp, holder) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE NOT s.running;
  END IF;
  RETURN false;
END $$;

CREATE OR REPLACE FUNCTION ${SCHEMA}.pop_parked(p_queue text, p_grp text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_holder text;
BEGIN
  PERFORM ${SCHEMA}.lock_group(p_queue, p_grp);
  DELETE FROM ${SCHEMA}.slot
   WHERE queue = p_queue AND grp = p_grp AND holder = (
     SELECT holder FROM ${SCHEMA}.slot
      WHERE queue = p_queue AND grp = p_grp AND NOT running AND expires_at >= clock_timestamp()
      ORDER BY since, holder LIMIT 1)
  RETURNING holder INTO v_holder;
  RETURN v_holder;
END $$;

CREATE OR REPLACE FUNCTION ${SCHEMA}.release(p_queue text, p_grp text, p_holder text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ${SCHEMA}.lock_group(p_queue, p_grp);
  DELETE FROM ${SCHEMA}.slot WHERE queue = p_queue AND grp = p_grp AND holder = p_holder AND running;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN ${SCHEMA}.pop_parked(p_queue, p_grp);
END $$;
`;

export async function createPostgresGroupSlotsStore(options: {
  connectionString: string;
  queueName: string;
  poolSize?: number;
}): Promise<GroupSlotsStore> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 4,
    application_name: 'job-group-slots',
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', () => undefined); // an idle connection dropped by the server; the next query opens another
  const queue = options.queueName;
  try {
    const client = await pool.connect();
    // A checked-out client has no listener of the pool's: a server shutdown would otherwise crash the process
    // (the failing query reports it).
    const ignore = () => undefined;
    client.on('error', ignore);
    try {
      // Concurrent first starts would race on the catalog: one migration at a time.
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('job_groups:migration', 0))`);
      await client.query(MIGRATION);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', ignore);
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }

  return {
    async acquire(group, holder, { max, leaseMs, park, parkTtlMs }) {
      const { rows } = await pool.query<{ ok: boolean }>(`SELECT ${SCHEMA}.acquire($1, $2, $3, $4, $5, $6, $7) AS ok`, [
        queue,
        group,
        holder,
        max,
        leaseMs,
        park,
        parkTtlMs,
      ]);
      return rows[0]!.ok;
    },
    async release(group, holder) {
      const { rows } = await pool.query<{ next: string | null }>(`SELECT ${SCHEMA}.release($1, $2, $3) AS next`, [queue, group, holder]);
      return rows[0]!.next;
    },
    async popParked(group) {
      const { rows } = await pool.query<{ next: string | null }>(`SELECT ${SCHEMA}.pop_parked($1, $2) AS next`, [queue, group]);
      return rows[0]!.next;
    },
    async isParked(group, holder) {
      const { rows } = await pool.query(`SELECT 1 FROM ${SCHEMA}.slot WHERE queue = $1 AND grp = $2 AND holder = $3 AND NOT running`, [
        queue,
        group,
        holder,
      ]);
      return rows.length > 0;
    },
    async renew(slots, leaseMs) {
      if (slots.length === 0) return;
      await pool.query(
        `UPDATE ${SCHEMA}.slot SET expires_at = clock_timestamp() + $2 * interval '1 millisecond'
          WHERE queue = $1 AND running AND (grp, holder) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
        [queue, leaseMs, slots.map((s) => s.group), slots.map((s) => s.holder)],
      );
    },
    async close() {
      await pool.end();
    },
  };
}
