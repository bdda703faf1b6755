import { describe, expect, test } from '@jest/globals';
import type { WorldBookEvent } from '../../../shared/events/world-book-events.ts';
import { createEntry, createWorldBook } from '../../../shared/worldinfo/index.ts';
import { DeciderSpecification } from '../../../test/decider-specification.ts';
import { ENTRY_CHUNK_BYTES } from '../../../shared/world-books/entry-chunks.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { cardEntryIds, cardWorldBookId } from '../card-world-book.ts';
import { characterWorldBooksDecider } from '../character-world-books-decider.ts';
import { nextFreeUid, worldBookDecider, type WorldBookCommand, type WorldBookState } from '../world-book-decider.ts';

const alice: Actor = { userId: 'alice', isAdmin: false, requestId: 'r', correlationId: 'r', causationId: 'r' };
const bob: Actor = { ...alice, userId: 'bob' };
const BOOK = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const E1 = '01a20b51-8aef-70e2-bc70-d07f7c1061d1';
const E2 = '01a20b51-8aef-70e2-bc70-d07f7c1061d2';

function run(commands: WorldBookCommand[], context = alice): { state: WorldBookState; events: WorldBookEvent[] } {
  let state = worldBookDecider.initialState();
  const events: WorldBookEvent[] = [];
  for (const c of commands) {
    for (const e of worldBookDecider.decide(c, state, context)) {
      events.push(e);
      state = worldBookDecider.evolve(state, e);
    }
  }
  return { state, events };
}

const { entries: _entries, ...meta } = createWorldBook('Lore');
const create: WorldBookCommand = {
  type: 'CreateWorldBook',
  worldBookId: BOOK,
  book: meta,
  entries: [],
  enabled: true,
  isGlobal: false,
  source: { kind: 'api' },
  warnings: [],
};
const add = (entryId: string, fields: Parameters<typeof createEntry>[0]): WorldBookCommand => ({
  type: 'AddEntry',
  worldBookId: BOOK,
  entryId,
  entry: createEntry(fields),
});

const spec = DeciderSpecification.for(worldBookDecider, { context: alice });
const created = run([create]).events;
const deleteBook: WorldBookCommand = { type: 'DeleteWorldBook', worldBookId: BOOK, now: new Date() };

describe('world-book decider', () => {
  test('a book larger than one event is created as its first entries and the rest in order, each event within the chunk size', () => {
    const entries = Array.from({ length: 600 }, (_, i) => ({ keys: [`key ${i}`], content: `${i}: ${'lore '.repeat(200)}` }));
    const records = entries.map((e, i) => ({ entryId: `01a20b51-8aef-70e2-bc70-${String(i).padStart(12, '0')}`, entry: createEntry(e) }));
    const { state, events } = run([{ ...create, entries: records }]);
    expect(events.length).toBeGreaterThan(2);
    expect(events[0]!.type).toBe('WorldBookCreated');
    expect(events.slice(1).every((e) => e.type === 'WorldBookEntriesImported')).toBe(true);
    for (const e of events)
      expect(Buffer.byteLength(JSON.stringify((e.data as { entries: unknown }).entries))).toBeLessThanOrEqual(ENTRY_CHUNK_BYTES);
    const first = events[0]!.data as { entries: unknown[]; continuedEntries?: number };
    expect(first.continuedEntries).toBe(600 - first.entries.length);
    expect(state.entries.map((r) => r.entry.content)).toEqual(entries.map((e) => e.content));
    // A small book stays one event, as before.
    expect(run([{ ...create, entries: records.slice(0, 2) }]).events).toHaveLength(1);
  });

  test('new entries get the smallest free uid', () => {
    const { state } = run([create, add(E1, { keys: ['a'], content: 'a', uid: 0 }), add(E2, { keys: ['b'], content: 'b', uid: 2 })]);
    expect(nextFreeUid(state.entries)).toBe(1);
    const third = run([create, add(E1, { keys: ['a'], content: 'a' }), add(E2, { keys: ['b'], content: 'b' })]).state;
    expect(third.entries.map((r) => r.entry.uid)).toEqual([0, 1]);
  });

  test('404 for a missing or deleted book, 403 for another user, 409 for a second create', () => {
    spec({ when: deleteBook, then: { error: { status: 404 } } });
    spec({ given: created, when: deleteBook, context: bob, then: { error: { status: 403 } } });
    spec({ given: created, when: deleteBook, context: { ...bob, isAdmin: true }, then: { matching: [{ type: 'WorldBookDeleted' }] } });
    spec({ given: created, when: create, then: { error: { status: 409 } } });
    const deleted = run([create, deleteBook]).events;
    spec({ given: deleted, when: add(E1, { keys: ['a'], content: 'a' }), then: { error: { status: 404 } } });
    spec({
      given: deleted,
      when: { type: 'RestoreWorldBook', worldBookId: BOOK },
      then: [{ type: 'WorldBookRestored', data: { worldBookId: BOOK } }],
    });
    spec({ given: created, when: { type: 'RestoreWorldBook', worldBookId: BOOK }, then: { error: { code: 'not_deleted' } } });
  });

  test('updates record only what changed; a field defaulted at import counts as changed when set', () => {
    const { events } = run([
      create,
      { type: 'UpdateWorldBook', worldBookId: BOOK, changes: { name: 'Lore', description: 'new', isGlobal: true } },
    ]);
    expect(events[1]).toEqual({ type: 'WorldBookUpdated', data: { worldBookId: BOOK, changes: { description: 'new', isGlobal: true } } });
    expect(run([create, { type: 'UpdateWorldBook', worldBookId: BOOK, changes: { name: 'Lore' } }]).events).toHaveLength(1);
    const imported = { ...create, book: { ...meta, absentFields: ['name' as const] } };
    const { state, events: e2 } = run([imported, { type: 'UpdateWorldBook', worldBookId: BOOK, changes: { name: 'Lore' } }]);
    expect(e2).toHaveLength(2);
    expect(state.book!.absentFields).toBeUndefined();
  });

  test('a regex key that does not compile is a 400 when written, but an imported one may stay while other fields change', () => {
    spec({ given: created, when: add(E1, { keys: ['/(?=x)/'], content: 'x' }), then: { error: { code: 'invalid_regex' } } });
    const shapeless: WorldBookCommand = {
      type: 'AddEntry',
      worldBookId: BOOK,
      entryId: E1,
      entry: { ...createEntry({ keys: ['ok'], content: 'x' }), selectiveLogic: 7 },
    };
    spec({ given: created, when: shapeless, then: { error: { status: 422, code: 'invalid_entry' } } });
    const imported = { ...create, entries: [{ entryId: E1, entry: createEntry({ keys: ['/(?=x)/'], content: 'x' }) }] };
    const { state } = run([imported, { type: 'UpdateEntry', worldBookId: BOOK, entryId: E1, changes: { content: 'y' } }]);
    expect(state.entries[0]!.entry).toMatchObject({ keys: ['/(?=x)/'], content: 'y' });
    spec({
      given: run([imported]).events,
      when: { type: 'UpdateEntry', worldBookId: BOOK, entryId: E1, changes: { keys: ['/(?=x)/', '/a\\1/'] } },
      then: { error: { extra: { issues: [expect.objectContaining({ path: 'keys[1]' })] } } },
    });
  });

  test('bulk: validated before anything, unchanged entries skipped, one event', () => {
    const base = [create, add(E1, { keys: ['a'], content: 'a' }), add(E2, { keys: ['b'], content: 'b', enabled: false })];
    const given = run(base).events;
    const bulk = (operation: 'enable' | 'set_priority' | 'delete', entryIds: string[], value?: number): WorldBookCommand => ({
      type: 'BulkChangeEntries',
      worldBookId: BOOK,
      entryIds,
      operation,
      ...(value !== undefined ? { value } : {}),
    });
    const {
      events: [enabled],
    } = spec({
      given,
      when: bulk('enable', [E1, E2]),
      then: { matching: [{ type: 'WorldBookEntriesBulkChanged', data: { operation: 'enable', deletedEntryIds: [] } }] },
    });
    expect((enabled!.data as { updated: Array<{ entryId: string }> }).updated.map((r) => r.entryId)).toEqual([E2]);
    spec({ given, when: bulk('set_priority', [E1]), then: { error: { code: 'missing_value' } } });
    spec({ given, when: bulk('delete', [E1, BOOK]), then: { error: { status: 404 } } });
    spec({ given, when: bulk('set_priority', [E1], 5), then: { matching: [{ data: { value: 5 } }] } });
    const after = run([...base, { type: 'BulkChangeEntries', worldBookId: BOOK, entryIds: [E1], operation: 'delete' }]).state;
    expect(after.entries.map((r) => r.entryId)).toEqual([E2]);
  });

  test('card books: ids derived from the character, entry ids from uids (indexes when absent)', () => {
    const id = cardWorldBookId('01a20b51-8aef-70e2-bc70-d07f7c10aaaa');
    expect(id).toBe(cardWorldBookId('01a20b51-8aef-70e2-bc70-d07f7c10aaaa'));
    expect(id).not.toBe(cardWorldBookId('01a20b51-8aef-70e2-bc70-d07f7c10bbbb'));
    const entries = [
      createEntry({ keys: [], content: '', uid: 3 }),
      createEntry({ keys: [], content: '' }),
      createEntry({ keys: [], content: '', uid: 3 }),
    ];
    const ids = cardEntryIds(id, entries);
    expect(new Set(ids).size).toBe(3);
    expect(cardEntryIds(id, [entries[0]!])[0]).toBe(ids[0]);
  });

  test('attachments: an upsert that changes nothing appends nothing; detaching what is not attached is a 404', () => {
    const attachments = DeciderSpecification.for(characterWorldBooksDecider, { context: alice });
    const attach = { type: 'AttachWorldBook' as const, characterId: E1, worldBookId: BOOK, ownerId: 'alice', priority: 1, enabled: true };
    const attached = characterWorldBooksDecider.decide(attach, characterWorldBooksDecider.initialState(), alice);
    attachments({ given: attached, when: attach, then: [] });
    attachments({
      given: attached,
      when: { ...attach, priority: 2 },
      then: { matching: [{ type: 'WorldBookAttached', data: { priority: 2 } }] },
    });
    attachments({ given: attached, when: { type: 'DetachWorldBook', characterId: E1, worldBookId: E2 }, then: { error: { status: 404 } } });
    const detached = attachments({
      given: attached,
      when: { type: 'DetachWorldBook', characterId: E1, worldBookId: BOOK },
      then: { matching: [{ type: 'WorldBookDetached' }] },
    });
    expect(detached.state.attachments).toEqual({});
  });
});
