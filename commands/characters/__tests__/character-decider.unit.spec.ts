import { describe, expect, test } from '@jest/globals';
import { AppError } from '../../../shared/errors.ts';
import { characterFieldsSchema } from '../../../shared/characters/character-fields.ts';
import type { CharacterEvent } from '../../../shared/events/character-events.ts';
import { characterDecider, type CharacterCommand } from '../character-decider.ts';

const ctx = (userId = 'u1', isAdmin = false) => ({ userId, isAdmin, requestId: 'r', correlationId: 'c', causationId: 'c' });
const id = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const fields = characterFieldsSchema.parse({ name: 'Seraphina', tags: ['a'] });
const given = (events: CharacterEvent[]) => events.reduce(characterDecider.evolve, characterDecider.initialState());
const created: CharacterEvent = { type: 'CharacterCreated', data: { characterId: id, ownerId: 'u1', fields } };
const decide = (cmd: CharacterCommand, events: CharacterEvent[], context = ctx()) => characterDecider.decide(cmd, given(events), context);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return [(err as AppError).status, (err as AppError).code];
  }
  return 'no error';
};

describe('character decider', () => {
  test('create on an empty stream records the owner and the fields', () => {
    expect(decide({ type: 'CreateCharacter', characterId: id, fields }, [])).toEqual([created]);
  });
  test('create twice is a conflict', () => {
    expect(codeOf(() => decide({ type: 'CreateCharacter', characterId: id, fields }, [created]))).toEqual([409, 'already_exists']);
  });
  test('update records only the fields that change', () => {
    expect(decide({ type: 'UpdateCharacter', characterId: id, changes: { name: 'Seraphina', personality: 'kind' } }, [created])).toEqual([
      { type: 'CharacterUpdated', data: { characterId: id, changes: { personality: 'kind' } } },
    ]);
    expect(decide({ type: 'UpdateCharacter', characterId: id, changes: { tags: ['a'] } }, [created])).toEqual([]);
  });
  test('evolve applies updates over the fields', () => {
    const state = given([created, { type: 'CharacterUpdated', data: { characterId: id, changes: { personality: 'kind' } } }]);
    expect(state.fields).toMatchObject({ name: 'Seraphina', personality: 'kind', tags: ['a'] });
  });
  test("another user's character is forbidden, an admin may act, a missing one is not found", () => {
    expect(codeOf(() => decide({ type: 'UpdateCharacter', characterId: id, changes: { name: 'x' } }, [created], ctx('u2')))).toEqual([403, 'forbidden']);
    expect(decide({ type: 'DeleteCharacter', characterId: id }, [created], ctx('root', true))).toHaveLength(1);
    expect(codeOf(() => decide({ type: 'DeleteCharacter', characterId: id }, []))).toEqual([404, 'not_found']);
  });
  test('a deleted character cannot be updated or deleted again, and can be restored once', () => {
    const deleted: CharacterEvent = { type: 'CharacterDeleted', data: { characterId: id } };
    expect(codeOf(() => decide({ type: 'UpdateCharacter', characterId: id, changes: { name: 'x' } }, [created, deleted]))).toEqual([404, 'not_found']);
    expect(codeOf(() => decide({ type: 'DeleteCharacter', characterId: id }, [created, deleted]))).toEqual([404, 'not_found']);
    expect(decide({ type: 'RestoreCharacter', characterId: id }, [created, deleted])).toEqual([{ type: 'CharacterRestored', data: { characterId: id } }]);
    expect(decide({ type: 'RestoreCharacter', characterId: id }, [created])).toEqual([]);
  });
});
