/**
 * on_conflict=rename over the real service: the next `Name (n)` comes from one read of the characters read model
 * (the highest existing suffix) instead of one probe per taken `Name (n)`, so the work per import does not grow
 * with the number of copies; the reservations still decide, so concurrent renames end with distinct names.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { EventStore } from '../../../infra/eventstore/event-store.ts';
import { createCharacterNameSuffixes } from '../../../queries/character-name-suffixes.ts';
import { cardJson } from '../../../shared/cards/__tests__/helpers/builders.ts';
import { resolveCardLimits } from '../../../shared/cards/index.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { importCard } from '../import-card.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { RATE_LIMITS_ENABLED: 'false' } });
});
afterAll(async () => {
  await svc?.close();
});

const json = (name: string) => new TextEncoder().encode(cardJson(name));
const importNamed = (name: string, onConflict = 'rename') =>
  svc.upload(`/api/v1/characters/import?on_conflict=${onConflict}`, { bytes: json(name), filename: 'card.json' });

async function namesOf(...responses: Array<{ status: number; body: { name: string; id: string } }>): Promise<string[]> {
  for (const r of responses) expect(r.status).toBe(201);
  return responses.map((r) => r.body.name);
}

/** The real event store, counting the stream reads made through it. */
function countingReads(store: EventStore): { store: EventStore; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'readStream' && typeof value === 'function')
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: counted, reads: () => reads };
}

describe('on_conflict=rename', () => {
  test('copies are numbered 2, 3, ...; a gap below the highest is not refilled; a name ending in "(n)" joins its family', async () => {
    const names = await namesOf(await importNamed('Twin'), await importNamed('Twin'), await importNamed('twin'));
    expect(names).toEqual(['Twin', 'Twin (2)', 'twin (3)']); // the copy keeps its own spelling
    expect(await namesOf(await importNamed('Twin (7)', 'error'))).toEqual(['Twin (7)']);
    // Taken "Twin (7)" and taken "Twin": both become one above the highest, never "Twin (7) (2)" nor the gap's (4).
    const eighth = await importNamed('Twin (7)');
    const ninth = await importNamed('Twin');
    expect(await namesOf(eighth, ninth)).toEqual(['Twin (8)', 'Twin (9)']);
    // A deleted copy frees its name: the highest live one counts.
    expect((await svc.request('DELETE', `/api/v1/characters/${ninth.body.id}`)).status).toBeLessThan(300);
    expect(await namesOf(await importNamed('Twin'))).toEqual(['Twin (9)']);
  });

  test('the stream reads of a renaming import do not grow with the number of copies', async () => {
    for (let i = 0; i < 40; i++) expect((await importNamed('Many')).status).toBe(201);
    const rt = svc.runtime;
    const { store, reads } = countingReads(rt.eventStore);
    const imported = await importCard(
      {
        eventStore: store,
        names: createCharacterNameSuffixes(rt.database.db, rt.config.READ_SCHEMA),
        blobStore: rt.blobStore,
        parse: (bytes, options) => rt.cpu.run('parseCard', { bytes, options }, 'local'),
        admit: async () => undefined,
        config: { STORAGE_QUOTA_BYTES_PER_USER: rt.config.STORAGE_QUOTA_BYTES_PER_USER },
      },
      { userId: 'local', isAdmin: false, requestId: randomUUID(), correlationId: randomUUID(), causationId: randomUUID() },
      { file: { bytes: json('Many'), filename: 'card.json' }, allowImageOnly: false, onConflict: 'rename', limits: resolveCardLimits({}) },
    );
    expect(imported.outcome.renamedFrom).toBe('Many');
    // "Many" held (name stream + holder), "Many (41)" free (its name stream), the new character's stream.
    expect(reads()).toBeLessThanOrEqual(6);
  });

  test('concurrent renames of one name end with distinct names', async () => {
    expect((await importNamed('Crowd')).status).toBe(201);
    const names = await namesOf(...(await Promise.all(Array.from({ length: 8 }, () => importNamed('Crowd')))));
    expect(new Set(names).size).toBe(8);
    for (const name of names) expect(name).toMatch(/^Crowd \(\d+\)$/);
  });
});
