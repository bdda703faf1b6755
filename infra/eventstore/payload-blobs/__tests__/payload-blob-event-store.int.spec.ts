import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase } from '../../../../test/db.ts';
import { newId } from '../../../../shared/ids.ts';
import { eventually } from '../../../../test/eventually.ts';
import { DEFAULT_MAX_APPEND_BYTES } from '../../append-size.ts';
import { createDataKeyStore, type DataKeyStore } from '../../encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../../encryption/encrypting-event-store.ts';
import type { EventStore, NewEvent } from '../../event-store.ts';
import { createPostgresEventStore } from '../../postgres/postgres-event-store.ts';
import { migrateEventLog } from '../../postgres/schema.ts';
import { createPayloadBlobEventStore } from '../payload-blob-event-store.ts';

const ev = (data: Record<string, unknown>, userId: string): NewEvent => ({
  id: newId(),
  type: 'MessagePosted',
  data,
  metadata: { userId, correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1 },
});
const big = (marker: string) => `${marker} ${'ü tale of the hills '.repeat(70_000)}`; // about 1.5 MB as UTF-8

describe.each([
  ['sealed', true],
  ['in clear', false],
])('payloads larger than one append, kept beside the log (%s)', (_label, seal) => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  let keys: DataKeyStore;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
    await migrateEventLog(pool);
    keys = createDataKeyStore({ pool });
    await keys.migrate();
    const blobs = createPayloadBlobEventStore(createPostgresEventStore({ pool }), pool);
    await blobs.migrate();
    store = createEncryptingEventStore(blobs, keys, { sealNewEvents: seal });
  });
  afterAll(async () => {
    await store.close();
    await keys.close();
    await pool.end();
    await db.drop();
  });

  test('an event over the limit is taken, its log row stays small, and every read gives the whole payload back', async () => {
    const s = `chat-${newId()}`;
    const text = big('Qblobmark');
    const small = ev({ text: 'a small one' }, 'alice');
    const large = ev({ text }, 'alice');
    const result = await store.append(s, [small, large], 'no_stream');
    expect(result.revision).toBe(2);
    const { rows } = await pool.query<{ n: number; biggest: number }>(
      'SELECT count(*)::int AS n, max(octet_length(data::text))::int AS biggest FROM es.events WHERE stream_id = $1',
      [s],
    );
    expect(rows[0]!.n).toBe(2);
    expect(rows[0]!.biggest).toBeLessThan(DEFAULT_MAX_APPEND_BYTES / 4);
    const stored = await pool.query('SELECT data::text AS data FROM es.payload_blobs WHERE event_id = $1', [large.id]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].data.includes('Qblobmark')).toBe(!seal);
    expect((await store.readStream(s)).map((e) => e.data.text)).toEqual(['a small one', text]);
    // The log shows committed events once no older transaction of the cluster is open (test files share it).
    const all = await eventually(
      () => store.readAll({ subject: 'alice', maxCount: 10 }),
      (events) => events.some((e) => e.id === large.id),
    );
    expect(all.find((e) => e.id === large.id)?.data.text).toBe(text);
    const abort = new AbortController();
    for await (const batch of store.subscribeToAll({ signal: abort.signal })) {
      const found = batch.find((e) => e.id === large.id);
      if (found) {
        expect(found.data.text).toBe(text);
        abort.abort();
      }
    }
  }, 60_000);

  test("forgetting the subject deletes its payloads kept here; the event reads back redacted; others' stay", async () => {
    const s = `chat-${newId()}`;
    const mine = ev({ text: big('Qforgetmark') }, 'bob');
    const theirs = ev({ text: big('Qkeepmark') }, 'carol');
    await store.append(s, [mine], 'no_stream');
    await store.append(`chat-${newId()}`, [theirs], 'no_stream');
    if (seal) await keys.destroyUserKeys('bob');
    await store.eraseClearPayloads!('bob');
    expect((await pool.query('SELECT 1 FROM es.payload_blobs WHERE event_id = $1', [mine.id])).rows).toHaveLength(0);
    expect((await pool.query('SELECT 1 FROM es.payload_blobs WHERE event_id = $1', [theirs.id])).rows).toHaveLength(1);
    const [read] = await store.readStream(s);
    expect(read).toMatchObject({ id: mine.id, data: {}, redacted: true });
    const marker = await pool.query(
      "SELECT (SELECT count(*) FROM es.events WHERE data::text LIKE '%Qforgetmark%')::int + (SELECT count(*) FROM es.payload_blobs WHERE data::text LIKE '%Qforgetmark%')::int AS n",
    );
    expect(marker.rows[0].n).toBe(0);
  }, 60_000);
});
