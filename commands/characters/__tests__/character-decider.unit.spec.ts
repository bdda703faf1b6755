import { describe, expect, test } from '@jest/globals';
import { cardFromBasicFields } from '../../../shared/cards/index.ts';
import type { AppError } from '../../../shared/errors.ts';
import type { CharacterEvent } from '../../../shared/events/character-events.ts';
import { upcast } from '../../../shared/events/catalogue.ts';
import { characterDecider, type CharacterCommand } from '../character-decider.ts';

const ctx = (userId = 'u1', isAdmin = false) => ({ userId, isAdmin, requestId: 'r', correlationId: 'c', causationId: 'c' });
const id = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const stored = { card: cardFromBasicFields({ name: 'Seraphina', tags: ['a'] }), avatar: null, assets: [] };
stored.card.data = { ...stored.card.data, nickname: 'Sera', x_unknown: { keep: true } } as typeof stored.card.data;
const created: CharacterEvent = { type: 'CharacterCreated', data: { characterId: id, ownerId: 'u1', ...stored, source: { kind: 'api' } } };
const given = (events: CharacterEvent[]) => events.reduce(characterDecider.evolve, characterDecider.initialState());
const decide = (cmd: CharacterCommand, events: CharacterEvent[], context = ctx()) => characterDecider.decide(cmd, given(events), context);
const now = new Date('2026-11-24T10:00:00Z');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return [(err as AppError).status, (err as AppError).code];
  }
  return 'no error';
};

describe('character decider', () => {
  test('create records the owner and the whole card; an import is recorded as such', () => {
    expect(decide({ type: 'CreateCharacter', characterId: id, stored, source: { kind: 'api' } }, [])).toEqual([created]);
    const [imported] = decide({ type: 'CreateCharacter', characterId: id, stored, source: { kind: 'import', format: 'png' }, warnings: ['w'] }, []);
    expect(imported).toMatchObject({ type: 'CharacterImported', data: { warnings: ['w'], source: { format: 'png' } } });
  });
  test('create twice is a conflict', () => {
    expect(codeOf(() => decide({ type: 'CreateCharacter', characterId: id, stored, source: { kind: 'api' } }, [created]))).toEqual([409, 'already_exists']);
  });
  test('update records only the fields that change and keeps every other card field', () => {
    expect(decide({ type: 'UpdateCharacter', characterId: id, changes: { name: 'Seraphina', personality: 'kind' } }, [created])).toEqual([
      { type: 'CharacterUpdated', data: { characterId: id, changes: { personality: 'kind' } } },
    ]);
    expect(decide({ type: 'UpdateCharacter', characterId: id, changes: { tags: ['a'] } }, [created])).toEqual([]);
    const state = given([created, { type: 'CharacterUpdated', data: { characterId: id, changes: { first_message: 'Hi' }, dataChanges: { nickname: 'S.' } } }]);
    expect(state.stored!.card.data).toMatchObject({ name: 'Seraphina', first_mes: 'Hi', nickname: 'S.', tags: ['a'], x_unknown: { keep: true } });
  });
  test("another user's character is forbidden, an admin may act, a missing one is not found", () => {
    expect(codeOf(() => decide({ type: 'UpdateCharacter', characterId: id, changes: { name: 'x' } }, [created], ctx('u2')))).toEqual([403, 'forbidden']);
    expect(decide({ type: 'DeleteCharacter', characterId: id, now }, [created], ctx('root', true))).toHaveLength(1);
    expect(codeOf(() => decide({ type: 'DeleteCharacter', characterId: id, now }, []))).toEqual([404, 'not_found']);
  });
  test('a deleted character cannot be changed, and is restorable only within the window', () => {
    const deleted: CharacterEvent = { type: 'CharacterDeleted', data: { characterId: id, deletedAt: now.toISOString() } };
    expect(codeOf(() => decide({ type: 'UpdateCharacter', characterId: id, changes: { name: 'x' } }, [created, deleted]))).toEqual([404, 'not_found']);
    expect(codeOf(() => decide({ type: 'DeleteCharacter', characterId: id, now }, [created, deleted]))).toEqual([404, 'not_found']);
    const day = 86_400_000;
    expect(decide({ type: 'RestoreCharacter', characterId: id, now: new Date(now.getTime() + day), retentionMs: 30 * day }, [created, deleted])).toEqual([{ type: 'CharacterRestored', data: { characterId: id } }]);
    expect(codeOf(() => decide({ type: 'RestoreCharacter', characterId: id, now: new Date(now.getTime() + 31 * day), retentionMs: 30 * day }, [created, deleted]))).toEqual([409, 'restore_window_expired']);
    expect(decide({ type: 'RestoreCharacter', characterId: id, now, retentionMs: day }, [created])).toEqual([]);
  });
  test('revert appends the target version whole, and nothing when it is already current', () => {
    const updated: CharacterEvent = { type: 'CharacterUpdated', data: { characterId: id, changes: { description: 'new' } } };
    const [reverted] = decide({ type: 'RevertCharacter', characterId: id, toVersion: 1, target: stored }, [created, updated]);
    expect(reverted).toMatchObject({ type: 'CharacterReverted', data: { toVersion: 1, card: stored.card } });
    expect(decide({ type: 'RevertCharacter', characterId: id, toVersion: 1, target: stored }, [created])).toEqual([]);
  });
  test('the v1 CharacterCreated payload (basic fields only) is upcast to the whole-card shape', () => {
    const v1 = { characterId: id, ownerId: 'u1', fields: { name: 'Old', description: 'd', tags: ['t'] } };
    const v2 = upcast('CharacterCreated', 1, v1) as { card: { data: Record<string, unknown> }; avatar: null; assets: [] };
    expect(v2.card.data).toMatchObject({ name: 'Old', description: 'd', tags: ['t'], first_mes: '' });
    expect(v2).toMatchObject({ avatar: null, assets: [], source: { kind: 'api' } });
    expect(upcast('CharacterCreated', 2, v2 as never)).toBe(v2);
  });
});
