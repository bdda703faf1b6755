import { describe, expect, test } from '@jest/globals';
import { cardFromBasicFields } from '../../../shared/cards/index.ts';
import type { CharacterEvent } from '../../../shared/events/character-events.ts';
import { upcast } from '../../../shared/events/catalogue.ts';
import { DeciderSpecification } from '../../../test/decider-specification.ts';
import { characterDecider } from '../character-decider.ts';

const ctx = (userId = 'u1', isAdmin = false) => ({ userId, isAdmin, requestId: 'r', correlationId: 'c', causationId: 'c' });
const id = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const stored = { card: cardFromBasicFields({ name: 'Seraphina', tags: ['a'] }), avatar: null, assets: [] };
stored.card.data = { ...stored.card.data, nickname: 'Sera', x_unknown: { keep: true } } as typeof stored.card.data;
const created: CharacterEvent = { type: 'CharacterCreated', data: { characterId: id, ownerId: 'u1', ...stored, source: { kind: 'api' } } };
const spec = DeciderSpecification.for(characterDecider, { context: ctx() });
const now = new Date('2026-11-24T10:00:00Z');

describe('character decider', () => {
  test('create records the owner and the whole card; an import is recorded as such', () => {
    spec({ when: { type: 'CreateCharacter', characterId: id, stored, source: { kind: 'api' } }, then: [created] });
    spec({
      when: { type: 'CreateCharacter', characterId: id, stored, source: { kind: 'import', format: 'png' }, warnings: ['w'] },
      then: { matching: [{ type: 'CharacterImported', data: { warnings: ['w'], source: { format: 'png' } } }] },
    });
  });
  test('create twice is a conflict', () => {
    spec({
      given: [created],
      when: { type: 'CreateCharacter', characterId: id, stored, source: { kind: 'api' } },
      then: { error: { status: 409, code: 'already_exists' } },
    });
  });
  test('update records only the fields that change and keeps every other card field', () => {
    spec({
      given: [created],
      when: { type: 'UpdateCharacter', characterId: id, changes: { name: 'Seraphina', personality: 'kind' } },
      then: [{ type: 'CharacterUpdated', data: { characterId: id, changes: { personality: 'kind' } } }],
    });
    spec({ given: [created], when: { type: 'UpdateCharacter', characterId: id, changes: { tags: ['a'] } }, then: [] });
    const { state } = spec({
      given: [created],
      when: { type: 'UpdateCharacter', characterId: id, changes: { first_message: 'Hi' }, dataChanges: { nickname: 'S.' } },
      then: [{ type: 'CharacterUpdated', data: { characterId: id, changes: { first_message: 'Hi' }, dataChanges: { nickname: 'S.' } } }],
    });
    expect(state.stored!.card.data).toMatchObject({
      name: 'Seraphina',
      first_mes: 'Hi',
      nickname: 'S.',
      tags: ['a'],
      x_unknown: { keep: true },
    });
  });
  test('update with a new image records it (alone or with fields); the same image again changes nothing', () => {
    const avatar = { sha256: 'a'.repeat(64), mime: 'image/png', size: 10 };
    const { state } = spec({
      given: [created],
      when: { type: 'UpdateCharacter', characterId: id, changes: {}, avatar },
      then: [{ type: 'CharacterUpdated', data: { characterId: id, changes: {}, avatar } }],
    });
    expect(state.stored!.avatar).toEqual(avatar);
    const withImage: CharacterEvent = { type: 'CharacterUpdated', data: { characterId: id, changes: {}, avatar } };
    spec({ given: [created, withImage], when: { type: 'UpdateCharacter', characterId: id, changes: {}, avatar }, then: [] });
    spec({
      given: [created, withImage],
      when: { type: 'UpdateCharacter', characterId: id, changes: { personality: 'kind' }, avatar },
      then: [{ type: 'CharacterUpdated', data: { characterId: id, changes: { personality: 'kind' } } }],
    });
  });
  test("another user's character is forbidden, an admin may act, a missing one is not found", () => {
    spec({
      given: [created],
      when: { type: 'UpdateCharacter', characterId: id, changes: { name: 'x' } },
      context: ctx('u2'),
      then: { error: { status: 403, code: 'forbidden' } },
    });
    spec({
      given: [created],
      when: { type: 'DeleteCharacter', characterId: id, now },
      context: ctx('root', true),
      then: { matching: [{ type: 'CharacterDeleted' }] },
    });
    spec({ when: { type: 'DeleteCharacter', characterId: id, now }, then: { error: { status: 404, code: 'not_found' } } });
  });
  test('a deleted character cannot be changed, and is restorable only within the window', () => {
    const deleted: CharacterEvent = { type: 'CharacterDeleted', data: { characterId: id, deletedAt: now.toISOString() } };
    spec({
      given: [created, deleted],
      when: { type: 'UpdateCharacter', characterId: id, changes: { name: 'x' } },
      then: { error: { status: 404, code: 'not_found' } },
    });
    spec({
      given: [created, deleted],
      when: { type: 'DeleteCharacter', characterId: id, now },
      then: { error: { status: 404, code: 'not_found' } },
    });
    const day = 86_400_000;
    spec({
      given: [created, deleted],
      when: { type: 'RestoreCharacter', characterId: id, now: new Date(now.getTime() + day), retentionMs: 30 * day },
      then: [{ type: 'CharacterRestored', data: { characterId: id } }],
    });
    spec({
      given: [created, deleted],
      when: { type: 'RestoreCharacter', characterId: id, now: new Date(now.getTime() + 31 * day), retentionMs: 30 * day },
      then: { error: { status: 409, code: 'restore_window_expired' } },
    });
    spec({ given: [created], when: { type: 'RestoreCharacter', characterId: id, now, retentionMs: day }, then: [] });
  });
  test('revert appends the target version whole, and nothing when it is already current', () => {
    const updated: CharacterEvent = { type: 'CharacterUpdated', data: { characterId: id, changes: { description: 'new' } } };
    spec({
      given: [created, updated],
      when: { type: 'RevertCharacter', characterId: id, toVersion: 1, target: stored },
      then: { matching: [{ type: 'CharacterReverted', data: { toVersion: 1, card: stored.card } }] },
    });
    spec({ given: [created], when: { type: 'RevertCharacter', characterId: id, toVersion: 1, target: stored }, then: [] });
  });
  test('the v1 CharacterCreated payload (basic fields only) is upcast to the whole-card shape', () => {
    const v1 = { characterId: id, ownerId: 'u1', fields: { name: 'Old', description: 'd', tags: ['t'] } };
    const v2 = upcast('CharacterCreated', 1, v1) as { card: { data: Record<string, unknown> }; avatar: null; assets: [] };
    expect(v2.card.data).toMatchObject({ name: 'Old', description: 'd', tags: ['t'], first_mes: '' });
    expect(v2).toMatchObject({ avatar: null, assets: [], source: { kind: 'api' } });
    expect(upcast('CharacterCreated', 2, v2 as never)).toBe(v2);
  });
});
