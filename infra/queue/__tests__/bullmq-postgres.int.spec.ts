import { createTestDatabase } from '../../../test/db.ts';
import { queueContract } from '../contract/queue-contract.ts';

queueContract('BullMQ on PostgreSQL', async () => {
  const db = await createTestDatabase();
  return { backend: { kind: 'postgres', connectionString: db.url }, teardown: () => db.drop() };
});
