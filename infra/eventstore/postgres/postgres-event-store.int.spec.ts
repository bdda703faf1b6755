import pg from 'pg';
import { createTestDatabase } from '../../../test/db.ts';
import { eventStoreContract } from '../contract/event-store-contract.ts';
import { createPostgresEventStore } from './postgres-event-store.ts';
import { migrateEventLog } from './schema.ts';

eventStoreContract('PostgreSQL event log', async () => {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  await migrateEventLog(pool);
  const store = createPostgresEventStore({ pool, connectionString: db.url });
  return {
    store,
    teardown: async () => {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});
