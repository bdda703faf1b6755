import { describe, expect, test } from '@jest/globals';
import { actorOf } from '../../../test/actors.ts';
import { DeciderSpecification } from '../../../test/decider-specification.ts';
import type { PersonaEvent, UserPersonasEvent } from '../../../shared/events/persona-events.ts';
import { DEFAULT_PERSONA_FIELDS } from '../../../shared/personas/persona-fields.ts';
import { personaDecider } from '../persona-decider.ts';
import { userPersonasDecider } from '../user-personas-decider.ts';

const alice = actorOf('alice');
const bob = actorOf('bob');
const personaId = '0190f0f0-0000-7000-8000-000000000001';
const other = '0190f0f0-0000-7000-8000-000000000002';
const fields = { ...DEFAULT_PERSONA_FIELDS, name: 'Ann' };
const created: PersonaEvent = { type: 'PersonaCreated', data: { personaId, ownerId: 'alice', fields, source: { kind: 'api' } } };
const spec = DeciderSpecification.for(personaDecider, { context: alice });

describe('persona decider', () => {
  test('creates once; a second creation is a conflict', () => {
    spec({ when: { type: 'CreatePersona', personaId, fields, source: { kind: 'api' } }, then: [created] });
    spec({
      given: [created],
      when: { type: 'CreatePersona', personaId, fields, source: { kind: 'api' } },
      then: { error: { status: 409 } },
    });
  });

  test('an update carries only the fields that change; nothing changed is no event', () => {
    spec({
      given: [created],
      when: { type: 'UpdatePersona', personaId, changes: { name: 'Ann', description: 'tall', position: 'at_depth' } },
      then: [{ type: 'PersonaUpdated', data: { personaId, changes: { description: 'tall', position: 'at_depth' } } }],
    });
    spec({ given: [created], when: { type: 'UpdatePersona', personaId, changes: { name: 'Ann' } }, then: [] });
  });

  test("another user's persona is 403, a missing or deleted one 404", () => {
    spec({
      given: [created],
      context: bob,
      when: { type: 'UpdatePersona', personaId, changes: { name: 'X' } },
      then: { error: { status: 403 } },
    });
    spec({ when: { type: 'UpdatePersona', personaId, changes: { name: 'X' } }, then: { error: { status: 404 } } });
    const deleted: PersonaEvent = { type: 'PersonaDeleted', data: { personaId, deletedAt: '2026-12-07T00:00:00.000Z' } };
    spec({
      given: [created, deleted],
      when: { type: 'UpdatePersona', personaId, changes: { name: 'X' } },
      then: { error: { status: 404 } },
    });
    spec({
      given: [created, deleted],
      when: { type: 'RestorePersona', personaId },
      then: [{ type: 'PersonaRestored', data: { personaId } }],
    });
    spec({ given: [created], when: { type: 'RestorePersona', personaId }, then: { error: { status: 409, code: 'not_deleted' } } });
  });

  test('deleting the default persona clears its flag first; clearing a flag that is not set is nothing', () => {
    const madeDefault: PersonaEvent = { type: 'PersonaUpdated', data: { personaId, changes: { is_default: true } } };
    const now = new Date('2026-12-07T10:00:00Z');
    spec({
      given: [created, madeDefault],
      when: { type: 'DeletePersona', personaId, now },
      then: [
        { type: 'PersonaUpdated', data: { personaId, changes: { is_default: false } } },
        { type: 'PersonaDeleted', data: { personaId, deletedAt: now.toISOString() } },
      ],
    });
    spec({ given: [created], when: { type: 'ClearDefaultFlag', personaId }, then: [] });
    spec({
      given: [created, madeDefault],
      when: { type: 'ClearDefaultFlag', personaId },
      then: [{ type: 'PersonaUpdated', data: { personaId, changes: { is_default: false } } }],
    });
  });
});

describe('user personas roster', () => {
  const roster = DeciderSpecification.for(userPersonasDecider, { context: alice });
  const taken = (id: string): UserPersonasEvent => ({ type: 'PersonaSlotTaken', data: { userId: 'alice', personaId: id } });

  test('the cap refuses a slot beyond it with 403 limit_exceeded; a freed slot can be taken again', () => {
    roster({
      given: [taken(personaId)],
      when: { type: 'TakePersonaSlot', userId: 'alice', personaId: other, max: 1 },
      then: { error: { status: 403, code: 'limit_exceeded' } },
    });
    roster({
      given: [taken(personaId), { type: 'PersonaSlotFreed', data: { userId: 'alice', personaId } }],
      when: { type: 'TakePersonaSlot', userId: 'alice', personaId: other, max: 1 },
      then: [taken(other)],
    });
  });

  test('choosing a default names the previous one; choosing it again is nothing; only the default can be dropped', () => {
    const first: UserPersonasEvent = { type: 'DefaultPersonaChanged', data: { userId: 'alice', personaId, previousPersonaId: null } };
    roster({ when: { type: 'ChooseDefaultPersona', userId: 'alice', personaId }, then: [first] });
    roster({
      given: [first],
      when: { type: 'ChooseDefaultPersona', userId: 'alice', personaId: other },
      then: [{ type: 'DefaultPersonaChanged', data: { userId: 'alice', personaId: other, previousPersonaId: personaId } }],
    });
    roster({ given: [first], when: { type: 'ChooseDefaultPersona', userId: 'alice', personaId }, then: [] });
    roster({ given: [first], when: { type: 'DropDefaultPersona', userId: 'alice', personaId: other }, then: [] });
    roster({
      given: [first],
      when: { type: 'DropDefaultPersona', userId: 'alice', personaId },
      then: [{ type: 'DefaultPersonaChanged', data: { userId: 'alice', personaId: null, previousPersonaId: personaId } }],
    });
  });
});
