import { test } from '@jest/globals';
import { eventStoreContract } from '../contract/event-store-contract.ts';
import { createEsdbEventStore } from './esdb-event-store.ts';

// No EventStoreDB server runs on the development machines (no Docker, no package); docker compose and CI set
// EVENTSTORE_URL, e.g. esdb://localhost:2113?tls=false.
const url = process.env.EVENTSTORE_URL;

if (url) {
  eventStoreContract('EventStoreDB', async () => {
    const store = createEsdbEventStore({ connectionString: url });
    await store.ping();
    return { store, teardown: () => store.close() };
  });
} else {
  console.log('SKIP EventStoreDB contract suite: EVENTSTORE_URL is not set (e.g. EVENTSTORE_URL=esdb://localhost:2113?tls=false)');
  test.skip('EventStoreDB contract suite (needs EVENTSTORE_URL)', () => undefined);
}
