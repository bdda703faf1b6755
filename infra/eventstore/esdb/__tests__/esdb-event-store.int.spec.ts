import { test } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase } from '../../../../test/db.ts';
import { eventStoreContract } from '../../contract/event-store-contract.ts';
import { createDataKeyStore } from '../../encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../../encryption/encrypting-event-store.ts';
import { createEsdbEventStore } from '../esdb-event-store.ts';

// No EventStoreDB server runs on the development machines (no Docker, no package); docker compose and CI set
// EVENTSTORE_URL, e.g. esdb://localhost:2113?tls=false.
const url = process.env.EVENTSTORE_URL;

if (url) {
  eventStoreContract('EventStoreDB', async () => {
    const store = createEsdbEventStore({ connectionString: url });
    await store.ping();
    return { store, teardown: () => store.close() };
  });
  // As the service runs it: payloads encrypted by the decorator, keys in PostgreSQL.
  eventStoreContract('EventStoreDB, payload-encrypting', async () => {
    const db = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: db.url, max: 10 });
    const keys = createDataKeyStore({ pool, connectionString: db.url });
    await keys.migrate();
    const store = createEncryptingEventStore(createEsdbEventStore({ connectionString: url }), keys);
    await store.ping();
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
} else {
  console.log('SKIP EventStoreDB contract suite: EVENTSTORE_URL is not set (e.g. EVENTSTORE_URL=esdb://localhost:2113?tls=false)');
  test.skip('EventStoreDB contract suite (needs EVENTSTORE_URL)', () => undefined);
}
