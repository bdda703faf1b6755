import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase } from '../../../../test/db.ts';
import { newId } from '../../../../shared/ids.ts';
import { eventStoreContract } from '../../contract/event-store-contract.ts';
import type { EventStore, NewEvent, RecordedEvent } from '../../event-store.ts';
import { createPostgresEventStore } from '../../postgres/postgres-event-store.ts';
import { migrateEventLog } from '../../postgres/schema.ts';
import { MissingDataKeyError, createDataKeyStore, type DataKeyStore } from '../data-key-store.ts';
import { createEncryptingEventStore } from '../encrypting-event-store.ts';
import { PayloadIntegrityError } from '../payload-envelope.ts';

// The whole event store contract, through the decorator over the PostgreSQL log.
eventStoreContract('PostgreSQL event log, payload-encrypting', async () => {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  await migrateEventLog(pool);
  const keys = createDataKeyStore({ pool, connectionString: db.url });
  await keys.migrate();
  const store = createEncryptingEventStore(createPostgresEventStore({ pool, connectionString: db.url }), keys);
  return {
    store,
    teardown: async () => {
      await store.close();
      await keys.close();
      await pool.end();
      await db.drop();
    },
  };
});

describe('payload encryption and crypto-shredding', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  let bare: EventStore;
  let keys: DataKeyStore;
  let store: EventStore;
  const stream = (label: string) => `${label}-${newId()}`;
  const ev = (type: string, data: Record<string, unknown>, userId: string, extra: Record<string, unknown> = {}): NewEvent => ({
    id: newId(),
    type,
    data,
    metadata: { userId, correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1, ...extra },
  });
  const rawRows = async (streamId: string) =>
    (
      await pool.query<{ data: Record<string, unknown>; metadata: Record<string, unknown> }>(
        'SELECT data, metadata FROM es.events WHERE stream_id = $1 ORDER BY revision',
        [streamId],
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 10 });
    await migrateEventLog(pool);
    keys = createDataKeyStore({ pool, connectionString: db.url });
    await keys.migrate();
    bare = createPostgresEventStore({ pool });
    store = createEncryptingEventStore(bare, keys);
  });
  afterAll(async () => {
    await keys?.close();
    await pool?.end();
    await db?.drop();
  });

  test('the log holds envelopes, not plaintext; metadata stays in clear; reads decrypt', async () => {
    const s = stream('character');
    await store.append(s, [ev('CharacterImported', { name: 'Zyxwv the Secret', tags: ['x'] }, 'alice')], 'no_stream');
    const [row] = await rawRows(s);
    expect(JSON.stringify(row!.data)).not.toContain('Zyxwv');
    expect(row!.data).toHaveProperty('$enc');
    expect(row!.metadata).toMatchObject({ userId: 'alice' });
    const [read] = await store.readStream(s);
    expect(read!.data).toEqual({ name: 'Zyxwv the Secret', tags: ['x'] });
    expect(read!.redacted).toBeUndefined();
  });

  test('plain payloads (written before encryption) and non-personal ones (dataSubject null) pass through in clear', async () => {
    const s = stream('legacy');
    await bare.append(s, [ev('Old', { text: 'written in clear' }, 'alice')], 'no_stream');
    await store.append(s, [ev('Audit', { what: 'record' }, 'admin', { dataSubject: null }), ev('Anon', { n: 1 }, 'anonymous')], 1);
    expect((await rawRows(s)).map((r) => r.data)).toEqual([{ text: 'written in clear' }, { what: 'record' }, { n: 1 }]);
    expect((await store.readStream(s)).map((e) => e.data)).toEqual([{ text: 'written in clear' }, { what: 'record' }, { n: 1 }]);
  });

  test("dataSubject: an admin writing to a user's resource writes under the user's key", async () => {
    const s = stream('owned');
    const owner = `carol-${newId()}`;
    await store.append(s, [ev('Edited', { text: 'admin edit of carol' }, 'root', { dataSubject: owner })], 'no_stream');
    await keys.destroyUserKeys(owner);
    const [read] = await store.readStream(s);
    expect(read).toMatchObject({ data: {}, redacted: true });
  });

  test("destroying a user's keys redacts their events everywhere (readStream, readAll, subscribe) and leaves others alone", async () => {
    const victim = `victim-${newId()}`;
    const keeper = `keeper-${newId()}`;
    const s1 = stream('chat');
    const s2 = stream('chat');
    const start = await store.headPosition();
    await store.append(
      s1,
      [ev('MessagePosted', { content: 'victim says hi' }, victim), ev('MessagePosted', { content: 'victim again' }, victim)],
      'no_stream',
    );
    await store.append(s2, [ev('MessagePosted', { content: 'keeper says hi' }, keeper)], 'no_stream');
    expect((await store.readStream(s1))[0]!.data).toEqual({ content: 'victim says hi' }); // cached now

    expect(await keys.destroyUserKeys(victim)).toEqual({ keysDestroyed: 1 });
    expect(await keys.destroyUserKeys(victim)).toEqual({ keysDestroyed: 0 });

    const redacted = await store.readStream(s1);
    expect(redacted.map((e) => [e.revision, e.type, e.data, e.redacted, e.metadata.userId])).toEqual([
      [1, 'MessagePosted', {}, true, victim],
      [2, 'MessagePosted', {}, true, victim],
    ]);
    expect((await store.readStream(s2))[0]).toMatchObject({ data: { content: 'keeper says hi' } });
    expect((await store.readStream(s2))[0]!.redacted).toBeUndefined();

    const mine = (events: RecordedEvent[]) => events.filter((e) => e.streamId === s1 || e.streamId === s2);
    // readAll may hold committed events back behind an older open transaction anywhere in the cluster (never
    // skipping one is its guarantee, not immediacy): wait until all three are visible.
    let all: RecordedEvent[] = [];
    for (let tries = 0; tries < 200 && all.length < 3; tries++) {
      all = mine(await store.readAll({ fromPosition: start, maxCount: 10_000 }));
      if (all.length < 3) await new Promise((r) => setTimeout(r, 50));
    }
    expect(all.map((e) => e.redacted ?? false)).toEqual([true, true, false]);

    const controller = new AbortController();
    const seen: RecordedEvent[] = [];
    for await (const batch of store.subscribeToAll({ fromPosition: start, signal: controller.signal })) {
      seen.push(...mine(batch));
      if (seen.length >= 3) controller.abort();
    }
    expect(seen.map((e) => e.redacted ?? false)).toEqual([true, true, false]);

    // A new event of the forgotten user (they may carry on using the service) gets a new key.
    await store.append(s1, [ev('MessagePosted', { content: 'after the forget' }, victim)], 2);
    expect((await store.readStream(s1)).map((e) => e.data)).toEqual([{}, {}, { content: 'after the forget' }]);
  });

  test('another process caching the key hears the forget (NOTIFY) and stops decrypting', async () => {
    const victim = `remote-${newId()}`;
    const otherKeys = createDataKeyStore({ pool, connectionString: db.url });
    await otherKeys.migrate();
    const other = createEncryptingEventStore(bare, otherKeys);
    try {
      const s = stream('chat');
      await store.append(s, [ev('MessagePosted', { content: 'cached elsewhere' }, victim)], 'no_stream');
      expect((await other.readStream(s))[0]!.data).toEqual({ content: 'cached elsewhere' });
      const heard = new Promise<string>((resolve) => otherKeys.onDestroyed(resolve));
      await keys.destroyUserKeys(victim);
      expect(await heard).toBe(victim);
      expect((await other.readStream(s))[0]).toMatchObject({ data: {}, redacted: true });
    } finally {
      await otherKeys.close();
    }
  });

  test('a tampered payload is an error, not a redaction', async () => {
    const s = stream('tamper');
    await store.append(s, [ev('Secret', { text: 'integrity matters' }, 'alice')], 'no_stream');
    await pool.query(`UPDATE es.events SET data = jsonb_set(data, '{$enc,ct}', to_jsonb($2::text)) WHERE stream_id = $1`, [
      s,
      randomBytes(24).toString('base64'),
    ]);
    await expect(store.readStream(s)).rejects.toBeInstanceOf(PayloadIntegrityError);
  });

  test('a key that is neither stored nor tombstoned (restored without the keys schema) fails loudly instead of redacting', async () => {
    const user = `lost-${newId()}`;
    const s = stream('lost');
    await store.append(s, [ev('Secret', { text: 'x' }, user)], 'no_stream');
    await pool.query('DELETE FROM keys.user_data_keys WHERE user_id = $1', [user]);
    const fresh = createDataKeyStore({ pool }); // an empty cache, as after a restart
    await expect(createEncryptingEventStore(bare, fresh).readStream(s)).rejects.toBeInstanceOf(MissingDataKeyError);
  });

  test('with a key-encryption key the stored keys are wrapped; another KEK or none cannot open them', async () => {
    const kek = randomBytes(32).toString('base64');
    const wrapped = createDataKeyStore({ pool, keyEncryptionKey: kek });
    const wrappedStore = createEncryptingEventStore(bare, wrapped);
    const user = `kek-${newId()}`;
    const s = stream('kek');
    await wrappedStore.append(s, [ev('Secret', { text: 'wrapped' }, user)], 'no_stream');
    const { rows } = await pool.query<{ key_material: Buffer; kek_id: string | null }>(
      'SELECT key_material, kek_id FROM keys.user_data_keys WHERE user_id = $1',
      [user],
    );
    expect(rows[0]!.kek_id).toMatch(/^[0-9a-f]{16}$/);
    expect(rows[0]!.key_material.length).toBe(12 + 32 + 16);
    expect((await createEncryptingEventStore(bare, createDataKeyStore({ pool, keyEncryptionKey: kek })).readStream(s))[0]!.data).toEqual({
      text: 'wrapped',
    });
    await expect(
      createEncryptingEventStore(bare, createDataKeyStore({ pool, keyEncryptionKey: randomBytes(32).toString('hex') })).readStream(s),
    ).rejects.toThrow(/key-encryption key/);
    await expect(createEncryptingEventStore(bare, createDataKeyStore({ pool })).readStream(s)).rejects.toThrow(
      /EVENT_KEY_ENCRYPTION_KEY is not set/,
    );
  });

  test("eraseClearPayloads: the subject's payloads stored in clear are erased in place and read back redacted; sealed, others' and non-personal ones stay", async () => {
    const user = `legacy-${newId()}`;
    const s = stream('erase');
    await bare.append(
      s,
      [ev('Old', { text: 'Qlegacymark in clear' }, user), ev('OthersOld', { text: 'someone else' }, 'alice')],
      'no_stream',
    );
    await store.append(
      s,
      [
        ev('New', { text: 'sealed' }, user),
        ev('Audit', { userId: user }, user, { dataSubject: null }),
        ev('AdminEdit', { text: 'Qlegacymark by admin' }, 'root', { dataSubject: user }),
      ],
      2,
    );
    await bare.append(s, [ev('AdminEditOld', { text: 'Qlegacymark old admin edit' }, 'root', { dataSubject: user })], 5);
    expect(await store.eraseClearPayloads!(user)).toBe(2);
    expect(await store.eraseClearPayloads!(user)).toBe(0);
    expect(JSON.stringify(await rawRows(s))).not.toContain('Qlegacymark');
    const read = await store.readStream(s);
    expect(read.map((e) => [e.type, e.redacted ?? false, e.data])).toEqual([
      ['Old', true, {}],
      ['OthersOld', false, { text: 'someone else' }],
      ['New', false, { text: 'sealed' }],
      ['Audit', false, { userId: user }],
      ['AdminEdit', false, { text: 'Qlegacymark by admin' }],
      ['AdminEditOld', true, {}],
    ]);
    // The bare adapter reports the erasure itself, without the decorator.
    expect((await bare.readStream(s))[0]).toMatchObject({ data: {}, redacted: true });
  });

  test('sealNewEvents false: new payloads in clear, earlier sealed ones still open', async () => {
    const s = stream('off');
    await store.append(s, [ev('Sealed', { text: 'sealed before' }, 'alice')], 'no_stream');
    const off = createEncryptingEventStore(bare, keys, { sealNewEvents: false });
    await off.append(s, [ev('Plain', { text: 'clear after' }, 'alice')], 1);
    const rows = await rawRows(s);
    expect(rows[0]!.data).toHaveProperty('$enc');
    expect(rows[1]!.data).toEqual({ text: 'clear after' });
    expect((await off.readStream(s)).map((e) => e.data)).toEqual([{ text: 'sealed before' }, { text: 'clear after' }]);
  });
});
