import { describe, expect, test } from '@jest/globals';
import { createMemoryEventStore } from '../../../infra/eventstore/memory/memory-event-store.ts';
import { ConcurrencyError, type EventStore } from '../../../infra/eventstore/event-store.ts';
import { newId } from '../../../shared/ids.ts';
import { createEntry, createWorldBook as newBook } from '../../../shared/worldinfo/index.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { createStateCache } from '../../state-cache.ts';
import { worldBookStream } from '../world-book-decider.ts';
import {
  accessibleWorldBook,
  addEntry,
  bulkChangeEntries,
  createWorldBook,
  deleteWorldBook,
  loadWorldBook,
  type WorldBookCommandDeps,
} from '../world-book-workflows.ts';

// The world-book workflows on the in-memory event store: the same commands the API runs, without a database.
const context = (userId: string, isAdmin = false): Actor => ({
  userId,
  isAdmin,
  requestId: newId(),
  correlationId: 'c',
  causationId: 'c',
});
const alice = context('alice');
const bob = context('bob');
const { entries: _entries, ...meta } = newBook('Eldoria');

function setup(): { eventStore: EventStore; deps: WorldBookCommandDeps } {
  const eventStore = createMemoryEventStore();
  return { eventStore, deps: { eventStore, cache: createStateCache() } };
}

const bookOf = (deps: WorldBookCommandDeps, entries = [createEntry({ keys: ['forest'], content: 'An old forest.', uid: 0 })]) =>
  createWorldBook(deps, alice, { book: meta, entries, enabled: true, isGlobal: false, source: { kind: 'api' }, warnings: [] });

const revisionOf = async (store: EventStore, worldBookId: string) => (await store.readStream(worldBookStream(worldBookId))).length;

describe('world-book workflows on the in-memory event store', () => {
  test('entries added one by one get the smallest free uid and bump the book version; the stored events rebuild the same book', async () => {
    const { eventStore, deps } = setup();
    const { worldBookId, result } = await bookOf(deps);
    expect(result.revision).toBe(1);
    const second = await addEntry(deps, alice, worldBookId, createEntry({ keys: ['shadowfang'], content: 'A wolf.' }), 1);
    const third = await addEntry(deps, alice, worldBookId, createEntry({ keys: ['glade'], content: 'A glade.' }));
    expect(third.result.revision).toBe(3);
    expect(third.result.state.entries.map((r) => [r.entryId, r.entry.uid, r.entry.keys])).toEqual([
      [result.state.entries[0]!.entryId, 0, ['forest']],
      [second.entryId, 1, ['shadowfang']],
      [third.entryId, 2, ['glade']],
    ]);
    expect((await eventStore.readStream(worldBookStream(worldBookId))).map((e) => [e.type, e.metadata.userId])).toEqual([
      ['WorldBookCreated', 'alice'],
      ['WorldBookEntryAdded', 'alice'],
      ['WorldBookEntryAdded', 'alice'],
    ]);
    // Without the cache, from the events alone.
    expect((await loadWorldBook({ eventStore }, worldBookId)).state).toEqual(third.result.state);
  });

  test('a stale expected version is a conflict and appends nothing', async () => {
    const { eventStore, deps } = setup();
    const { worldBookId } = await bookOf(deps);
    await addEntry(deps, alice, worldBookId, createEntry({ keys: ['a'], content: 'a' }), 1);
    await expect(addEntry(deps, alice, worldBookId, createEntry({ keys: ['b'], content: 'b' }), 1)).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    expect(await revisionOf(eventStore, worldBookId)).toBe(2);
  });

  test('a bulk change over several books is decided for every book before anything is appended', async () => {
    const { eventStore, deps } = setup();
    const first = await bookOf(deps, [
      createEntry({ keys: ['a'], content: 'a', enabled: false }),
      createEntry({ keys: ['b'], content: 'b' }),
    ]);
    const second = await bookOf(deps, [createEntry({ keys: ['c'], content: 'c', enabled: false })]);
    const [a, b] = first.result.state.entries.map((r) => r.entryId);
    const [c] = second.result.state.entries.map((r) => r.entryId);

    // An entry missing from the second book: 404, and the first book is not changed either.
    const missing = new Map([
      [first.worldBookId, [a!, b!]],
      [second.worldBookId, [c!, newId()]],
    ]);
    await expect(bulkChangeEntries(deps, alice, { entriesByBook: missing, operation: 'enable' })).rejects.toMatchObject({ status: 404 });
    // Another user's books: 403, nothing changed.
    const both = new Map([
      [first.worldBookId, [a!, b!]],
      [second.worldBookId, [c!]],
    ]);
    await expect(bulkChangeEntries(deps, bob, { entriesByBook: both, operation: 'enable' })).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect([await revisionOf(eventStore, first.worldBookId), await revisionOf(eventStore, second.worldBookId)]).toEqual([1, 1]);

    // One event per book; entries already enabled are not counted.
    const outcome = await bulkChangeEntries(deps, alice, { entriesByBook: both, operation: 'enable' });
    expect(outcome).toEqual({
      affected: 2,
      books: [
        { worldBookId: first.worldBookId, version: 2, affected: 1 },
        { worldBookId: second.worldBookId, version: 2, affected: 1 },
      ],
      position: await eventStore.headPosition(),
    });
    expect((await loadWorldBook({ eventStore }, first.worldBookId)).state.entries.map((r) => r.entry.enabled)).toEqual([true, true]);
  });

  test('access: another user is 403, an admin may read, a deleted or missing book is 404 unless deleted ones are asked for', async () => {
    const { deps } = setup();
    const { worldBookId } = await bookOf(deps);
    await expect(accessibleWorldBook(deps, bob, worldBookId)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(accessibleWorldBook(deps, context('root', true), worldBookId)).resolves.toMatchObject({ revision: 1 });
    await expect(accessibleWorldBook(deps, alice, newId())).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await deleteWorldBook(deps, alice, worldBookId, 1);
    await expect(accessibleWorldBook(deps, alice, worldBookId)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(accessibleWorldBook(deps, alice, worldBookId, { allowDeleted: true })).resolves.toMatchObject({
      revision: 2,
      state: { deleted: true },
    });
  });
});
