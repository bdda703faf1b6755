import { describe, expect, test } from '@jest/globals';
import type { RecordedEvent } from '../../shared/events/recorded-event.ts';
import { DEFAULT_PERSONA_FIELDS } from '../../shared/personas/persona-fields.ts';
import { foldEvent } from '../projection.ts';
import { personaChangeFolds, personaRow, type PersonaChangeEvent } from '../personas-fold.ts';

const at = new Date('2026-12-07T10:00:00Z');
const later = new Date('2026-12-07T11:00:00Z');
const personaId = '0190f0f0-0000-7000-8000-000000000001';
const avatar = { sha256: 'a'.repeat(64), mime: 'image/png', size: 10 };

function recorded<E>(type: string, data: unknown, revision: number, createdAt: Date): E {
  return {
    type,
    data,
    revision,
    createdAt,
    id: `e${revision}`,
    streamId: `persona-${personaId}`,
    position: String(revision),
    metadata: {},
  } as E;
}

describe('personas fold', () => {
  test("a new persona's row has every field, JSON columns as text", () => {
    const row = personaRow(
      recorded<RecordedEvent<'PersonaCreated'>>(
        'PersonaCreated',
        {
          personaId,
          ownerId: 'alice',
          fields: { ...DEFAULT_PERSONA_FIELDS, name: 'Ann', locked_character_ids: [personaId], avatar },
          source: { kind: 'api' },
        },
        1,
        at,
      ),
    );
    expect(row).toEqual({
      id: personaId,
      owner_id: 'alice',
      version: 1,
      name: 'Ann',
      description: '',
      position: 'in_prompt',
      depth: 2,
      role: 'system',
      world_book_id: null,
      is_default: false,
      locked_character_ids: JSON.stringify([personaId]),
      avatar: JSON.stringify(avatar),
      source: '{"kind":"api"}',
      created_at: at,
      updated_at: at,
      deleted_at: null,
    });
  });

  test('an update writes only the changed columns (a removed avatar is null); delete and restore stamp deleted_at', () => {
    const updated = recorded<PersonaChangeEvent>('PersonaUpdated', { personaId, changes: { is_default: true, avatar: null } }, 2, later);
    expect(foldEvent(personaChangeFolds, updated, undefined)).toEqual({ version: 2, updated_at: later, is_default: true, avatar: null });
    const deleted = recorded<PersonaChangeEvent>('PersonaDeleted', { personaId, deletedAt: later.toISOString() }, 3, later);
    expect(foldEvent(personaChangeFolds, deleted, undefined)).toEqual({ version: 3, updated_at: later, deleted_at: later });
    const restored = recorded<PersonaChangeEvent>('PersonaRestored', { personaId }, 4, later);
    expect(foldEvent(personaChangeFolds, restored, undefined)).toEqual({ version: 4, updated_at: later, deleted_at: null });
  });
});
