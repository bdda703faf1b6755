import { describe, expect, test } from '@jest/globals';
import { START_POSITION, type EventStore } from '../../../infra/eventstore/event-store.ts';
import { createMemoryEventStore } from '../../../infra/eventstore/memory/memory-event-store.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { cardFromBasicFields } from '../../../shared/cards/index.ts';
import { AppError } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import { characterStream } from '../character-decider.ts';
import { nameStream } from '../character-names.ts';
import { createCharacter } from '../character-workflows.ts';

// Creating a character on the in-memory event store: with a multi-stream append the name's reservation and the
// character are one append; without one (EventStoreDB's case) two, in the order that survives a crash.
const actor = (userId: string): Actor => ({ userId, isAdmin: false, requestId: newId(), correlationId: 'c', causationId: 'c' });
const alice = actor('alice');
const stored = (name: string) => ({ card: cardFromBasicFields({ name }), avatar: null, assets: [] });

/** The store with its appends counted (what a backend would be asked to write durably). */
function counted(inner: EventStore, options: { multiStream: boolean }) {
  const writes: string[][] = [];
  const store: EventStore = {
    ...inner,
    kind: inner.kind,
    append: (streamId, events, expected) => {
      writes.push([streamId]);
      return inner.append(streamId, events, expected);
    },
    ...(options.multiStream
      ? {
          appendMultiple: (appends) => {
            writes.push(appends.map((a) => a.streamId));
            return inner.appendMultiple!(appends);
          },
        }
      : { appendMultiple: undefined }),
  };
  return { store, writes };
}

describe('createCharacter', () => {
  test('with a multi-stream append: one write holds the name and the character, next to each other in the log', async () => {
    const { store, writes } = counted(createMemoryEventStore(), { multiStream: true });
    const { characterId, result } = await createCharacter({ eventStore: store }, alice, {
      stored: stored('Seraphina'),
      source: { kind: 'api' },
    });
    expect(writes).toEqual([[nameStream('alice', 'Seraphina'), characterStream(characterId)]]);
    expect(result.revision).toBe(1);
    const log = await store.readAll({ fromPosition: START_POSITION });
    expect(log.map((e) => e.type)).toEqual(['CharacterNameReserved', 'CharacterCreated']);
    expect(result.position).toBe(log[1]!.position);
  });

  test('without one: the reservation, then the character, in two writes', async () => {
    const { store, writes } = counted(createMemoryEventStore(), { multiStream: false });
    const { characterId } = await createCharacter({ eventStore: store }, alice, { stored: stored('Seraphina'), source: { kind: 'api' } });
    expect(writes).toEqual([[nameStream('alice', 'Seraphina')], [characterStream(characterId)]]);
  });

  test.each([true, false])('names stay unique per owner under concurrent creates (multi-stream %s)', async (multiStream) => {
    const { store } = counted(createMemoryEventStore(), { multiStream });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => createCharacter({ eventStore: store }, alice, { stored: stored('Lilith'), source: { kind: 'api' } })),
    );
    const created = outcomes.filter((o) => o.status === 'fulfilled');
    expect(created).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected')
        expect(o.reason).toMatchObject({ status: 409, code: expect.stringMatching(/^name_(conflict|contended)$/) });
    const creations = (await store.readAll({ fromPosition: START_POSITION, maxCount: 100 })).filter((e) => e.type === 'CharacterCreated');
    expect(creations).toHaveLength(1);
    // Another owner may use the name; a rename on conflict gets the next free one.
    await expect(
      createCharacter({ eventStore: store }, actor('bob'), { stored: stored('Lilith'), source: { kind: 'api' } }),
    ).resolves.toBeTruthy();
    const copy = await createCharacter({ eventStore: store }, alice, {
      stored: stored('Lilith'),
      source: { kind: 'api' },
      onConflict: 'rename',
    });
    expect(copy.renamedFrom).toBe('Lilith');
    expect(copy.result.state.stored!.card.data.name).toBe('Lilith (2)');
  });

  test('a refused name appends nothing', async () => {
    const { store, writes } = counted(createMemoryEventStore(), { multiStream: true });
    await createCharacter({ eventStore: store }, alice, { stored: stored('Aria'), source: { kind: 'api' } });
    const log = await store.readAll({ fromPosition: START_POSITION });
    const err = await createCharacter({ eventStore: store }, alice, { stored: stored('  aria '), source: { kind: 'api' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('name_conflict');
    // The name is first claimed unread, as a new reservation: the store refuses that write (the stream exists),
    // then the name is read and found taken. Nothing more was written.
    expect(writes).toHaveLength(2);
    expect(writes[1]![0]).toBe(nameStream('alice', 'Aria'));
    expect(await store.readAll({ fromPosition: START_POSITION })).toEqual(log);
  });
});
